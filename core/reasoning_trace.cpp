#include "reasoning_trace.h"

#include <algorithm>

namespace ember {

ReasoningTrace applyThreshold(const std::vector<ChainStep>& chain, double threshold, int maxSteps)
{
    ReasoningTrace t;
    t.threshold = threshold;
    const int n = std::min<int>(static_cast<int>(chain.size()), std::max(1, maxSteps));
    for (int i = 0; i < n; ++i) {
        TraceStep s;
        s.index = i;
        s.hasScore = chain[i].hasScore;
        s.score = chain[i].score;
        s.accepted = (i == 0) || s.score >= threshold;
        s.answerProbs = chain[i].answerProbs;
        t.steps.push_back(s);
        if (!s.accepted)
            break;
        t.lastAccepted = i;
    }
    if (!t.steps.empty()) {
        t.answerProbs = t.steps[t.lastAccepted].answerProbs;
        t.answer = static_cast<int>(std::max_element(t.answerProbs.begin(), t.answerProbs.end()) - t.answerProbs.begin());
    }
    return t;
}

} // namespace ember
