#include "caption_metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace ember::train {

namespace {

// split(" ") as rouge.py splits: every space ends a token, empty tokens kept.
std::vector<std::string> pySplitSpace(const std::string& s)
{
    std::vector<std::string> out(1);
    for (char ch : s) {
        if (ch == ' ')
            out.emplace_back();
        else
            out.back().push_back(ch);
    }
    return out;
}

// n-gram keys: tokens length-prefixed, so no separator can be confused with a token.
using NgramCounts = std::unordered_map<std::string, int>;

NgramCounts ngramCounts(const std::vector<std::string>& words, int n)
{
    NgramCounts counts;
    for (int k = 1; k <= n; ++k) {
        for (size_t i = 0; i + k <= words.size(); ++i) {
            std::string key;
            key.push_back(static_cast<char>('0' + k));
            for (int j = 0; j < k; ++j) {
                const auto& w = words[i + j];
                key += std::to_string(w.size());
                key.push_back(':');
                key += w;
            }
            ++counts[key];
        }
    }
    return counts;
}
int ngramOrder(const std::string& key) { return key[0] - '0'; }

void checkSamples(const std::vector<CaptionSample>& samples)
{
    if (samples.empty())
        throw std::invalid_argument("no images to score");
    for (size_t i = 0; i < samples.size(); ++i)
        if (samples[i].references.empty())
            throw std::invalid_argument("image " + std::to_string(i) + " has no reference caption");
}

} // namespace

std::array<double, 4> corpusBleu(const std::vector<CaptionSample>& samples)
{
    checkSamples(samples);
    constexpr int n = 4;
    constexpr double tiny = 1e-15, small = 1e-9;   // bleu_scorer.py's guards against 0/0
    double testLen = 0, refLen = 0;
    std::array<double, n> guess{}, correct{};
    for (const auto& s : samples) {
        NgramCounts maxRef;
        std::vector<int> refLens;
        for (const auto& r : s.references) {
            const auto words = pythonSplit(r);
            refLens.push_back(static_cast<int>(words.size()));
            for (const auto& [g, cnt] : ngramCounts(words, n)) {
                int& m = maxRef[g];
                m = std::max(m, cnt);
            }
        }
        const auto words = pythonSplit(s.candidate);
        const int tl = static_cast<int>(words.size());
        // "closest": the reference length nearest the candidate's, the shorter on a tie.
        int closest = refLens[0];
        for (int l : refLens)
            if (std::abs(l - tl) < std::abs(closest - tl) || (std::abs(l - tl) == std::abs(closest - tl) && l < closest))
                closest = l;
        testLen += tl;
        refLen += closest;
        for (int k = 0; k < n; ++k)
            guess[k] += std::max(0, tl - k);
        for (const auto& [g, cnt] : ngramCounts(words, n)) {
            auto it = maxRef.find(g);
            if (it != maxRef.end())
                correct[ngramOrder(g) - 1] += std::min(it->second, cnt);
        }
    }
    std::array<double, n> bleus{};
    double product = 1;
    for (int k = 0; k < n; ++k) {
        product *= (correct[k] + tiny) / (guess[k] + small);
        bleus[k] = std::pow(product, 1.0 / (k + 1));
    }
    const double ratio = (testLen + tiny) / (refLen + small);
    if (ratio < 1)
        for (auto& b : bleus)
            b *= std::exp(1 - 1 / ratio);
    return bleus;
}

