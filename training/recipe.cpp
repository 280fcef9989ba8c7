#include "recipe.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ember::train {

extern const char* const kDemoRecipeJson;   // generated from resources/recipes/demo.json
extern const double kDemoMeasuredSeconds;   // and from docs/bench/demo-seed1.json
extern const char* const kDemoMeasuredOn;

using nlohmann::json;

TrainConfig Recipe::stage(int s, double stepsScale) const
{
    if (s < 1 || s > static_cast<int>(stages.size()))
        throw std::invalid_argument("recipe " + name + " has no stage " + std::to_string(s));
    TrainConfig c = TrainConfig::forStage(s);
    c.applyJson(stages[static_cast<size_t>(s - 1)]);
    c.stage = s;
    if (stepsScale != 1.0 && c.max_steps > 0)
        c.max_steps = std::max<int64_t>(1, static_cast<int64_t>(std::floor(double(c.max_steps) * stepsScale)));
    return c;
}

Recipe parseRecipe(const std::string& text)
{
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("stages") || !j["stages"].is_array() || j["stages"].size() != 4)
        throw std::invalid_argument("a recipe is a JSON object with four \"stages\"");
    Recipe r;
    r.name = j.value("name", "");
    r.description = j.value("description", "");
    if (j.contains("world")) {
        r.worldSamples = j["world"].value("samples", r.worldSamples);
        r.worldSeed = j["world"].value("seed", r.worldSeed);
    }
    for (const auto& s : j["stages"]) {
        if (!s.is_object())
            throw std::invalid_argument("recipe " + r.name + ": each stage is a JSON object");
        r.stages.push_back(s.dump());
    }
    for (int s = 1; s <= 4; ++s)
        r.stage(s);   // every field checked now, not when stage 4 starts
    return r;
}

const Recipe& demoRecipe()
{
    static const Recipe r = [] {
        Recipe d = parseRecipe(kDemoRecipeJson);
        d.measuredSeconds = kDemoMeasuredSeconds;
        d.measuredOn = kDemoMeasuredOn;
        return d;
    }();
    return r;
}

} // namespace ember::train
