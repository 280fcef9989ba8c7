#include "run_state.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace ember::train {

using nlohmann::json;

bool isCheckpointName(const std::string& n)
{
    if (n == "best.safetensors") return true;
    const std::string pre = "ckpt-", suf = ".safetensors";
    if (n.size() <= pre.size() + suf.size() || n.compare(0, pre.size(), pre) || n.compare(n.size() - suf.size(), suf.size(), suf))
        return false;
    const std::string digits = n.substr(pre.size(), n.size() - pre.size() - suf.size());
    return digits.size() <= 18 && std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string RunState::toJson() const
{
    return json{{"step", step}, {"epoch", epoch}, {"index", index}, {"logit_scale_log", logitScaleLog},
                {"best_loss", std::isfinite(bestLoss) ? json(bestLoss) : json(nullptr)}, {"last", last}, {"best", best}}
        .dump(2);
}

RunState RunState::fromJson(const std::string& text)
{
    const json j = json::parse(text);
    RunState s;
    s.step = j.at("step");
    s.epoch = j.at("epoch");
    s.index = j.at("index");
    s.logitScaleLog = j.at("logit_scale_log");
    s.bestLoss = j.at("best_loss").is_null() ? std::numeric_limits<double>::infinity() : j.at("best_loss").get<double>();
    s.last = j.value("last", "");
    s.best = j.value("best", "");
    // The names come from a file anyone could edit: only this run's own checkpoint names are
    // loaded (and later deleted), never a path that leads elsewhere.
    for (const std::string* name : {&s.last, &s.best})
        if (!name->empty() && !isCheckpointName(*name))
            throw std::runtime_error("state.json names '" + *name + "', which is not a checkpoint of this run; refused");
    // Numbers from the same file: a negative step once resumed into 10^8 steps.
    auto refuse = [](const std::string& what) { throw std::runtime_error("state.json: " + what + "; refused"); };
    if (s.step < 0 || s.epoch < 0 || s.index < 0)
        refuse("a negative step, epoch or batch index");
    if (!std::isfinite(s.logitScaleLog))
        refuse("the contrastive temperature is not a number");
    if (std::isnan(s.bestLoss) || s.bestLoss < 0)
        refuse("the best loss is not a loss");
    return s;
}

void RunState::checkAgainst(int64_t totalSteps, int64_t batchesPerEpoch) const
{
    if (step > totalSteps)
        throw std::runtime_error("state.json: step " + std::to_string(step) + " is past this run's " +
                                 std::to_string(totalSteps) + " steps; refused");
    if (index >= batchesPerEpoch)
        throw std::runtime_error("state.json: batch " + std::to_string(index) + " is past an epoch's " +
                                 std::to_string(batchesPerEpoch) + " batches; refused");
}

std::string siblingFile(const std::string& name, const std::string& extension)
{
    return name.substr(0, name.find('.')) + extension;
}

} // namespace ember::train
