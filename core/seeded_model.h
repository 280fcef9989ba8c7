#pragma once
// A fresh, deterministically initialised model: what convert and the trainer start from when
// there is no checkpoint. Internal (torch).
#include "model.h"

#include <cstdint>
#include <string>

namespace ember {

// The named preset, then the JSON overrides (skipped when empty), with initWeights(seed).
// Throws std::invalid_argument for an unknown preset or bad overrides.
EmberVLM newSeededModel(const std::string& preset, const std::string& overrides, uint64_t seed);

} // namespace ember
