#pragma once
// `embervlm score`'s inputs: COCO caption references + COCO caption results, or VQA v2
// annotations (+ questions) + VQA results, read and checked as pycocotools/pycocoevalcap and
// GT-Vision-Lab's VQA tools check them, with messages that name the file and the field.
#include "caption_metrics.h"
#include "vqa_accuracy.h"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember::train {

struct ScoreInputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class ScoreTask { Captions, Vqa };

// From the references file: "annotations" whose items have "answers" is VQA, with "caption" captions.
ScoreTask detectScoreTask(const std::string& referencesPath);

// Captions in pycocoevalcap's order: the images of the references' "images" that have captions,
// each with its reference captions in file order and its one predicted caption (untokenised).
struct CaptionEvaluation {
    std::vector<std::string> imageIds;   // as JSON spells them (42, "abc")
    std::vector<std::vector<std::string>> references;
    std::vector<std::string> predictions;
};
// Throws ScoreInputError for a malformed file, a result for an image that is not in the
// references, two results for one image, or an image with captions and no result.
CaptionEvaluation readCaptionFiles(const std::string& referencesPath, const std::string& predictionsPath);
CaptionScores scoreCaptionEvaluation(const CaptionEvaluation& e);

// VQA questions in annotation order with their predictions. Every annotated question needs a
// result and every result an annotated question; a question answered twice keeps the last
// answer, as vqa.py's index does. questionsPath may be empty; when given it must list every
// annotated question (and, for a "Multiple Choice" file, contain each predicted answer among
// the question's multiple_choices).
std::vector<VqaQuestion> readVqaFiles(const std::string& annotationsPath, const std::string& predictionsPath,
                                      const std::string& questionsPath = "");

struct ScoreResult {
    ScoreTask task = ScoreTask::Captions;
    size_t count = 0;   // images or questions scored
    CaptionScores captions;
    VqaAccuracy vqa;
};

ScoreResult scoreFiles(const std::string& referencesPath, const std::string& predictionsPath,
                       const std::string& questionsPath = "");
// The metrics under the names the official tools print: Bleu_1..Bleu_4, ROUGE_L, CIDEr; or
// vqaEval's accuracy dict {overall, perAnswerType, perQuestionType} (percent).
std::string scoreJson(const ScoreResult& r, int indent = 2);
std::string scoreText(const ScoreResult& r);

} // namespace ember::train
