#include "losses.h"

#include <cmath>

namespace ember::train {

namespace F = torch::nn::functional;

torch::Tensor contrastiveLoss(const torch::Tensor& visual, const torch::Tensor& text, const torch::Tensor& logitScaleLog)
{
    auto v = F::normalize(visual, F::NormalizeFuncOptions().dim(-1));
    auto t = F::normalize(text, F::NormalizeFuncOptions().dim(-1));
    auto scale = logitScaleLog.exp().clamp_max(100.0);
    auto logits = scale * torch::matmul(v, t.t());
    auto labels = torch::arange(v.size(0), torch::TensorOptions().dtype(torch::kLong).device(v.device()));
    return 0.5 * (F::cross_entropy(logits, labels) + F::cross_entropy(logits.t(), labels));
}

torch::Tensor maskedLmLoss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& lossMask)
{
    auto flat = logits.reshape({-1, logits.size(-1)});
    auto ce = F::cross_entropy(flat, targets.reshape({-1}), F::CrossEntropyFuncOptions().reduction(torch::kNone));
    auto m = lossMask.reshape({-1}).to(ce.dtype());
    return (ce * m).sum() / m.sum().clamp_min(1.0);
}

torch::Tensor distillationLoss(const torch::Tensor& studentLogits, const torch::Tensor& teacherLogits,
                               const torch::Tensor& lossMask, double T)
{
    auto s = torch::log_softmax(studentLogits / T, -1);
    auto t = torch::log_softmax(teacherLogits.detach() / T, -1);
    auto kl = (t.exp() * (t - s)).sum(-1);   // [B, T]
    auto m = lossMask.to(kl.dtype());
    return (kl * m).sum() / m.sum().clamp_min(1.0) * (T * T);
}

torch::Tensor distillationLossTopK(const torch::Tensor& studentLogits, const torch::Tensor& teacherIds,
                                   const torch::Tensor& teacherLogprobs, const torch::Tensor& lossMask, double T)
{
    // Teacher: softmax(logprob / T) over its k ids equals the tempered distribution restricted there.
    auto t = torch::log_softmax(teacherLogprobs.detach() / T, -1);
    auto s = torch::log_softmax(studentLogits / T, -1).gather(-1, teacherIds);
    auto kl = (t.exp() * (t - s)).sum(-1);
    auto m = lossMask.to(kl.dtype());
    return (kl * m).sum() / m.sum().clamp_min(1.0) * (T * T);
}

torch::Tensor softTargetCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets)
{
    return -(targets * torch::log_softmax(logits, -1)).sum(-1).mean();
}

torch::Tensor consistencyLoss(const torch::Tensor& pos, const torch::Tensor& neg)
{
    auto p = pos.reshape({-1}).clamp(1e-6, 1 - 1e-6);
    auto n = neg.reshape({-1}).clamp(1e-6, 1 - 1e-6);
    auto all = torch::cat({p, n});
    auto target = torch::cat({torch::ones_like(p), torch::zeros_like(n)});
    return F::binary_cross_entropy(all, target);
}

} // namespace ember::train