double rougeL(const std::vector<CaptionSample>& samples, std::vector<double>* perImage)
{
    checkSamples(samples);
    constexpr double beta = 1.2;
    std::vector<double> scores;
    for (const auto& s : samples) {
        const auto cand = pySplitSpace(s.candidate);
        double precMax = 0, recMax = 0;
        for (const auto& r : s.references) {
            const auto ref = pySplitSpace(r);
            // LCS length by dynamic programming over one row.
            std::vector<int> prev(cand.size() + 1, 0), cur(cand.size() + 1, 0);
            for (size_t a = 1; a <= ref.size(); ++a) {
                for (size_t b = 1; b <= cand.size(); ++b)
                    cur[b] = ref[a - 1] == cand[b - 1] ? prev[b - 1] + 1 : std::max(prev[b], cur[b - 1]);
                std::swap(prev, cur);
            }
            const double lcs = prev[cand.size()];
            precMax = std::max(precMax, lcs / cand.size());
            recMax = std::max(recMax, lcs / ref.size());
        }
        double score = 0;
        if (precMax != 0 && recMax != 0)
            score = (1 + beta * beta) * precMax * recMax / (recMax + beta * beta * precMax);
        scores.push_back(score);
    }
    double sum = 0;
    for (double v : scores)
        sum += v;
    if (perImage)
        *perImage = scores;
    return sum / scores.size();
}

double ciderD(const std::vector<CaptionSample>& samples, std::vector<double>* perImage)
{
    checkSamples(samples);
    constexpr int n = 4;
    constexpr double sigma = 6.0;
    std::vector<std::vector<NgramCounts>> refs;
    std::vector<NgramCounts> tests;
    std::unordered_map<std::string, double> df;   // images whose references hold the n-gram
    for (const auto& s : samples) {
        auto& rs = refs.emplace_back();
        std::unordered_set<std::string> seen;
        for (const auto& r : s.references) {
            rs.push_back(ngramCounts(pythonSplit(r), n));
            for (const auto& kv : rs.back())
                seen.insert(kv.first);
        }
        for (const auto& g : seen)
            df[g] += 1;
        tests.push_back(ngramCounts(pythonSplit(s.candidate), n));
    }
    const double refLen = std::log(static_cast<double>(samples.size()));

    struct Vec {
        std::array<std::unordered_map<std::string, double>, n> v;
        std::array<double, n> norm{};
        int length = 0;
    };
    auto toVec = [&](const NgramCounts& counts) {
        Vec out;
        for (const auto& [g, tf] : counts) {
            auto it = df.find(g);
            const double idf = std::log(std::max(1.0, it == df.end() ? 0.0 : it->second));
            const int k = ngramOrder(g) - 1;
            const double val = tf * (refLen - idf);
            out.v[k][g] = val;
            out.norm[k] += val * val;
            if (k == 1)   // cider_scorer.py counts bigrams as the length
                out.length += tf;
        }
        for (auto& x : out.norm)
            x = std::sqrt(x);
        return out;
    };

    std::vector<double> scores;
    for (size_t i = 0; i < samples.size(); ++i) {
        const Vec hyp = toVec(tests[i]);
        std::array<double, n> score{};
        for (const auto& r : refs[i]) {
            const Vec ref = toVec(r);
            const double delta = hyp.length - ref.length;
            for (int k = 0; k < n; ++k) {
                double val = 0;
                for (const auto& [g, hv] : hyp.v[k]) {
                    auto it = ref.v[k].find(g);
                    const double rv = it == ref.v[k].end() ? 0.0 : it->second;
                    val += std::min(hv, rv) * rv;   // CIDEr-D's clipping
                }
                if (hyp.norm[k] != 0 && ref.norm[k] != 0)
                    val /= hyp.norm[k] * ref.norm[k];
                val *= std::exp(-(delta * delta) / (2 * sigma * sigma));
                score[k] += val;
            }
        }
        double mean = 0;
        for (double v : score)
            mean += v;
        mean /= n;
        mean /= static_cast<double>(refs[i].size());
        scores.push_back(mean * 10.0);
    }
    double sum = 0;
    for (double v : scores)
        sum += v;
    if (perImage)
        *perImage = scores;
    return sum / scores.size();
}

CaptionScores scoreCaptions(const std::vector<CaptionSample>& samples)
{
    CaptionScores s;
    s.bleu = corpusBleu(samples);
    s.rougeL = rougeL(samples, &s.rougePerImage);
    s.cider = ciderD(samples, &s.ciderPerImage);
    return s;
}

} // namespace ember::train
