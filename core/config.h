#pragma once
// Model configuration: presets and JSON overrides. No torch, no Qt.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ember {

// Robot label order is fixed by MODEL.md and travels inside every checkpoint.
const std::vector<std::string>& defaultRobotLabels();

struct ModelConfig {
    std::string preset = "base";
    // Vision: RepViT with four stages.
    std::vector<int64_t> vision_widths{48, 96, 192, 384};
    std::vector<int64_t> vision_depths{2, 2, 14, 2};
    std::vector<int64_t> visual_grid{1, 1};   // [rows, cols] of visual tokens
    int64_t image_size = 224;
    // Projection MLP.
    int64_t proj_hidden = 768;
    // GPT-2 language model.
    int64_t vocab_size = 50262;
    int64_t n_positions = 1024;
    int64_t n_embd = 384;
    int64_t n_layer = 6;
    int64_t n_head = 6;
    int64_t n_inner = 1536;
    double layer_norm_eps = 1e-5;
    double dropout = 0.1;
    // Reasoning module.
    int64_t reasoning_hidden = 768;
    int64_t validator_hidden = 384;
    int64_t answer_hidden = 192;
    int64_t num_robots = 5;
    int64_t max_reasoning_steps = 4;
    double consistency_threshold = 0.5;
    std::vector<std::string> robot_labels = defaultRobotLabels();

    // "base", "lite" or "reasoning"; throws std::invalid_argument for other names.
    static ModelConfig preset_named(const std::string& name);
    static std::vector<std::string> presetNames();
    // Applies a JSON object of field overrides; unknown keys and wrong types throw
    // std::invalid_argument naming the key.
    void applyOverrides(const std::string& json);
    static ModelConfig fromJson(const std::string& json);   // preset from "preset", then overrides
    std::string toJson() const;
    // Throws std::invalid_argument when fields are inconsistent (e.g. n_embd % n_head != 0).
    void validate() const;

    void applyParsed(const nlohmann::json& j);

    int64_t visualTokens() const { return visual_grid[0] * visual_grid[1]; }
    int64_t visionDim() const { return vision_widths.back(); }
};

} // namespace ember
