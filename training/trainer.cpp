#include "trainer.h"

#include "training_loop.h"
#include "trainer_protocol.h"

namespace ember::train {

TrainResult runTraining(const TrainerOptions& options) { return Trainer(options).run(); }

std::string runDirectory(const std::string& workspaceDir, int64_t runId)
{
    return protocol::runDirectory(workspaceDir, runId);
}

} // namespace ember::train
