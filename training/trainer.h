#pragma once
// One training run of one stage: recorded in the workspace, resumable from its last checkpoint
// exactly as if it had not stopped, and reporting machine-readable progress lines. Torch-free
// interface: the studio and the command line include this.
#include "run_status.h"
#include "train_config.h"

#include <atomic>
#include <functional>
#include <string>

namespace ember::train {

struct TrainerOptions {
    std::string workspaceDir;
    TrainConfig config;
    int64_t resumeRunId = 0;        // continue this run from its last checkpoint
    std::string runName;
    int worldSize = 1, rank = 0;    // data-parallel training (distributed.h)
    std::string master;             // "host:port" of rank 0's store
    // One JSON object per line: {"event":"step"|"eval"|"checkpoint"|"started"|"finished"|"failed"|"stopped", ...}.
    std::function<void(const std::string&)> progress;
    const std::atomic<bool>* stop = nullptr;   // set from a signal handler or another thread
    bool recordMetrics = true;      // rank 0 writes the database
    int64_t injectNanAtStep = 0;    // fault injection for tests: the loss of this step becomes NaN
};

struct TrainResult {
    int64_t runId = 0;
    data::RunStatus status = data::RunStatus::Failed;   // Finished, Paused (stopped) or Failed
    std::string message;
    std::string lastCheckpoint, bestCheckpoint;
    int64_t steps = 0;
    double finalLoss = 0;
    double seconds = 0;
};

// Throws std::exception for set-up errors (bad config, no data, unreadable checkpoint); errors
// during training (NaN loss, a full disk) end the run with status Failed and a message.
TrainResult runTraining(const TrainerOptions& options);

// Directory of a run's files inside the workspace.
std::string runDirectory(const std::string& workspaceDir, int64_t runId);

} // namespace ember::train
