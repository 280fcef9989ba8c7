#pragma once
// The reasoning trace of MODEL.md, as plain data. The engine computes the whole chain of steps
// once; the stopping rule is then applied for any threshold without running the model again.
#include <string>
#include <vector>

namespace ember {

struct ChainStep {
    bool hasScore = false;              // step 0 has no score
    float score = 0.f;                  // step_validator(cat(s_i, s_{i-1}))
    std::vector<float> answerProbs;     // softmax(answer_head(s_i))
};

struct TraceStep {
    int index = 0;
    bool hasScore = false;
    float score = 0.f;
    bool accepted = false;
    std::vector<float> answerProbs;
};

struct ReasoningTrace {
    std::vector<TraceStep> steps;       // up to and including the first rejected step
    int answer = -1;                    // argmax of the last accepted step's distribution
    std::vector<float> answerProbs;     // that distribution
    int lastAccepted = 0;
    double threshold = 0.5;
};

// MODEL.md's loop: step 0 always accepted; step i >= 1 accepted when score >= threshold, else
// recorded as rejected and the loop stops; at most maxSteps steps counting step 0.
ReasoningTrace applyThreshold(const std::vector<ChainStep>& chain, double threshold, int maxSteps);

} // namespace ember
