// Stage 2, instruction tuning: answers to questions about the image (supervised), optionally
// distilled from a teacher model or from an imported file of a teacher's top-k log-probabilities.
#include "stage_loss.h"

#include "losses.h"

namespace ember::train {

StepResult StageLoss::instruction(const Forward& f)
{
    torch::Tensor distill = torch::zeros({}, f.hidden.options());
    if (teacher_ && f.studentLogits.defined())
        distill = distillFromTeacher(f);
    if (!teacher_ && teacherFile_ && f.studentLogits.defined())
        distill = distillFromFile(f);
    const bool distilling = teacher_ || teacherFile_;
    StepResult r;
    r.loss = cfg_.sft_weight * f.lmLoss + (distilling ? cfg_.distill_weight * distill : torch::zeros({}, f.hidden.options()));
    r.parts = {{"sft", f.lmLoss.item<double>()}, {"distill", distill.item<double>()}};
    return r;
}

torch::Tensor StageLoss::distillFromTeacher(const Forward& f)
{
    const auto& b = f.batch;
    torch::Tensor teacherLogits;
    {
        torch::NoGradGuard ng;
        auto tv = teacher_->visualTokens(teacher_->visionMap(b.images));
        auto th = teacher_->language_model->forward(torch::cat({tv, teacher_->language_model->embed(b.inputIds)}, 1), nullptr,
                                                    sequenceMask(b, tv.size(1)));
        teacherLogits = teacher_->language_model->logits(th.narrow(1, tv.size(1) - 1, f.T).index({f.selected}));
    }
    return distillationLoss(f.studentLogits.unsqueeze(0), teacherLogits.unsqueeze(0), torch::ones({1, teacherLogits.size(0)}),
                            cfg_.distill_temperature);
}

// Imported top-k: the j-th loss position of a row takes the teacher's j-th entry.
torch::Tensor StageLoss::distillFromFile(const Forward& f)
{
    const auto& b = f.batch;
    const int64_t k = teacherFile_->k();
    std::vector<torch::Tensor> tIds, tLp;
    std::vector<float> have;
    auto full = f.lossMask > 0;
    for (int64_t bi = 0; bi < f.B; ++bi) {
        const auto* entry = teacherFile_->find(b.sampleIds[bi].item<int64_t>(), b.qaIndex[bi].item<int64_t>());
        int64_t j = 0;
        for (int64_t t = 0; t < f.T; ++t) {
            if (!full[bi][t].item<bool>())
                continue;
            if (f.selected[bi][t].item<bool>()) {
                const bool ok = entry && j < entry->ids.size(0);
                tIds.push_back(ok ? entry->ids[j] : torch::zeros({k}, torch::kLong));
                tLp.push_back(ok ? entry->logprobs[j] : torch::zeros({k}));
                have.push_back(ok ? 1.f : 0.f);
            }
            ++j;
        }
    }
    auto haveT = torch::tensor(have).unsqueeze(0);
    if (haveT.sum().item<float>() <= 0)
        return torch::zeros({}, f.hidden.options());
    return distillationLossTopK(f.studentLogits.unsqueeze(0), torch::stack(tIds).unsqueeze(0), torch::stack(tLp).unsqueeze(0), haveT,
                                cfg_.distill_temperature);
}

} // namespace ember::train
