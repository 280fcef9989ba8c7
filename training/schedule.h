#pragma once
// Learning-rate schedule: linear warm-up from 0, then cosine decay to minRatio × peak.
#include <cstdint>

namespace ember::train {

struct Schedule {
    double peak = 3e-4;
    int64_t warmupSteps = 0;
    int64_t totalSteps = 1;
    double minRatio = 0.1;
    double at(int64_t step) const;   // step counts optimizer steps from 0
};

} // namespace ember::train
