#include "trainer.h"

#include "training_loop.h"

namespace ember::train {

TrainResult runTraining(const TrainerOptions& options) { return Trainer(options).run(); }

std::string runDirectory(const std::string& workspaceDir, int64_t runId)
{
    return workspaceDir + "/runs/run-" + std::to_string(runId);
}

} // namespace ember::train
