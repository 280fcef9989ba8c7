#include "fused_ops.h"

#include "kernels.h"

#include <cmath>

namespace ember::train {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct TokenCrossEntropy : torch::autograd::Function<TokenCrossEntropy> {
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& targets)
    {
        const int64_t R = logits.size(0), V = logits.size(1);
        auto lse = torch::empty({R}, torch::kFloat32), loss = torch::empty({R}, torch::kFloat32);
        kernels::softmaxCrossEntropyRows(logits.data_ptr<float>(), targets.data_ptr<int64_t>(), lse.data_ptr<float>(),
                                         loss.data_ptr<float>(), R, V);
        ctx->save_for_backward({logits, targets, lse});
        return loss.mean();
    }

    static tensor_list backward(AutogradContext* ctx, tensor_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto& logits = saved[0];
        const int64_t R = logits.size(0), V = logits.size(1);
        auto grad = torch::empty_like(logits);
        const float scale = grads[0].item<float>() / static_cast<float>(R);
        kernels::softmaxCrossEntropyGrad(logits.data_ptr<float>(), saved[1].data_ptr<int64_t>(),
                                         saved[2].data_ptr<float>(), scale, grad.data_ptr<float>(), R, V);
        return {grad, torch::Tensor()};
    }
};

} // namespace

torch::Tensor tokenCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets)
{
    const bool fused = logits.dim() == 2 && logits.size(0) > 0 && logits.device().is_cpu() &&
                       logits.scalar_type() == torch::kFloat32 && targets.scalar_type() == torch::kLong;
    if (!fused)
        return torch::nn::functional::cross_entropy(logits, targets);
    const auto t = targets.reshape({-1}).contiguous();
    TORCH_CHECK(t.numel() == logits.size(0), "one target per row of logits");
    TORCH_CHECK(t.min().item<int64_t>() >= 0 && t.max().item<int64_t>() < logits.size(1), "target out of range");
    return TokenCrossEntropy::apply(logits.contiguous(), t);
}

void densifyGradients(const std::vector<torch::Tensor>& params)
{
    for (auto p : params)
        if (p.grad().defined() && p.grad().is_sparse())
            p.mutable_grad() = p.grad().to_dense();
}

void FusedAdamW::clearGradients()
{
    for (auto& group : param_groups_)
        for (auto& p : group.params())
            p.mutable_grad() = torch::Tensor();
}

torch::Tensor FusedAdamW::step(LossClosure closure)
{
    torch::NoGradGuard ng;
    torch::Tensor loss;
    if (closure) {
        torch::AutoGradMode grad(true);
        loss = closure();
    }
    for (auto& group : param_groups_) {
        auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
        densifyGradients(group.params());
        for (auto& p : group.params()) {
            if (!p.grad().defined())
                continue;
            const auto& grad = p.grad();
            const bool fused = !o.amsgrad() && p.device().is_cpu() && p.scalar_type() == torch::kFloat32 &&
                               p.is_contiguous() && grad.is_contiguous() && grad.scalar_type() == torch::kFloat32;
            const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
            auto it = state_.find(key);
            if (it == state_.end()) {
                auto s = std::make_unique<torch::optim::AdamWParamState>();
                s->step(0);
                s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                if (o.amsgrad())
                    s->max_exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                it = state_.emplace(key, std::move(s)).first;
            }
            auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
            if (!fused || !st.exp_avg().is_contiguous() || !st.exp_avg_sq().is_contiguous()) {
                // torch's own arithmetic, op by op (AMSGrad, other devices, odd layouts).
                if (o.weight_decay() != 0)
                    p.mul_(1 - o.lr() * o.weight_decay());
                st.step(st.step() + 1);
                const auto [b1, b2] = o.betas();
                const double bc1 = 1 - std::pow(b1, st.step()), bc2 = 1 - std::pow(b2, st.step());
                st.exp_avg().mul_(b1).add_(grad, 1 - b1);
                st.exp_avg_sq().mul_(b2).addcmul_(grad, grad, 1 - b2);
                torch::Tensor denom;
                if (o.amsgrad()) {
                    torch::max_out(st.max_exp_avg_sq(), st.exp_avg_sq(), st.max_exp_avg_sq());
                    denom = (st.max_exp_avg_sq().sqrt() / std::sqrt(bc2)).add_(o.eps());
                } else {
                    denom = (st.exp_avg_sq().sqrt() / std::sqrt(bc2)).add_(o.eps());
                }
                p.addcdiv_(st.exp_avg(), denom, -o.lr() / bc1);
                continue;
            }
            st.step(st.step() + 1);
            const auto [b1, b2] = o.betas();
            const double bc1 = 1 - std::pow(b1, st.step()), bc2 = 1 - std::pow(b2, st.step());
            kernels::adamwStep(p.data_ptr<float>(), grad.data_ptr<float>(), st.exp_avg().data_ptr<float>(),
                               st.exp_avg_sq().data_ptr<float>(), p.numel(),
                               static_cast<float>(1 - o.lr() * o.weight_decay()), static_cast<float>(b1),
                               static_cast<float>(b2), static_cast<float>(o.lr() / bc1),
                               static_cast<float>(std::sqrt(bc2)), static_cast<float>(o.eps()));
        }
    }
    return loss;
}

} // namespace ember::train
