#include "convert.h"

#include "checkpoint.h"
#include "seeded_model.h"
#include "torch_state_dict.h"

#include <map>
#include <set>
#include <stdexcept>
#include <sys/stat.h>

namespace ember {

namespace {

std::map<std::string, torch::Tensor> targetState(EmberVLMImpl& m)
{
    std::map<std::string, torch::Tensor> out;
    for (auto& [k, v] : stateDict(m))
        out[k] = v;
    return out;
}

void assign(std::map<std::string, torch::Tensor>& target, const std::string& name, const torch::Tensor& value,
            const std::string& source, const std::string& from)
{
    auto it = target.find(name);
    if (it == target.end())
        throw std::runtime_error(source + ": tensor '" + from + "' maps to '" + name + "', which this model does not have");
    if (it->second.sizes() != value.sizes())
        throw std::runtime_error(source + ": tensor '" + from + "' gives shape " + shapeString(value.sizes().vec()) +
                                 " for '" + name + "', expected " + shapeString(it->second.sizes().vec()));
    it->second.copy_(value.to(it->second.scalar_type()));
}

size_t importTimm(std::map<std::string, torch::Tensor>& target, const std::string& path)
{
    auto file = openStateDict(path);   // safetensors or torch.save, by content
    std::set<std::string> seen;
    for (const auto& v : file->tensors()) {
        if (v.name.rfind("head.", 0) == 0)
            continue;   // timm's classifier head has no place in EmberVLM
        const std::string name = "vision." + v.name;
        assign(target, name, toTensor(v), path, v.name);
        seen.insert(name);
    }
    // Like PyTorch's BatchNorm, a state without num_batches_tracked loads (the counter stays 0):
    // timm and older PyTorch files leave it out.
    auto optional = [](const std::string& n) {
        static const std::string tail = ".num_batches_tracked";
        return n.size() > tail.size() && n.compare(n.size() - tail.size(), tail.size(), tail) == 0;
    };
    for (const auto& [name, t] : target)
        if (name.rfind("vision.", 0) == 0 && !seen.count(name) && !optional(name))
            throw std::runtime_error(path + ": missing tensor '" + name.substr(7) + "' (expected " +
                                     shapeString(t.sizes().vec()) + ")");
    return seen.size();
}

size_t importGpt2(std::map<std::string, torch::Tensor>& target, const std::string& path, int64_t nLayer)
{
    auto file = openStateDict(path);   // safetensors or torch.save, by content
    std::map<std::string, torch::Tensor> src;
    for (const auto& v : file->tensors()) {
        std::string n = v.name;
        if (n.rfind("transformer.", 0) == 0)
            n = n.substr(12);
        src[n] = toTensor(v).to(torch::kFloat32);
    }
    auto need = [&](const std::string& n) -> torch::Tensor {
        auto it = src.find(n);
        if (it == src.end())
            throw std::runtime_error(path + ": missing tensor 'transformer." + n + "'");
        return it->second;
    };
    size_t count = 0;
    auto put = [&](const std::string& to, const torch::Tensor& v, const std::string& from) {
        assign(target, "language_model." + to, v, path, "transformer." + from);
        ++count;
    };
    // Vocabulary grows from GPT-2's 50257 to 50262; the new rows start at the mean embedding.
    auto wte = need("wte.weight");
    auto& ours = target.at("language_model.wte.weight");
    if (wte.dim() != 2 || wte.size(1) != ours.size(1) || wte.size(0) > ours.size(0))
        throw std::runtime_error(path + ": tensor 'transformer.wte.weight' has shape " + shapeString(wte.sizes().vec()) +
                                 ", expected [<=" + std::to_string(ours.size(0)) + "," + std::to_string(ours.size(1)) + "]");
    auto grown = torch::cat({wte, wte.mean(0, true).expand({ours.size(0) - wte.size(0), wte.size(1)})}, 0);
    put("wte.weight", grown, "wte.weight");
    put("wpe.weight", need("wpe.weight"), "wpe.weight");
    for (int64_t i = 0; i < nLayer; ++i) {
        const std::string p = "h." + std::to_string(i) + ".";
        for (const char* ln : {"ln_1", "ln_2"}) {
            put(p + ln + ".weight", need(p + ln + ".weight"), p + ln + ".weight");
            put(p + ln + ".bias", need(p + ln + ".bias"), p + ln + ".bias");
        }
        // Conv1D stores [in, out]; nn.Linear wants [out, in]. c_attn fuses q, k, v along out.
        auto w = need(p + "attn.c_attn.weight");
        auto b = need(p + "attn.c_attn.bias");
        if (w.dim() != 2 || w.size(1) % 3 || b.numel() != w.size(1))
            throw std::runtime_error(path + ": tensor 'transformer." + p + "attn.c_attn.weight' has shape " +
                                     shapeString(w.sizes().vec()) + ", expected [n_embd, 3*n_embd]");
        auto ws = w.chunk(3, 1);
        auto bs = b.chunk(3, 0);
        const char* names[3] = {"q_proj", "k_proj", "v_proj"};
        for (int j = 0; j < 3; ++j) {
            put(p + "attn." + names[j] + ".weight", ws[j].t().contiguous(), p + "attn.c_attn.weight");
            put(p + "attn." + names[j] + ".bias", bs[j].contiguous(), p + "attn.c_attn.bias");
        }
        put(p + "attn.out_proj.weight", need(p + "attn.c_proj.weight").t().contiguous(), p + "attn.c_proj.weight");
        put(p + "attn.out_proj.bias", need(p + "attn.c_proj.bias"), p + "attn.c_proj.bias");
        put(p + "mlp.fc1.weight", need(p + "mlp.c_fc.weight").t().contiguous(), p + "mlp.c_fc.weight");
        put(p + "mlp.fc1.bias", need(p + "mlp.c_fc.bias"), p + "mlp.c_fc.bias");
        put(p + "mlp.fc2.weight", need(p + "mlp.c_proj.weight").t().contiguous(), p + "mlp.c_proj.weight");
        put(p + "mlp.fc2.bias", need(p + "mlp.c_proj.bias"), p + "mlp.c_proj.bias");
    }
    put("ln_f.weight", need("ln_f.weight"), "ln_f.weight");
    put("ln_f.bias", need("ln_f.bias"), "ln_f.bias");
    const std::string extraLayer = "h." + std::to_string(nLayer) + ".ln_1.weight";
    if (src.count(extraLayer))
        throw std::runtime_error(path + ": has more than the model's " + std::to_string(nLayer) + " layers ('transformer." +
                                 extraLayer + "' exists)");
    return count;
}

bool fileExists(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

} // namespace

StateDictKind stateDictKind(const TensorFile& file)
{
    if (file.find("language_model.wte.weight"))
        return StateDictKind::EmberVLM;
    if (file.find("stem.conv1.c.weight"))
        return StateDictKind::TimmVision;
    if ((file.find("transformer.wte.weight") && file.find("transformer.h.0.attn.c_attn.weight")) ||
        (file.find("wte.weight") && file.find("h.0.attn.c_attn.weight")))
        return StateDictKind::HfGpt2;
    return StateDictKind::Unknown;
}

OpenPlan importForOpening(const std::string& path, const std::string& outDir, const std::string& base)
{
    StateDictKind kind = StateDictKind::Unknown;
    try {
        kind = stateDictKind(*openStateDict(path));
    } catch (const std::exception&) {
        return {path, {}};   // loading it gives the reason
    }
    if (kind != StateDictKind::TimmVision && kind != StateDictKind::HfGpt2)
        return {path, {}};
    std::string name = path.substr(path.find_last_of('/') + 1);
    if (const auto dot = name.find_last_of('.'); dot != std::string::npos && dot > 0)
        name.resize(dot);
    std::string out = outDir + "/" + name + "-imported.safetensors";
    for (int i = 2; fileExists(out); ++i)
        out = outDir + "/" + name + "-imported-" + std::to_string(i) + ".safetensors";
    ConvertOptions o;
    o.base = base;
    o.output = out;
    (kind == StateDictKind::TimmVision ? o.timmVision : o.hfGpt2) = path;
    convertCheckpoint(o);
    const char* what = kind == StateDictKind::TimmVision ? "timm RepViT vision weights" : "Hugging Face GPT-2 weights";
    return {out, std::string("Imported ") + what + " from " + path + " into " + out + "; the rest of the model comes from " +
                     (base.empty() ? std::string("a seeded base initialisation") : base) + "."};
}

std::vector<std::string> convertCheckpoint(const ConvertOptions& o)
{
    if (o.output.empty())
        throw std::invalid_argument("convert needs an output file (-o)");
    if (o.timmVision.empty() && o.hfGpt2.empty())
        throw std::invalid_argument("convert needs --timm FILE and/or --gpt2 FILE");
    std::vector<std::string> report;
    EmberVLM model{nullptr};
    if (!o.base.empty()) {
        model = loadCheckpointFile(o.base);
        report.push_back("started from " + o.base);
    } else {
        model = newSeededModel(o.preset, o.configOverrides, o.seed);
        report.push_back("started from a seeded '" + model->cfg.preset + "' initialisation (seed " + std::to_string(o.seed) + ")");
    }
    torch::NoGradGuard ng;
    auto target = targetState(*model);
    if (!o.timmVision.empty())
        report.push_back("vision: " + std::to_string(importTimm(target, o.timmVision)) + " tensors from " + o.timmVision);
    if (!o.hfGpt2.empty())
        report.push_back("language_model: " + std::to_string(importGpt2(target, o.hfGpt2, model->cfg.n_layer)) +
                         " tensors from " + o.hfGpt2);
    saveCheckpointFile(o.output, *model, {{"trained", "false"}, {"source", "convert"}});
    report.push_back("wrote " + o.output);
    return report;
}

} // namespace ember
