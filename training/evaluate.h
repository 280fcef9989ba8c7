#pragma once
// `embervlm eval`: robot selection, reasoning and text metrics of a checkpoint on a split
// (issue "training" point 5). Torch-free interface.
#include "metrics.h"

#include <nlohmann/json_fwd.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace ember::train {

struct EvalOptions {
    std::string workspaceDir;
    std::string checkpoint;
    std::string split = "val";     // train | val | test | all
    int batchSize = 16;
    int textSamples = 100;         // samples whose captions, answers and reasoning are generated (0: skip)
    bool blind = true;             // also run selection (and answers) with every image replaced by grey
    double threshold = -1;         // < 0: the checkpoint's consistency threshold
    bool record = true;            // store the result as an evaluation run in the workspace
    std::string textsOut;          // non-empty: every generated text with its reference, as JSON lines
    std::string captionResultsOut; // non-empty: the generated captions as a COCO results file
    std::string answerResultsOut;  // non-empty: the generated answers as a VQA results file
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
    bool imageDecided = false;     // the sample's task text occurs with scenes needing other robots
    int blindPredicted = -1;       // the prediction with the image replaced by grey (-1: not run)
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
    // The field's figures (pycocoevalcap, vqaEval): captions against every reference caption,
    // answers against the ten human answers (VQA accuracy in percent). NaN when not measured.
    double captionBleu4 = std::nan(""), captionRougeL = std::nan(""), captionCider = std::nan("");
    double answerVqaAccuracy = std::nan(""), blindAnswerVqaAccuracy = std::nan("");
    // What the image contributes: the same samples with each image replaced by a uniform grey one
    // of the model's input size. NaN where not measured (no such samples, or blind off).
    double blindAccuracy = std::nan("");
    long long imageDecidedCount = 0;
    double imageDecidedAccuracy = std::nan(""), imageDecidedBlindAccuracy = std::nan("");
    double blindAnswerExactMatch = std::nan(""), blindAnswerTokenF1 = std::nan("");
    // Generated reasoning ("Step 1: …" parsed into steps) against the annotated steps.
    double reasoningTokenF1 = 0, distinct2 = 0;   // distinct2: mean over generations
    int reasoningCount = 0;
    std::vector<SampleResult> samples;
    int64_t runId = 0;                       // the evaluation's record in the workspace
    double seconds = 0;
    std::string toJson(bool withSamples = false) const;
    // The headline figures under the names of docs/training.md ("accuracy", "blind_accuracy", ...).
    nlohmann::json flatMetrics() const;
    std::string toTable() const;
};

EvalReport evaluateCheckpoint(const EvalOptions& options);

} // namespace ember::train
