#pragma once
// What a resume needs beyond the weights (state.json in the run's folder): optimizer steps done,
// the data position, the stage-1 temperature and the run's checkpoint names. No torch.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace ember::train {

// "ckpt-<step>.safetensors" or "best.safetensors": a plain file name inside the run's folder.
bool isCheckpointName(const std::string& name);

struct RunState {
    int64_t step = 0;                 // optimizer steps done
    int64_t epoch = 0, index = 0;     // next batch
    double logitScaleLog = std::log(1.0 / 0.07);
    double bestLoss = std::numeric_limits<double>::infinity();
    std::string last, best;           // checkpoint file names inside the run directory

    bool started() const { return step > 0 || index > 0 || epoch > 0; }
    std::string toJson() const;
    // Throws for malformed text, and refuses names that are not this run's checkpoints and
    // numbers no run can have (negative, not finite).
    static RunState fromJson(const std::string& text);
    // Refuses a step past the run's end or a batch past an epoch (the file is anyone's to edit).
    void checkAgainst(int64_t totalSteps, int64_t batchesPerEpoch) const;
};

// The file beside checkpoint `name` with this extension: "ckpt-40.safetensors" → "ckpt-40.optim.pt".
std::string siblingFile(const std::string& name, const std::string& extension);

} // namespace ember::train
