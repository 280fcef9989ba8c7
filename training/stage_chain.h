#pragma once
// "All stages": stages 1 to 4 in order, each starting from the previous one's last checkpoint,
// ending at the first that does not finish. `embervlm train --stage all` and `embervlm demo` both
// run it; they differ only in how a stage's configuration is made and run. Torch-free.
#include "trainer.h"

#include <functional>
#include <string>

namespace ember::train {

constexpr int kFirstStage = 1, kLastStage = 4;

struct StageChain {
    // The stage's configuration; the chain sets its init_checkpoint when the previous stage left one.
    std::function<TrainConfig(int stage)> configFor;
    std::function<TrainResult(const TrainConfig&, int stage)> run;
    std::function<void(int stage, const TrainResult&)> finished;   // optional, after each finished stage
};

// The result of the last stage run: Finished when all four finished, else the one that did not.
// `init` is the checkpoint stage 1 starts from (empty: the configuration's own).
TrainResult runStageChain(const StageChain& chain, std::string init = {});

} // namespace ember::train
