#pragma once
// Evaluation metrics (issue "training" point 5). Plain C++, no torch.
#include <string>
#include <vector>

namespace ember::train {

struct ClassificationReport {
    int classes = 0;
    std::vector<std::vector<long long>> confusion;   // [true][predicted]
    long long total = 0;
    double accuracy = 0;
    std::vector<double> precision, recall, f1;       // per class
    double macroPrecision = 0, macroRecall = 0, macroF1 = 0;
    double ece = 0;                                  // expected calibration error
    // Reliability diagram: per confidence bin, mean confidence, accuracy and count.
    std::vector<double> binConfidence, binAccuracy;
    std::vector<long long> binCount;
};

// predictions: argmax class per sample; confidence: its probability. Classes with no true and no
// predicted samples are left out of the macro averages (their F1 is undefined, reported as 0).
ClassificationReport classificationReport(const std::vector<int>& truth, const std::vector<int>& predicted,
                                          const std::vector<double>& confidence, int classes, int bins = 15);
// From a confusion matrix alone (no calibration figures).
ClassificationReport reportFromConfusion(const std::vector<std::vector<long long>>& confusion);

// SQuAD-style normalisation (lower case, punctuation and articles dropped, spaces collapsed).
std::string normalizeAnswer(const std::string& s);
bool exactMatch(const std::string& prediction, const std::string& reference);
double tokenF1(const std::string& prediction, const std::string& reference);
// Distinct bigrams over all bigrams of one text's normalised words (1 for fewer than two words):
// low when a generation repeats itself ("a a a a").
double distinct2(const std::string& text);

} // namespace ember::train
