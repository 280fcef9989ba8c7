// Stages 3 and 4, robot selection and reasoning: the reasoning module runs its steps on the
// hidden state at the end of the selection prompt; each step's answer is scored against the
// labels, consecutive steps are checked for consistency, and (stage 4) the reasoning text is
// an LM target.
#include "stage_loss.h"

#include "losses.h"

namespace ember::train {

namespace F = torch::nn::functional;

StepResult StageLoss::selection(const Forward& f, int phase)
{
    const auto& b = f.batch;
    auto hAnswer = answerStates(f.hidden, b, f.G);
    auto& rm = *model_.reasoning;
    const int64_t S = std::max<int64_t>(1, model_.cfg.max_reasoning_steps);
    std::vector<torch::Tensor> steps;
    steps.push_back(rm.reasoning_head->forward(hAnswer));
    for (int64_t i = 1; i < S; ++i)
        steps.push_back(rm.reasoning_head->forward(steps.back()));
    auto targets = b.robotTargets / b.robotTargets.sum(1, true).clamp_min(1e-6);
    torch::Tensor answer = torch::zeros({}, f.hidden.options());
    for (const auto& s : steps)
        answer = answer + softTargetCrossEntropy(rm.answer_head->forward(s), targets);
    answer = answer / static_cast<double>(steps.size());
    const torch::Tensor consistency = consistencyLoss(f, steps);

    StepResult r;
    selectionAccuracy(hAnswer, b, r);
    const bool textTrainable = !(cfg_.stage == 4 && phase == 1);
    r.loss = cfg_.answer_weight * answer + cfg_.consistency_weight * consistency +
             (textTrainable ? cfg_.reasoning_text_weight * f.lmLoss : torch::zeros({}, f.hidden.options()));
    r.parts = {{"answer", answer.item<double>()}, {"consistency", consistency.item<double>()},
               {"reasoning_text", f.lmLoss.item<double>()}};
    return r;
}

// Consecutive steps of one sample are positives up to its annotated number of steps (all of them
// when it has none), later ones and another sample's steps negatives.
torch::Tensor StageLoss::consistencyLoss(const Forward& f, const std::vector<torch::Tensor>& steps)
{
    const int64_t S = static_cast<int64_t>(steps.size());
    if (S <= 1)
        return torch::zeros({}, f.hidden.options());
    auto& rm = *model_.reasoning;
    std::vector<torch::Tensor> scores, labels;
    auto n = f.batch.reasoningSteps.to(torch::kLong);
    for (int64_t i = 1; i < S; ++i) {
        auto pos = rm.step_validator->forward(torch::cat({steps[i], steps[i - 1]}, -1)).squeeze(-1);
        scores.push_back(pos);
        labels.push_back(torch::where(n > 0, (n > i).to(pos.dtype()), torch::ones_like(pos)));
        if (f.B > 1) {
            auto neg = rm.step_validator->forward(torch::cat({steps[i], steps[i - 1].roll(1, 0)}, -1)).squeeze(-1);
            scores.push_back(neg);
            labels.push_back(torch::zeros_like(neg));
        }
    }
    auto sc = torch::cat(scores).clamp(1e-6, 1 - 1e-6);
    return F::binary_cross_entropy(sc, torch::cat(labels));
}

// Accuracy of the loop's answer at the model's threshold.
void StageLoss::selectionAccuracy(const torch::Tensor& hAnswer, const data::Batch& b, StepResult& r)
{
    torch::NoGradGuard ng;
    const int64_t S = std::max<int64_t>(1, model_.cfg.max_reasoning_steps);
    auto tr = model_.reasoning->run(hAnswer.detach(), model_.cfg.consistency_threshold, S);
    auto pred = tr.finalLogits.argmax(1);
    auto hit = b.robotTargets.gather(1, pred.unsqueeze(1)).squeeze(1) > 0;
    auto labelled = b.robotTargets.sum(1) > 0;
    r.answered = labelled.sum().item<int64_t>();
    r.correct = (hit & labelled).sum().item<int64_t>();
}

} // namespace ember::train
