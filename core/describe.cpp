#include "describe.h"

#include "checkpoint.h"

namespace ember {

std::vector<std::string> parameterListing(const ModelConfig& cfg)
{
    torch::NoGradGuard ng;
    EmberVLM m(cfg);
    std::vector<std::string> lines;
    for (auto& [name, t] : stateDict(*m))
        lines.push_back(name + " " + shapeString(t.sizes().vec()) + " " + (t.scalar_type() == torch::kInt64 ? "I64" : "F32"));
    return lines;
}

std::vector<std::pair<std::string, int64_t>> componentParameters(const ModelConfig& cfg)
{
    EmberVLM m(cfg);
    return parameterCounts(*m);
}

} // namespace ember
