#include "seeded_model.h"

namespace ember {

EmberVLM newSeededModel(const std::string& preset, const std::string& overrides, uint64_t seed)
{
    ModelConfig cfg = ModelConfig::preset_named(preset);
    if (!overrides.empty())
        cfg.applyOverrides(overrides);
    EmberVLM model(cfg);
    initWeights(*model, seed);
    return model;
}

} // namespace ember
