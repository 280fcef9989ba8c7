#include "train_config.h"

#include "json_parse.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace ember::train {

using nlohmann::json;

extern const char* const kStageDefaultsJson;   // generated from resources/recipes/stage-defaults.json

namespace {

// Each stage's fields from the data file, as JSON text for applyJson; parsed once.
const std::vector<std::string>& stageDefaults()
{
    static const std::vector<std::string> stages = [] {
        const json j = json::parse(kStageDefaultsJson);
        std::vector<std::string> out(4);
        for (const auto& s : j.at("stages")) {
            const int stage = s.at("stage").get<int>();
            if (stage < 1 || stage > 4)
                throw std::logic_error("stage-defaults.json: no stage " + std::to_string(stage));
            out[size_t(stage - 1)] = s.dump();
        }
        return out;
    }();
    return stages;
}

} // namespace

TrainConfig TrainConfig::forStage(int stage)
{
    TrainConfig c;
    c.stage = stage;
    if (stage >= 1 && stage <= 4)
        c.applyJson(stageDefaults()[size_t(stage - 1)]);
    return c;
}

#define EMBER_FIELDS(X)                                                                              \
    X(stage) X(phase) X(preset) X(model_overrides) X(init_checkpoint) X(seed) X(epochs) X(max_steps)  \
    X(batch_size) X(accumulation) X(lr) X(vision_lr_scale) X(projection_lr_scale) X(weight_decay)      \
    X(warmup_steps) X(min_lr_ratio) X(grad_clip) X(freeze) X(split) X(eval_split) X(image_size)        \
    X(max_tokens) X(lm_max_positions) X(lm_vocab) X(cache_frozen_vision) X(checkpoint_every) X(eval_every) X(eval_batches)             \
    X(contrastive_weight) X(caption_weight) X(sft_weight) X(distill_weight) X(distill_temperature)     \
    X(teacher_checkpoint) X(teacher_logits) X(answer_weight) X(consistency_weight) X(reasoning_text_weight) \
    X(alignment_trains_vision) X(scene_weight) X(flip_images) X(text_mix) X(text_mix_weight) X(text_mix_batch_size)

namespace {

// Reads one field strictly: integers must be integers that fit the field (nlohmann's get<int>
// wraps 99999999999 and turns -1 into a huge unsigned), numbers must be numbers.
template <typename T>
void readField(const std::string& key, const json& v, T& out)
{
    if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean()) throw std::invalid_argument("training config field '" + key + "' must be true or false");
        out = v.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number_integer()) throw std::invalid_argument("training config field '" + key + "' must be an integer");
        const bool fits = v.is_number_unsigned()
                              ? v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
                              : v.get<int64_t>() >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                    (std::is_unsigned_v<T> || v.get<int64_t>() <= static_cast<int64_t>(std::numeric_limits<T>::max()));
        if (!fits) throw std::invalid_argument("training config field '" + key + "' is out of range (" + v.dump() + ")");
        out = v.is_number_unsigned() ? static_cast<T>(v.get<uint64_t>()) : static_cast<T>(v.get<int64_t>());
    } else if constexpr (std::is_floating_point_v<T>) {
        if (!v.is_number()) throw std::invalid_argument("training config field '" + key + "' must be a number");
        out = v.get<T>();
    } else if constexpr (std::is_same_v<T, std::string>) {
        // model_overrides is JSON: a recipe file writes it as an object, the command line as text.
        if (key == "model_overrides" && v.is_object()) out = v.dump();
        else if (!v.is_string()) throw std::invalid_argument("training config field '" + key + "' must be a string");
        else out = v.get<std::string>();
    } else {
        out = v.get<T>();
    }
}

} // namespace

void TrainConfig::applyJson(const std::string& text)
{
    if (text.empty())
        return;
    const json j = parseJsonOrThrow(text, "training config");
    if (!j.is_object())
        throw std::invalid_argument("training config must be a JSON object");
    TrainConfig c = *this;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        bool known = false;
        try {
#define X(f)                                                                                           \
    if (k == #f) {                                                                                     \
        readField(k, it.value(), c.f);                                                                 \
        known = true;                                                                                  \
    }
            EMBER_FIELDS(X)
#undef X
        } catch (const json::exception&) {
            throw std::invalid_argument("training config field '" + k + "' has the wrong type");
        }
        if (!known)
            throw std::invalid_argument("unknown training config field '" + k + "'");
    }
    c.validate();
    *this = std::move(c);
}

