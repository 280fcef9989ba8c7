#pragma once
// The VQA accuracy of GT-Vision-Lab's vqaEval.py: its answer normalisation (punctuation, digits,
// articles, contractions), applied only where it applies it, and min(#matching humans / 3, 1)
// averaged over the leave-one-out sets of the ground-truth answers. Torch-free.
#include <map>
#include <string>
#include <vector>

namespace ember::train {

struct VqaGtAnswer {
    std::string answer;
    // The answer record's other fields (answer_id, answer_confidence, ...) as canonical JSON:
    // vqaEval leaves out of each set the records equal to the held-out one as a whole.
    std::string otherFields;
};

struct VqaQuestion {
    std::string questionId;   // for messages
    std::string questionType;
    std::string answerType;
    std::vector<VqaGtAnswer> answers;
    std::string prediction;
};

struct VqaAccuracy {
    // Percent, rounded to two decimals as Python 2's round() does (half away from zero).
    double overall = 0;
    std::map<std::string, double> perQuestionType;
    std::map<std::string, double> perAnswerType;
    std::vector<double> perQuestion;   // unrounded, in [0, 1], in the order given
};

// vqaEval's processPunctuation and processDigitArticle.
std::string vqaProcessPunctuation(const std::string& text);
std::string vqaProcessDigitArticle(const std::string& text);
// The accuracy of one question, in [0, 1].
double vqaQuestionAccuracy(const VqaQuestion& q);
// Throws std::invalid_argument when questions is empty or a question has no answer.
VqaAccuracy vqaAccuracy(const std::vector<VqaQuestion>& questions);
// Python 2's round(x, digits): correctly rounded, exact halves away from zero.
double pythonRound(double x, int digits);

} // namespace ember::train
