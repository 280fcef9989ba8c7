// Stage 1, alignment: the projected visual tokens learn to sit where the caption's text does
// (contrastive), and the language model learns to caption from them.
#include "stage_loss.h"

#include "losses.h"

namespace ember::train {

StepResult StageLoss::alignment(const Forward& f)
{
    auto& lm = *model_.language_model;
    const auto& b = f.batch;
    // Contrastive: pooled projected visual tokens vs pooled caption states (text alone).
    torch::Tensor contrastive = torch::zeros({}, f.hidden.options());
    if (f.B > 1 && cfg_.contrastive_weight > 0) {
        auto textH = lm.forward(lm.embed(b.inputIds), nullptr, b.attentionMask);
        auto m = b.attentionMask.to(textH.dtype()).unsqueeze(-1);
        auto textPooled = (textH * m).sum(1) / m.sum(1).clamp_min(1.0);
        contrastive = contrastiveLoss(f.visual.mean(1), textPooled, logitScaleLog_);
    }
    StepResult r;
    r.loss = cfg_.contrastive_weight * contrastive + cfg_.caption_weight * f.lmLoss;
    const double temperature = logitScaleLog_.defined() ? 1.0 / std::min(100.0, std::exp(logitScaleLog_.item<double>())) : 0.0;
    r.parts = {{"contrastive", contrastive.item<double>()}, {"caption", f.lmLoss.item<double>()}, {"temperature", temperature}};
    return r;
}

} // namespace ember::train
