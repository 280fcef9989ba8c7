#pragma once
// Which parameters a stage trains, and at which learning rate: one AdamW group per model part
// and decay kind (no weight decay on biases and normalisation weights), plus the auxiliary
// scene head and the stage-1 temperature. Internal (torch).
#include "model.h"
#include "train_config.h"

#include <string>
#include <vector>

namespace ember::train {

// "vision" | "projection" | "language_model" | "reasoning" for a parameter name, else "".
std::string partOf(const std::string& parameterName);

struct ParameterGroups {
    struct Group {
        std::string part;
        bool decay = false;
        double scale = 1.0;   // of the schedule's learning rate
    };
    std::vector<Group> groups;                                  // parallel to optimizerGroups
    std::vector<torch::optim::OptimizerParamGroup> optimizerGroups;
    std::vector<torch::Tensor> trainable;                       // every parameter above

    // sceneHead and logitScale may be undefined/null (not trained in this stage).
    static ParameterGroups build(EmberVLMImpl& model, const TrainConfig& cfg, torch::nn::Linear sceneHead,
                                 const torch::Tensor& logitScale);
};

// Freezes the parts the stage leaves alone in this phase (and drops their gradients), sets train
// mode; a frozen vision tower stays in eval mode so BatchNorm keeps its statistics. Returns
// whether vision is frozen.
bool applyFreezing(EmberVLMImpl& model, const TrainConfig& cfg, int phase);

} // namespace ember::train
