#include "config.h"

#include "json_parse.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ember {

using nlohmann::json;

const std::vector<std::string>& defaultRobotLabels()
{
    static const std::vector<std::string> labels{"Drone", "Underwater Robot", "Humanoid",
                                                 "Robot with Wheels", "Robot with Legs"};
    return labels;
}

std::vector<std::string> ModelConfig::presetNames() { return {"base", "lite", "reasoning"}; }

ModelConfig ModelConfig::preset_named(const std::string& name)
{
    ModelConfig c;
    c.preset = name;
    if (name == "base")
        return c;
    if (name == "lite") {
        // Edge variant: same RepViT-M0.9 vision (so timm weights still import), a 4-layer
        // 288-wide language model; about two thirds of base's parameters (docs/presets.md).
        c.n_embd = 288;
        c.n_head = 6;
        c.n_layer = 4;
        c.n_inner = 1152;
        c.proj_hidden = 576;
        c.reasoning_hidden = 576;
        c.validator_hidden = 288;
        c.answer_hidden = 144;
        return c;
    }
    if (name == "reasoning") {
        // Complex-reasoning variant: base's backbone, a 2×2 visual grid for spatial detail and
        // a longer, stricter reasoning loop.
        c.visual_grid = {2, 2};
        c.max_reasoning_steps = 8;
        c.consistency_threshold = 0.6;
        return c;
    }
    throw std::invalid_argument("unknown preset '" + name + "' (expected base, lite or reasoning)");
}

namespace {

template <typename T>
void take(const json& j, const char* key, T& out)
{
    auto it = j.find(key);
    if (it == j.end())
        return;
    try {
        out = it->get<T>();
    } catch (const json::exception&) {
        throw std::invalid_argument(std::string("config field '") + key + "' has the wrong type");
    }
}

} // namespace

void ModelConfig::applyOverrides(const std::string& text)
{
    const json j = parseJsonOrThrow(text, "config");
    if (!j.is_object())
        throw std::invalid_argument("config overrides must be a JSON object");
    static const std::vector<std::string> known{
        "preset", "vision_widths", "vision_depths", "visual_grid", "image_size", "proj_hidden",
        "vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "n_inner", "layer_norm_eps",
        "dropout", "reasoning_hidden", "validator_hidden", "answer_hidden", "num_robots",
        "max_reasoning_steps", "consistency_threshold", "robot_labels"};
    for (auto it = j.begin(); it != j.end(); ++it)
        if (std::find(known.begin(), known.end(), it.key()) == known.end())
            throw std::invalid_argument("unknown config field '" + it.key() + "'");
    // All or nothing: a failed override leaves this config as it was.
    ModelConfig c = *this;
    c.applyParsed(j);
    *this = std::move(c);
}

void ModelConfig::applyParsed(const nlohmann::json& j)
{
    take(j, "preset", preset);
    take(j, "vision_widths", vision_widths);
    take(j, "vision_depths", vision_depths);
    take(j, "visual_grid", visual_grid);
    take(j, "image_size", image_size);
    take(j, "proj_hidden", proj_hidden);
    take(j, "vocab_size", vocab_size);
    take(j, "n_positions", n_positions);
    take(j, "n_embd", n_embd);
    take(j, "n_layer", n_layer);
    take(j, "n_head", n_head);
    take(j, "n_inner", n_inner);
    take(j, "layer_norm_eps", layer_norm_eps);
    take(j, "dropout", dropout);
    take(j, "reasoning_hidden", reasoning_hidden);
    take(j, "validator_hidden", validator_hidden);
    take(j, "answer_hidden", answer_hidden);
    take(j, "num_robots", num_robots);
    take(j, "max_reasoning_steps", max_reasoning_steps);
    take(j, "consistency_threshold", consistency_threshold);
    take(j, "robot_labels", robot_labels);
    validate();
}

ModelConfig ModelConfig::fromJson(const std::string& text)
{
    const json j = parseJsonOrThrow(text, "config");
    ModelConfig c;
    if (j.is_object() && j.contains("preset") && j["preset"].is_string()) {
        const auto name = j["preset"].get<std::string>();
        // A checkpoint may carry a preset name we do not know; its fields still define it.
        try {
            c = preset_named(name);
        } catch (const std::invalid_argument&) {
            c.preset = name;
        }
    }
    c.applyOverrides(text);
    return c;
}

std::string ModelConfig::toJson() const
{
    json j{{"preset", preset},
           {"vision_widths", vision_widths},
           {"vision_depths", vision_depths},
           {"visual_grid", visual_grid},
           {"image_size", image_size},
           {"proj_hidden", proj_hidden},
           {"vocab_size", vocab_size},
           {"n_positions", n_positions},
           {"n_embd", n_embd},
           {"n_layer", n_layer},
           {"n_head", n_head},
           {"n_inner", n_inner},
           {"layer_norm_eps", layer_norm_eps},
           {"dropout", dropout},
           {"reasoning_hidden", reasoning_hidden},
           {"validator_hidden", validator_hidden},
           {"answer_hidden", answer_hidden},
           {"num_robots", num_robots},
           {"max_reasoning_steps", max_reasoning_steps},
           {"consistency_threshold", consistency_threshold},
           {"robot_labels", robot_labels}};
    return j.dump();
}

void ModelConfig::validate() const
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("invalid config: " + m); };
    if (vision_widths.size() != 4 || vision_depths.size() != 4)
        fail("vision_widths and vision_depths need 4 entries");
    for (auto w : vision_widths)
        if (w <= 0 || w % 2 || w > 4096)
            fail("vision widths must be even and in 2..4096");
    for (auto d : vision_depths)
        if (d < 1 || d > 64)
            fail("vision depths must be in 1..64");
    if (visual_grid.size() != 2 || visual_grid[0] < 1 || visual_grid[1] < 1 || visual_grid[0] > 7 ||
        visual_grid[1] > 7)
        fail("visual_grid must be [rows, cols] with each in 1..7");
    if (image_size < 32 || image_size > 2048 || image_size % 32)
        fail("image_size must be a multiple of 32 in 32..2048");
    if (n_embd <= 0 || n_head <= 0 || n_embd % n_head)
        fail("n_embd must be a positive multiple of n_head");
    if (n_layer < 1 || n_inner < 1 || proj_hidden < 1 || n_positions < 8)
        fail("sizes must be positive");
    // Upper bounds keep a malformed checkpoint header from asking for unbounded memory.
    if (n_embd > 8192 || n_layer > 256 || n_inner > 65536 || proj_hidden > 65536 || n_positions > 65536 ||
        reasoning_hidden > 65536 || validator_hidden > 65536 || answer_hidden > 65536 || num_robots > 1024)
        fail("a size is implausibly large");
    if (vocab_size < 50262 || vocab_size > 1000000)
        fail("vocab_size must be in 50262..1000000 (GPT-2 plus five special tokens, at least)");
    if (num_robots < 1 || static_cast<int64_t>(robot_labels.size()) != num_robots)
        fail("robot_labels must have num_robots entries");
    if (max_reasoning_steps < 1 || max_reasoning_steps > 64)
        fail("max_reasoning_steps must be in 1..64");
    if (!(consistency_threshold >= 0.0 && consistency_threshold <= 1.0))
        fail("consistency_threshold must be in [0, 1]");
    if (!(dropout >= 0.0 && dropout < 1.0))
        fail("dropout must be in [0, 1)");
    if (reasoning_hidden < 1 || validator_hidden < 1 || answer_hidden < 1)
        fail("reasoning sizes must be positive");
}

} // namespace ember
