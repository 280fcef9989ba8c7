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

NamedTensors readTensors(const SafetensorsFile& file)
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

CheckpointMeta readCheckpointMeta(const SafetensorsFile& file)
{
    CheckpointMeta m;
    m.raw = file.metadata();
    auto fmt = m.raw.find("format");
    if (fmt == m.raw.end() || fmt->second != "embervlm")
        throw std::runtime_error(file.path() + ": not an EmberVLM checkpoint (metadata format is '" +
                                 (fmt == m.raw.end() ? std::string("missing") : fmt->second) +
                                 "'; use `embervlm convert` for timm or Hugging Face files)");
    auto cfg = m.raw.find("config");
    if (cfg == m.raw.end())
        throw std::runtime_error(file.path() + ": checkpoint metadata has no model config");
    try {
        m.config = ModelConfig::fromJson(cfg->second);
    } catch (const std::exception& e) {
        throw std::runtime_error(file.path() + ": " + e.what());
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
    m.trained = trained != m.raw.end() && trained->second == "true";
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

void requireStorageFor(const ModelConfig& cfg, const SafetensorsFile& file)
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

void loadState(EmberVLMImpl& model, const SafetensorsFile& file)
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
        if (wantInt != (v->dtype == DType::I64))
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
    auto file = SafetensorsFile::open(path);
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