std::string TrainConfig::toJson() const
{
    json j;
#define X(f) j[#f] = f;
    EMBER_FIELDS(X)
#undef X
    return j.dump();
}

void TrainConfig::validate() const
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("invalid training config: " + m); };
    if (stage < 1 || stage > 4) fail("stage must be 1, 2, 3 or 4");
    if (phase < 0 || phase > 2 || (phase && stage != 4)) fail("phase is 1 or 2, and only for stage 4");
    // Upper bounds: a typo must not start a run that never ends or allocates without limit.
    if (epochs < 0 || epochs > 100000) fail("epochs must be in 0..100000");
    if (max_steps < 0 || max_steps > 10000000) fail("max_steps must be in 0..10000000 (0: as many as the epochs give)");
    if (epochs < 1 && max_steps < 1) fail("give epochs or max_steps");
    if (batch_size < 1 || batch_size > 4096) fail("batch_size must be in 1..4096");
    if (accumulation < 1 || accumulation > 1024) fail("accumulation must be in 1..1024");
    if (!(lr > 0 && lr < 1)) fail("lr must be in (0, 1)");
    if (vision_lr_scale < 0 || projection_lr_scale < 0) fail("learning-rate scales must be non-negative");
    if (weight_decay < 0) fail("weight_decay must be non-negative");
    if (warmup_steps < 0 || warmup_steps > 10000000) fail("warmup_steps must be in 0..10000000");
    if (min_lr_ratio < 0 || min_lr_ratio > 1) fail("min_lr_ratio must be in [0, 1]");
    if (grad_clip < 0) fail("grad_clip must be non-negative");
    for (const auto& f : freeze)
        if (f != "vision" && f != "projection" && f != "language_model" && f != "reasoning")
            fail("freeze entries are vision, projection, language_model or reasoning (got '" + f + "')");
    if (split != "train" && split != "val" && split != "test" && split != "all") fail("split is train, val, test or all");
    if (eval_split != "train" && eval_split != "val" && eval_split != "test" && eval_split != "all" && eval_split != "none")
        fail("eval_split is train, val, test, all or none");
    if (image_size != 0 && (image_size < 32 || image_size % 32)) fail("image_size must be 0 or a multiple of 32");
    if (max_tokens < 8 || max_tokens > 1000) fail("max_tokens must be in 8..1000");
    if (lm_max_positions < 0 || lm_max_positions > 1000000) fail("lm_max_positions must be in 0..1000000");
    if (lm_vocab != "full" && lm_vocab != "workspace") fail("lm_vocab is full or workspace");
    if (checkpoint_every < 1) fail("checkpoint_every must be at least 1");
    if (eval_every < 0) fail("eval_every must be non-negative");
    if (eval_batches < 1 || eval_batches > 1000000) fail("eval_batches must be in 1..1000000");
    if (!(distill_temperature > 0 && distill_temperature <= 100)) fail("distill_temperature must be in (0, 100]");
    if (!(scene_weight >= 0)) fail("scene_weight must be non-negative");
    if (!(text_mix_weight >= 0)) fail("text_mix_weight must be non-negative");
    if (text_mix_batch_size < 0 || text_mix_batch_size > 4096) fail("text_mix_batch_size must be in 0..4096");
    for (const auto& m : text_mix)
        if (m != "caption" && m != "answer" && m != "reasoning")
            fail("text_mix entries are caption, answer or reasoning (got '" + m + "')");
}

std::vector<std::string> TrainConfig::frozenParts(int phaseNow) const
{
    std::vector<std::string> parts = freeze;
    if (stage == 1 && !alignment_trains_vision)
        parts.push_back("vision");
    if (stage == 4 && phaseNow == 1) {
        parts.push_back("vision");
        parts.push_back("projection");
        parts.push_back("language_model");
    }
    std::sort(parts.begin(), parts.end());
    parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
    return parts;
}

} // namespace ember::train
