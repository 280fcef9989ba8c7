#pragma once
// Facts about a configuration without loading weights (torch-free interface).
#include "config.h"

#include <string>
#include <utility>
#include <vector>

namespace ember {

// "name [d0,d1] F32" per state-dict entry, in PyTorch's state-dict order (parameters-base.txt).
std::vector<std::string> parameterListing(const ModelConfig& cfg);
// Parameters per component: vision, projection, language_model, reasoning.
std::vector<std::pair<std::string, int64_t>> componentParameters(const ModelConfig& cfg);

} // namespace ember
