#pragma once
// Rehearsal (TrainConfig::text_mix): alongside each micro-batch of the stage, one batch of each
// earlier kind of text ("caption", "answer", "reasoning") with its own data order, its position a
// function of the step so that a resumed run sees the same batches. Internal (torch).
#include "stage_loss.h"

#include <memory>
#include <string>
#include <vector>

namespace ember::train {

struct Rehearsal {
    std::string kind;
    std::unique_ptr<TrainConfig> cfg;   // the stage's config, as a pure LM loss of that text
    std::unique_ptr<data::BatchBuilder> batches;
    std::unique_ptr<StageLoss> loss;

    // One per kind of cfg.text_mix; `stageBatches` are the stage's own options, `stepsDone` the
    // optimizer steps already taken (a resume).
    static std::vector<Rehearsal> forConfig(const TrainConfig& cfg, const data::BatchOptions& stageBatches,
                                            int worldSize, int64_t stepsDone, data::Workspace& ws,
                                            EmberVLMImpl& model, const torch::Tensor& logitScale);
};

} // namespace ember::train
