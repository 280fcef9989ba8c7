#pragma once
// Analytic FLOP counts (2 per multiply-add) for one image through each component.
#include "config.h"

#include <utility>
#include <vector>

namespace ember {

// vision (encoder at image_size), projection (visual tokens), language_model (the visual tokens
// as a prompt of G positions, plus the tied head at the last one), reasoning (max steps).
std::vector<std::pair<std::string, double>> componentFlops(const ModelConfig& cfg);

} // namespace ember
