#pragma once
// Training recipes as data: resources/recipes/*.json, compiled into the program. The command
// line's `demo` and the studio's "Train the demo model" read the same one. No torch.
#include "train_config.h"

#include <string>
#include <vector>

namespace ember::train {

struct Recipe {
    std::string name;
    std::string description;
    int64_t worldSamples = 2000;   // the demo world it was measured on
    uint64_t worldSeed = 1;
    // The demo recipe's last measured run, end to end (docs/bench/demo-seed1.json, compiled in):
    // seconds (0 when the build had no such file) and the machine it ran on.
    double measuredSeconds = 0;
    std::string measuredOn;
    std::vector<std::string> stages;   // each stage's TrainConfig fields, as JSON

    // Stage s (1..4): TrainConfig::forStage(s) with the recipe's fields; max_steps × stepsScale
    // (at least 1).
    TrainConfig stage(int s, double stepsScale = 1.0) const;
};

// Throws std::invalid_argument naming what is wrong.
Recipe parseRecipe(const std::string& json);
const Recipe& demoRecipe();

} // namespace ember::train
