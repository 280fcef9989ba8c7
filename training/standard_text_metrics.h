#pragma once
// The field's own figures for generated text in `embervlm eval`: BLEU-4, ROUGE-L and CIDEr-D of
// the captions against every reference caption (pycocoevalcap's definitions), VQA accuracy of
// the answers against the ten human answers (vqaEval's), and the predictions written as COCO
// and VQA results files so that any other tool can score them. Torch-free.
#include "sample.h"

#include <cmath>
#include <string>
#include <vector>

namespace ember::train {

struct StandardTextFigures {
    double bleu4 = std::nan(""), rougeL = std::nan(""), cider = std::nan("");
    double vqaAccuracy = std::nan(""), blindVqaAccuracy = std::nan("");   // percent, as vqaEval prints it
};

// The COCO image id of a sample in results files: the id a COCO or VQA import kept, else the
// sample's own id. The question id: the pair's VQA id, else image id × 1000 + position (what
// `data export --format vqa` gives a pair without one).
int64_t resultsImageId(const data::Sample& s);
int64_t resultsQuestionId(const data::Sample& s, size_t pairIndex);

class StandardTextTally {
public:
    void addCaption(const data::Sample& s, const std::string& generated);
    // A pair without human answers is scored against ten copies of its answer (as its VQA export has it).
    void addAnswer(const data::Sample& s, size_t pairIndex, const std::string& generated, bool blind);
    StandardTextFigures figures() const;
    // [{"image_id", "caption"}] and [{"question_id", "answer"}]; nothing written for an empty path.
    void writeCaptionResults(const std::string& path) const;
    void writeAnswerResults(const std::string& path) const;

private:
    struct Caption {
        int64_t imageId;
        std::vector<std::string> references;
        std::string generated;
    };
    struct Answer {
        int64_t questionId;
        std::string questionType, answerType;
        std::vector<data::HumanAnswer> humans;
        std::string generated;
    };
    std::vector<Caption> captions_;
    std::vector<Answer> answers_, blindAnswers_;
};

} // namespace ember::train
