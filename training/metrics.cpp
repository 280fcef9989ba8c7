#include "metrics.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

namespace ember::train {

namespace {

void finish(ClassificationReport& r)
{
    const int C = r.classes;
    r.precision.assign(C, 0);
    r.recall.assign(C, 0);
    r.f1.assign(C, 0);
    long long correct = 0;
    int present = 0;
    double sp = 0, sr = 0, sf = 0;
    for (int c = 0; c < C; ++c) {
        long long tp = r.confusion[c][c], predicted = 0, actual = 0;
        for (int k = 0; k < C; ++k) {
            predicted += r.confusion[k][c];
            actual += r.confusion[c][k];
        }
        correct += tp;
        r.precision[c] = predicted ? double(tp) / predicted : 0.0;
        r.recall[c] = actual ? double(tp) / actual : 0.0;
        const double pr = r.precision[c] + r.recall[c];
        r.f1[c] = pr > 0 ? 2 * r.precision[c] * r.recall[c] / pr : 0.0;
        if (predicted || actual) {
            ++present;
            sp += r.precision[c];
            sr += r.recall[c];
            sf += r.f1[c];
        }
    }
    r.accuracy = r.total ? double(correct) / r.total : 0.0;
    if (present) {
        r.macroPrecision = sp / present;
        r.macroRecall = sr / present;
        r.macroF1 = sf / present;
    }
}

} // namespace

ClassificationReport reportFromConfusion(const std::vector<std::vector<long long>>& confusion)
{
    ClassificationReport r;
    r.classes = static_cast<int>(confusion.size());
    r.confusion = confusion;
    for (const auto& row : confusion)
        for (auto v : row)
            r.total += v;
    finish(r);
    return r;
}

ClassificationReport classificationReport(const std::vector<int>& truth, const std::vector<int>& predicted,
                                          const std::vector<double>& confidence, int classes, int bins)
{
    ClassificationReport r;
    r.classes = classes;
    r.confusion.assign(classes, std::vector<long long>(classes, 0));
    const size_t n = std::min(truth.size(), predicted.size());
    r.binConfidence.assign(bins, 0);
    r.binAccuracy.assign(bins, 0);
    r.binCount.assign(bins, 0);
    for (size_t i = 0; i < n; ++i) {
        if (truth[i] < 0 || truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes)
            continue;
        r.confusion[truth[i]][predicted[i]]++;
        r.total++;
        if (i < confidence.size()) {
            const double c = std::clamp(confidence[i], 0.0, 1.0);
            const int b = std::min(bins - 1, static_cast<int>(c * bins));
            r.binConfidence[b] += c;
            r.binAccuracy[b] += truth[i] == predicted[i] ? 1.0 : 0.0;
            r.binCount[b]++;
        }
    }
    long long counted = 0;
    for (int b = 0; b < bins; ++b)
        counted += r.binCount[b];
    for (int b = 0; b < bins; ++b) {
        if (!r.binCount[b])
            continue;
        r.binConfidence[b] /= r.binCount[b];
        r.binAccuracy[b] /= r.binCount[b];
        r.ece += double(r.binCount[b]) / counted * std::abs(r.binAccuracy[b] - r.binConfidence[b]);
    }
    finish(r);
    return r;
}

std::string normalizeAnswer(const std::string& s)
{
    std::string lowered;
    for (unsigned char c : s)
        lowered += std::ispunct(c) ? ' ' : static_cast<char>(std::tolower(c));
    std::istringstream in(lowered);
    std::string word, out;
    while (in >> word) {
        if (word == "a" || word == "an" || word == "the")
            continue;
        out += (out.empty() ? "" : " ") + word;
    }
    return out;
}

bool exactMatch(const std::string& prediction, const std::string& reference)
{
    return normalizeAnswer(prediction) == normalizeAnswer(reference);
}

double tokenF1(const std::string& prediction, const std::string& reference)
{
    auto words = [](const std::string& s) {
        std::vector<std::string> w;
        std::istringstream in(normalizeAnswer(s));
        std::string t;
        while (in >> t)
            w.push_back(t);
        return w;
    };
    const auto p = words(prediction), r = words(reference);
    if (p.empty() || r.empty())
        return p.empty() && r.empty() ? 1.0 : 0.0;
    std::map<std::string, int> counts;
    for (const auto& t : r)
        counts[t]++;
    int common = 0;
    for (const auto& t : p)
        if (counts[t]-- > 0)
            ++common;
    if (!common)
        return 0.0;
    const double precision = double(common) / p.size(), recall = double(common) / r.size();
    return 2 * precision * recall / (precision + recall);
}

double distinct2(const std::string& text)
{
    std::istringstream in(normalizeAnswer(text));
    std::vector<std::string> w;
    for (std::string t; in >> t;)
        w.push_back(t);
    if (w.size() < 2)
        return 1.0;
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 1; i < w.size(); ++i)
        seen.emplace(w[i - 1], w[i]);
    return double(seen.size()) / double(w.size() - 1);
}

} // namespace ember::train
