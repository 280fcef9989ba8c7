#include "parameter_groups.h"

#include <algorithm>

namespace ember::train {

namespace {
bool startsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

double learningRateScale(const std::string& part, const TrainConfig& cfg)
{
    if (part == "vision") return cfg.stage == 1 && !cfg.alignment_trains_vision ? 0.0 : cfg.vision_lr_scale;
    if (part == "projection") return cfg.projection_lr_scale;
    return 1.0;
}

std::unique_ptr<torch::optim::AdamWOptions> adamW(double lr, double weightDecay)
{
    auto opts = std::make_unique<torch::optim::AdamWOptions>(lr);
    opts->weight_decay(weightDecay);
    return opts;
}
} // namespace

std::string partOf(const std::string& name)
{
    for (const char* p : {"vision", "projection", "language_model", "reasoning"})
        if (startsWith(name, std::string(p) + "."))
            return p;
    return "";
}

ParameterGroups ParameterGroups::build(EmberVLMImpl& model, const TrainConfig& cfg, torch::nn::Linear sceneHead,
                                       const torch::Tensor& logitScale)
{
    ParameterGroups out;
    auto add = [&](std::vector<torch::Tensor> ps, Group g, double weightDecay) {
        out.optimizerGroups.emplace_back(ps, adamW(cfg.lr * g.scale, weightDecay));
        out.groups.push_back(std::move(g));
        out.trainable.insert(out.trainable.end(), ps.begin(), ps.end());
    };
    for (const char* part : {"vision", "projection", "language_model", "reasoning"}) {
        for (bool decay : {true, false}) {
            std::vector<torch::Tensor> ps;
            for (auto& [name, t] : stateDict(model))
                if (partOf(name) == part && t.is_floating_point() && t.requires_grad() == true &&
                    name.find("running_") == std::string::npos && (t.dim() >= 2) == decay)
                    ps.push_back(t);
            if (!ps.empty())
                add(ps, {part, decay, learningRateScale(part, cfg)}, decay ? cfg.weight_decay : 0.0);
        }
    }
    if (sceneHead)
        add(sceneHead->parameters(), {"scene", false, 1.0}, 0.0);
    if (cfg.stage == 1)
        add({logitScale}, {"temperature", false, 1.0}, 0.0);
    return out;
}

bool applyFreezing(EmberVLMImpl& model, const TrainConfig& cfg, int phase)
{
    const auto frozen = cfg.frozenParts(phase);
    for (auto& [name, t] : stateDict(model)) {
        if (!t.is_floating_point() || name.find("running_") != std::string::npos)
            continue;
        const bool freeze = contains(frozen, partOf(name));
        t.set_requires_grad(!freeze);
        if (freeze && t.grad().defined())
            t.mutable_grad().reset();
    }
    model.train();
    const bool visionFrozen = contains(frozen, "vision");
    if (visionFrozen)
        model.vision->eval();   // frozen BatchNorm keeps its statistics
    return visionFrozen;
}

} // namespace ember::train
