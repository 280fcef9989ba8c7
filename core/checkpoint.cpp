#include "checkpoint.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <stdexcept>

namespace ember {

std::string shapeString(const std::vector<int64_t>& shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

namespace {

torch::ScalarType scalarType(DType t)
{
    switch (t) {
    case DType::F32: return torch::kFloat32;
    case DType::F16: return torch::kFloat16;
    case DType::BF16: return torch::kBFloat16;
    case DType::I64: return torch::kInt64;
    case DType::F64: return torch::kFloat64;
    case DType::I32: return torch::kInt32;
    case DType::I16: return torch::kInt16;
    case DType::I8: return torch::kInt8;
    case DType::U8: return torch::kUInt8;
    case DType::BOOL: return torch::kBool;
    }
    return torch::kFloat32;
}

DType dtypeOf(const torch::Tensor& t)
{
    switch (t.scalar_type()) {
    case torch::kFloat32: return DType::F32;
    case torch::kFloat16: return DType::F16;
    case torch::kBFloat16: return DType::BF16;
    case torch::kInt64: return DType::I64;
    case torch::kFloat64: return DType::F64;
    case torch::kInt32: return DType::I32;
    case torch::kInt16: return DType::I16;
    case torch::kInt8: return DType::I8;
    case torch::kUInt8: return DType::U8;
    case torch::kBool: return DType::BOOL;
    default: throw std::runtime_error(std::string("cannot store tensors of type ") + c10::toString(t.scalar_type()));
    }
}

} // namespace

torch::Tensor toTensor(const TensorView& v)
{
    auto t = torch::empty(v.shape, torch::TensorOptions().dtype(scalarType(v.dtype)));
    if (v.nbytes)
        std::memcpy(t.data_ptr(), v.data, v.nbytes);   // the mapped data may be unaligned
    return t;
}

NamedTensors readTensors(const TensorFile& file)
{
    NamedTensors out;
    for (const auto& v : file.tensors())
        out.emplace_back(v.name, toTensor(v));
    return out;
}

void writeTensors(const std::string& path, const NamedTensors& tensors,
                  const std::map<std::string, std::string>& metadata)
{
    std::vector<torch::Tensor> keep;   // contiguous CPU copies live until written
    std::vector<TensorToWrite> out;
    for (const auto& [name, t] : tensors) {
        auto c = t.detach().to(torch::kCPU).contiguous();
        keep.push_back(c);
        TensorToWrite w;
        w.name = name;
        w.dtype = dtypeOf(c);
        w.shape = c.sizes().vec();
        w.data = c.data_ptr();
        w.nbytes = c.numel() * c.element_size();
        out.push_back(std::move(w));
    }
    writeSafetensors(path, std::move(out), metadata);
}

ModelConfig configFromShapes(const TensorFile& file, const std::string& configJson, std::vector<std::string>* warnings)
{
    auto shape = [&](const std::string& name) -> const std::vector<int64_t>& {
        const TensorView* v = file.find(name);
        if (!v) throw std::runtime_error("no tensor '" + name + "'");
        return v->shape;
    };
    auto has = [&](const std::string& name) { return file.find(name) != nullptr; };
    nlohmann::json hints = nlohmann::json::object();
    try {
        auto j = nlohmann::json::parse(configJson);
        if (j.is_object()) hints = j;
    } catch (const std::exception&) {
    }
    auto hint = [&](std::initializer_list<const char*> keys, auto fallback) {
        for (const char* k : keys)
            if (hints.contains(k) && hints[k].is_number()) return hints[k].get<decltype(fallback)>();
        return fallback;
    };
    ModelConfig c;
    c.preset = "custom";
    const auto& wte = shape("language_model.wte.weight");
    c.vocab_size = wte.at(0);
    c.n_embd = wte.at(1);
    c.n_positions = shape("language_model.wpe.weight").at(0);
    c.n_layer = 0;
    while (has("language_model.h." + std::to_string(c.n_layer) + ".ln_1.weight")) ++c.n_layer;
    c.n_inner = shape("language_model.h.0.mlp.fc1.weight").at(0);
    for (int i = 0; i < 4; ++i) {
        const std::string st = "vision.stages." + std::to_string(i) + ".blocks.";
        c.vision_widths[static_cast<size_t>(i)] = shape(st + "0.token_mixer.conv.c.weight").at(0);
        int64_t d = 0;
        while (has(st + std::to_string(d) + ".token_mixer.conv.c.weight")) ++d;
        c.vision_depths[static_cast<size_t>(i)] = d;
    }
    c.proj_hidden = shape("projection.fc1.weight").at(0);
    c.reasoning_hidden = shape("reasoning.reasoning_head.0.weight").at(0);
    c.validator_hidden = shape("reasoning.step_validator.0.weight").at(0);
    c.answer_hidden = shape("reasoning.answer_head.0.weight").at(0);
    c.num_robots = shape("reasoning.answer_head.2.weight").at(0);
    if (c.num_robots != static_cast<int64_t>(c.robot_labels.size()))
        c.robot_labels.clear();
    for (int64_t i = static_cast<int64_t>(c.robot_labels.size()); i < c.num_robots; ++i)
        c.robot_labels.push_back("robot " + std::to_string(i + 1));
    // What shapes cannot tell: the config's keys (ours, or GPT-2's names), else the default.
    c.layer_norm_eps = hint({"layer_norm_eps", "layer_norm_epsilon"}, c.layer_norm_eps);
    c.image_size = hint({"image_size"}, c.image_size);
    c.max_reasoning_steps = hint({"max_reasoning_steps"}, c.max_reasoning_steps);
    c.consistency_threshold = hint({"consistency_threshold"}, c.consistency_threshold);
    if (hints.contains("visual_grid") && hints["visual_grid"].is_array())
        try {
            c.visual_grid = hints["visual_grid"].get<std::vector<int64_t>>();
        } catch (const std::exception&) {
        }
    int64_t heads = hint({"n_head", "num_attention_heads"}, int64_t(0));
    if (heads <= 0) {
        // The presets' head widths: 64 for base (384 / 6), 48 for lite (288 / 6).
        heads = c.n_embd == 384 || c.n_embd == 288 ? 6 : std::max<int64_t>(1, c.n_embd / 64);
        if (warnings)
            warnings->push_back("n_head is not in the file; assumed " + std::to_string(heads));
    }
    c.n_head = heads;
    c.validate();
    return c;
}

CheckpointMeta readCheckpointMeta(const TensorFile& file)
{
    CheckpointMeta m;
    m.raw = file.metadata();
    auto fmt = m.raw.find("format");
    // torch.save(model.state_dict()) carries no metadata: EmberVLM's own names make it ours.
    const bool torchStateDict = std::string(file.formatName()) == "PyTorch";
    if (torchStateDict && !file.find("language_model.wte.weight"))
        throw std::runtime_error(file.path() + ": a PyTorch state dict without EmberVLM's tensor names (no "
                                 "'language_model.wte.weight'); use `embervlm convert --timm FILE` or `--gpt2 FILE` "
                                 "for timm or Hugging Face weights");
    if (!torchStateDict && (fmt == m.raw.end() || fmt->second != "embervlm"))
        throw std::runtime_error(file.path() + ": not an EmberVLM checkpoint (metadata format is '" +
                                 (fmt == m.raw.end() ? std::string("missing") : fmt->second) +
                                 "'; use `embervlm convert` for timm or Hugging Face files)");
    auto cfg = m.raw.find("config");
    std::string why;
    if (cfg == m.raw.end()) {
        why = torchStateDict ? "a PyTorch state dict carries no model config" : "the metadata has no model config";
    } else {
        try {
            m.config = ModelConfig::fromJson(cfg->second);
        } catch (const std::exception& e) {
            why = e.what();
        }
    }
    if (!why.empty()) {
        // As PyTorch loads a state dict without asking for a config: the sizes come from the
        // tensors' shapes, what shapes cannot tell from the config's keys (ours or GPT-2's names).
        try {
            m.config = configFromShapes(file, cfg == m.raw.end() ? std::string() : cfg->second, &m.warnings);
        } catch (const std::exception& e) {
            throw std::runtime_error(file.path() + ": " + why + "; reading the sizes from the tensors failed too: " + e.what());
        }
        m.warnings.insert(m.warnings.begin(), "config read from the tensors' shapes (" + why + ")");
    }
    auto labels = m.raw.find("robot_labels");
    if (labels != m.raw.end()) {
        try {
            auto j = nlohmann::json::parse(labels->second);
            m.config.robot_labels = j.get<std::vector<std::string>>();
        } catch (const std::exception&) {
            throw std::runtime_error(file.path() + ": robot_labels metadata is not a JSON list of names");
        }
        // Labels reach terminals and widgets: an escape sequence in a file must not.
        for (const auto& l : m.config.robot_labels)
            if (l.empty() || l.size() > 200 ||
                std::any_of(l.begin(), l.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
                throw std::runtime_error(file.path() + ": robot_labels holds an empty, overlong or control-character name");
        if (static_cast<int64_t>(m.config.robot_labels.size()) != m.config.num_robots)
            throw std::runtime_error(file.path() + ": robot_labels has " + std::to_string(m.config.robot_labels.size()) +
                                     " names, config says " + std::to_string(m.config.num_robots));
    }
    auto trained = m.raw.find("trained");
    // Weights someone saved from PyTorch are taken as trained ones (no metadata can say otherwise).
    m.trained = torchStateDict || (trained != m.raw.end() && trained->second == "true");
    return m;
}

namespace {

// A lower bound on the parameters a config implies, from its largest matrices alone (a double: a
// malformed header may ask for more than int64 holds).
double minimumParameters(const ModelConfig& c)
{
    const double n = static_cast<double>(c.n_embd);
    double p = static_cast<double>(c.vocab_size) * n + static_cast<double>(c.n_positions) * n;   // wte, wpe
    p += static_cast<double>(c.n_layer) * (4.0 * n * n + 2.0 * n * static_cast<double>(c.n_inner));   // attention, MLP
    for (size_t i = 0; i < c.vision_widths.size() && i < c.vision_depths.size(); ++i) {
        const double w = static_cast<double>(c.vision_widths[i]);
        p += static_cast<double>(c.vision_depths[i]) * 4.0 * w * w;   // each block's channel MLP (ratio 2)
    }
    return p;
}

} // namespace

void requireStorageFor(const ModelConfig& cfg, const TensorFile& file)
{
    double stored = 0;   // values, at the narrowest float width (2 bytes)
    for (const auto& v : file.tensors())
        stored += static_cast<double>(v.nbytes) / 2.0;
    const double needed = minimumParameters(cfg);
    if (needed > stored) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "its config asks for at least %.3g parameters but the file stores %.3g values", needed,
                      stored);
        throw std::runtime_error(file.path() + ": " + buf + " (a damaged or mismatched header)");
    }
}

void loadState(EmberVLMImpl& model, const TensorFile& file)
{
    torch::NoGradGuard ng;
    std::set<std::string> expected;
    for (auto& [name, t] : stateDict(model)) {
        expected.insert(name);
        const TensorView* v = file.find(name);
        const std::string want = shapeString(t.sizes().vec()) + " " + (t.scalar_type() == torch::kInt64 ? "I64" : "F32");
        if (!v)
            throw std::runtime_error(file.path() + ": missing tensor '" + name + "' (expected " + want + ")");
        if (v->shape != t.sizes().vec())
            throw std::runtime_error(file.path() + ": tensor '" + name + "' has shape " + shapeString(v->shape) +
                                     ", expected " + want);
        const bool wantInt = t.scalar_type() == torch::kInt64;
        if (wantInt ? v->dtype != DType::I64 : !dtypeIsFloating(v->dtype))
            throw std::runtime_error(file.path() + ": tensor '" + name + "' has dtype " + dtypeName(v->dtype) +
                                     ", expected " + want);
        if (t.is_cpu() && t.is_contiguous() && t.scalar_type() == torch::kFloat32 && v->dtype == DType::F32) {
            std::memcpy(t.data_ptr(), v->data, v->nbytes);   // straight from the mapped file, no temporary
        } else {
            t.copy_(toTensor(*v).to(t.device()));
        }
        // A NaN weight turns every output into NaN (probabilities, colours, tokens): refuse it here,
        // with the tensor's name, rather than at every place that shows a number.
        if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
            throw std::runtime_error(file.path() + ": tensor '" + name +
                                     "' holds NaN or infinite values (a diverged or damaged checkpoint)");
    }
    for (const auto& v : file.tensors())
        if (!expected.count(v.name))
            throw std::runtime_error(file.path() + ": unexpected tensor '" + v.name + "' " + shapeString(v.shape) +
                                     " (not part of this model's config)");
}

EmberVLM loadCheckpointFile(const std::string& path, CheckpointMeta* metaOut)
{
    auto file = openStateDict(path);
    auto meta = readCheckpointMeta(*file);
    requireStorageFor(meta.config, *file);
    EmberVLM model(meta.config);
    loadState(*model, *file);
    model->eval();
    if (metaOut)
        *metaOut = std::move(meta);
    return model;
}

void saveCheckpointFile(const std::string& path, const EmberVLMImpl& model, std::map<std::string, std::string> meta,
                        DType floatType)
{
    NamedTensors tensors;
    for (auto& [name, t] : stateDict(model)) {
        auto c = t.detach();
        if (c.is_floating_point() && floatType != DType::F32)
            c = c.to(floatType == DType::F16 ? torch::kFloat16 : torch::kBFloat16);
        tensors.emplace_back(name, c);
    }
    meta["format"] = "embervlm";
    meta["config"] = model.cfg.toJson();
    meta["robot_labels"] = nlohmann::json(model.cfg.robot_labels).dump();
    if (!meta.count("trained"))
        meta["trained"] = "false";
    writeTensors(path, tensors, meta);
}

} // namespace ember
