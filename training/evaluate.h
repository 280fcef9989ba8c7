#pragma once
// `embervlm eval`: robot selection, reasoning and text metrics of a checkpoint on a split
// (issue "training" point 5). Torch-free interface.
#include "metrics.h"

#include <functional>
#include <string>
#include <vector>

namespace ember::train {

struct EvalOptions {
    std::string workspaceDir;
    std::string checkpoint;
    std::string split = "val";     // train | val | test | all
    int batchSize = 16;
    int textSamples = 40;          // samples whose captions / answers are generated (0: skip)
    double threshold = -1;         // < 0: the checkpoint's consistency threshold
    bool record = true;            // store the result as an evaluation run in the workspace
    std::function<bool(int64_t, int64_t)> progress;
};

struct SampleResult {
    int64_t sampleId = 0;
    std::vector<int> truth;        // robot labels
    int predicted = -1;
    double confidence = 0;
    double loss = 0;               // soft-target cross-entropy of the final answer
    int acceptedSteps = 0;         // counting step 0
    bool stoppedEarly = false;
    std::vector<double> probs;
};

struct EvalReport {
    std::string checkpoint, split;
    std::vector<std::string> labels;
    ClassificationReport selection;          // truth = the predicted label when it is one of the sample's labels
    double meanStepConsistency = 0;          // mean validator score over steps 1.. of every chain
    double earlyStopRate = 0;                // fraction of samples stopping before max steps
    std::vector<double> accuracyByAcceptedSteps;   // index = accepted steps (1..max); NaN when none
    std::vector<long long> countByAcceptedSteps;
    double captionExactMatch = 0, captionTokenF1 = 0, answerExactMatch = 0, answerTokenF1 = 0;
    int captionCount = 0, answerCount = 0;
    std::vector<SampleResult> samples;
    int64_t runId = 0;                       // the evaluation's record in the workspace
    double seconds = 0;
    std::string toJson(bool withSamples = false) const;
    std::string toTable() const;
};

EvalReport evaluateCheckpoint(const EvalOptions& options);

} // namespace ember::train
