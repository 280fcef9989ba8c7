#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace ember {

int sampleToken(const std::vector<float>& raw, const SamplingParams& p, std::mt19937_64& rng)
{
    if (raw.empty())
        return -1;
    // NaN would break the ordering the sorts rely on: treat it as impossible.
    std::vector<float> logits(raw);
    for (auto& l : logits)
        if (std::isnan(l))
            l = -std::numeric_limits<float>::infinity();
    const auto best = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (p.temperature <= 0.f || !std::isfinite(logits[best]))
        return best;
    std::vector<int> idx(logits.size());
    std::iota(idx.begin(), idx.end(), 0);
    size_t keep = logits.size();
    if (p.topK > 0 && static_cast<size_t>(p.topK) < keep) {
        keep = static_cast<size_t>(p.topK);
        std::partial_sort(idx.begin(), idx.begin() + keep, idx.end(),
                          [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
    } else {
        std::sort(idx.begin(), idx.end(),
                  [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
    }
    idx.resize(keep);
    const float maxLogit = logits[idx[0]];
    std::vector<double> probs(keep);
    double sum = 0;
    for (size_t i = 0; i < keep; ++i) {
        probs[i] = std::exp((logits[idx[i]] - maxLogit) / p.temperature);
        sum += probs[i];
    }
    if (!(sum > 0) || !std::isfinite(sum))
        return best;
    for (auto& q : probs)
        q /= sum;
    if (p.topP < 1.f) {
        // Smallest prefix whose mass reaches top_p (always at least one token).
        double cum = 0;
        size_t n = 0;
        while (n < keep) {
            cum += probs[n++];
            if (cum >= p.topP)
                break;
        }
        probs.resize(n);
        idx.resize(n);
    }
    std::discrete_distribution<size_t> dist(probs.begin(), probs.end());
    return idx[dist(rng)];
}

} // namespace ember
