#include "score_command.h"

#include "score_files.h"

#include <iostream>

using ember::cli::Args;
using ember::cli::Command;
using ember::cli::UsageError;
namespace train = ember::train;

namespace {

int cmdScore(const Args& a)
{
    const std::string refs = a.require("--references");
    const std::string preds = a.require("--predictions");
    const std::string questions = a.get("--questions");
    if (!questions.empty() && train::detectScoreTask(refs) == train::ScoreTask::Captions)
        throw UsageError("--questions applies to VQA annotations; " + refs + " is a COCO captions file");
    const auto result = train::scoreFiles(refs, preds, questions);
    if (a.has("--json"))
        std::cout << train::scoreJson(result) << "\n";
    else
        std::cout << train::scoreText(result);
    return 0;
}

} // namespace

Command scoreCommand()
{
    return {"score",
            "captioning (Bleu_1-4, ROUGE_L, CIDEr) or VQA accuracy of predictions, as the official tools compute them",
            {{"--references", "FILE",
              "a COCO captions file (images, annotations with captions) or VQA v2 annotations (answers)", true},
             {"--predictions", "FILE",
              "results: [{\"image_id\", \"caption\"}] for captions, [{\"question_id\", \"answer\"}] for VQA", true},
             {"--questions", "FILE", "the VQA questions file (optional; checked against the annotations)"},
             {"--json", "", "print the metrics as JSON, under the official tools' names"}},
            "",
            "",
            cmdScore};
}
