#include "schedule.h"

#include <algorithm>
#include <cmath>

namespace ember::train {

double Schedule::at(int64_t step) const
{
    if (warmupSteps > 0 && step < warmupSteps)
        return peak * double(step + 1) / double(warmupSteps);
    const int64_t span = std::max<int64_t>(1, totalSteps - warmupSteps);
    const double progress = std::clamp(double(step - warmupSteps) / double(span), 0.0, 1.0);
    const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
    return peak * (minRatio + (1.0 - minRatio) * cosine);
}

} // namespace ember::train
