#include "stage_loss.h"

#include "fused_ops.h"

#include "losses.h"
#include "tokenizer.h"

namespace ember::train {

namespace F = torch::nn::functional;

torch::Tensor answerPositions(const torch::Tensor& ids, const torch::Tensor& mask)
{
    const int64_t T = ids.size(1);
    auto last = mask.sum(1) - 1;   // last real token
    auto isStart = (ids == Tokenizer::kReasoningStart).to(torch::kLong);
    auto pos = torch::arange(T, ids.options()).unsqueeze(0).expand_as(ids);
    // First <|reasoning_start|>: smallest position where it occurs (T when absent).
    auto first = torch::where(isStart.to(torch::kBool), pos, torch::full_like(pos, T)).amin(1);
    return torch::where(first < T, first - 1, last).clamp_min(0);
}

torch::Tensor sequenceMask(const data::Batch& b, int64_t visualTokens)
{
    const int64_t B = b.inputIds.size(0);
    return torch::cat({b.hasImage.to(torch::kLong).unsqueeze(1).expand({B, visualTokens}), b.attentionMask}, 1);
}

torch::Tensor answerStates(const torch::Tensor& h, const data::Batch& b, int64_t visualTokens)
{
    const int64_t B = h.size(0);
    auto pos = answerPositions(b.inputIds, b.attentionMask) + visualTokens;
    return h.gather(1, pos.view({B, 1, 1}).expand({B, 1, h.size(2)})).squeeze(1);
}

StageLoss::StageLoss(EmberVLMImpl& model, const TrainConfig& cfg, EmberVLMImpl* teacher, torch::Tensor logitScaleLog,
                     const TeacherFile* teacherFile)
    : model_(model), cfg_(cfg), teacher_(teacher), logitScaleLog_(std::move(logitScaleLog)), teacherFile_(teacherFile)
{
}

void StageLoss::setVocabulary(const std::vector<int64_t>& ids)
{
    const int64_t V = model_.cfg.vocab_size;
    std::vector<int64_t> kept, index(static_cast<size_t>(V), -1);
    for (auto id : ids)
        if (id >= 0 && id < V && index[static_cast<size_t>(id)] < 0) {
            index[static_cast<size_t>(id)] = static_cast<int64_t>(kept.size());
            kept.push_back(id);
        }
    const auto dev = model_.language_model->wte->weight.device();
    vocabIds_ = torch::tensor(kept, torch::kLong).to(dev);
    vocabIndex_ = torch::tensor(index, torch::kLong).to(dev);
}

void StageLoss::setSceneHead(torch::nn::Linear head, std::vector<int64_t> classes)
{
    sceneHead_ = std::move(head);
    sceneClasses_ = std::move(classes);
}

torch::Tensor StageLoss::sceneLoss(const torch::Tensor& pooled, const torch::Tensor& targets)
{
    auto logits = sceneHead_->forward(pooled);   // [B, sum of classes]
    torch::Tensor sum = torch::zeros({}, pooled.options());
    int64_t offset = 0, used = 0;
    for (size_t a = 0; a < sceneClasses_.size(); ++a) {
        const int64_t k = sceneClasses_[a];
        auto t = targets.select(1, static_cast<int64_t>(a));
        if ((t >= 0).any().item<bool>()) {
            sum = sum + F::cross_entropy(logits.narrow(1, offset, k), t, F::CrossEntropyFuncOptions().ignore_index(-1));
            ++used;
        }
        offset += k;
    }
    return used ? sum / static_cast<double>(used) : sum;
}

torch::Tensor StageLoss::visualTokens(const data::Batch& b, bool frozenVision, torch::Tensor* pooledOut)
{
    if (!frozenVision) {
        fusedVision_.reset();   // the weights are about to change
        auto images = b.images;
        if (cfg_.flip_images && model_.is_training()) {
            // Left and right carry no meaning in the scenes: half the images mirrored (seeded generator).
            auto flip = (torch::rand({images.size(0)}) < 0.5).view({-1, 1, 1, 1});
            images = torch::where(flip, images.flip({3}), images);
        }
        auto map = model_.visionMap(images);
        if (pooledOut) *pooledOut = map.mean({2, 3});
        return model_.visualTokens(map);
    }
    // Frozen vision: pooled features per sample are constant, so encode each image once.
    const int64_t B = b.images.size(0);
    std::vector<torch::Tensor> pooled(B);
    std::vector<int64_t> missing;
    for (int64_t i = 0; i < B; ++i) {
        const int64_t id = b.sampleIds[i].item<int64_t>();
        auto it = cfg_.cache_frozen_vision ? pooledCache_.find(id) : pooledCache_.end();
        if (it != pooledCache_.end())
            pooled[i] = it->second;
        else
            missing.push_back(i);
    }
    if (!missing.empty()) {
        torch::NoGradGuard ng;
        auto idx = torch::tensor(missing, torch::kLong);
        // Frozen weights do not change, so the folded inference form (same outputs, faster) serves.
        if (!fusedVision_)
            fusedVision_ = std::make_unique<FusedRepVit>(*model_.vision);
        auto map = fusedVision_->forward(b.images.index_select(0, idx));
        auto p = F::adaptive_avg_pool2d(map, F::AdaptiveAvgPool2dFuncOptions({model_.cfg.visual_grid[0], model_.cfg.visual_grid[1]}))
                     .flatten(2)
                     .transpose(1, 2)
                     .contiguous();   // [n, G, C]
        for (size_t j = 0; j < missing.size(); ++j) {
            pooled[missing[j]] = p[j].clone();
            if (cfg_.cache_frozen_vision)
                pooledCache_[b.sampleIds[missing[j]].item<int64_t>()] = pooled[missing[j]];
        }
    }
    return model_.projection(torch::stack(pooled));
}

StepResult StageLoss::compute(const data::Batch& batch, int phase, bool frozenVision)
{
    StepResult r;
    const int stage0 = cfg_.stage;
    const bool lmNeeded = (stage0 == 1 && cfg_.caption_weight > 0) || stage0 == 2 ||
                          (stage0 >= 3 && cfg_.reasoning_text_weight > 0 && !(stage0 == 4 && phase == 1));
    data::Batch b = batch;
    if (stage0 >= 3 && !lmNeeded) {
        // Attention is causal: text after the answer position cannot change its hidden state, so
        // without a text loss the sequences end there (the reasoning text would quadruple a step).
        const int64_t end = answerPositions(b.inputIds, b.attentionMask).max().item<int64_t>() + 1;
        if (end < b.inputIds.size(1)) {
            b.inputIds = b.inputIds.narrow(1, 0, end);
            b.attentionMask = b.attentionMask.narrow(1, 0, end);
            b.lossMask = b.lossMask.narrow(1, 0, end);
        }
    }
    auto& lm = *model_.language_model;
    const int64_t B = b.inputIds.size(0), T = b.inputIds.size(1);
    r.samples = B;
    torch::Tensor pooled;
    auto vis = visualTokens(b, frozenVision, &pooled);   // [B, G, C]
    torch::Tensor scene;
    const bool sceneTrained = sceneHead_ && pooled.defined() && cfg_.scene_weight > 0 && b.sceneTargets.defined() &&
                              b.sceneTargets.size(1) == static_cast<int64_t>(sceneClasses_.size());
    if (sceneTrained) scene = sceneLoss(pooled, b.sceneTargets);
    // Adds the auxiliary loss to a stage's total and reports it.
    auto withScene = [&](StepResult& res) {
        if (!sceneTrained) return;
        res.loss = res.loss + cfg_.scene_weight * scene;
        res.parts.emplace_back("scene", scene.item<double>());
    };
    const int64_t G = vis.size(1);
    auto h = lm.forward(torch::cat({vis, lm.embed(b.inputIds)}, 1), nullptr, sequenceMask(b, G));   // [B, G+T, C]

    // Token t of the text is predicted from position G + t - 1.
    auto lossMask = b.lossMask.clone();
    lossMask.select(1, 0).mul_(b.hasImage.to(lossMask.dtype()));   // no predictor without visual tokens
    auto predictors = h.narrow(1, G - 1, T);                          // [B, T, C]
    auto sel = lossMask > 0;
    if (cfg_.lm_max_positions > 0 && model_.is_training()) {
        // Keep a random subset of the target positions (drawn from the step's seeded generator).
        auto flat = sel.reshape({-1}).nonzero().squeeze(1);
        if (flat.numel() > cfg_.lm_max_positions) {
            auto keep = flat.index_select(0, torch::randperm(flat.numel(), torch::kLong).narrow(0, 0, cfg_.lm_max_positions));
            auto reduced = torch::zeros({sel.numel()}, torch::kBool);
            reduced.index_fill_(0, keep, true);
            sel = reduced.view(sel.sizes());
        }
    }
    torch::Tensor lmLoss;
    torch::Tensor studentLogits;
    // The tied head over 50k tokens is the costliest part of a step: skip it when its loss has
    // no weight or nothing it could train (stage 4, phase 1).
    const bool restricted = vocabIds_.defined() && !teacher_ && !teacherFile_;   // distillation needs every logit
    if (restricted && lmNeeded) {
        auto known = vocabIndex_.index_select(0, b.inputIds.reshape({-1}).to(vocabIndex_.device())).view(b.inputIds.sizes()) >= 0;
        sel = sel & known.to(sel.device());
    }
    if (lmNeeded && sel.any().item<bool>()) {
        if (restricted) {
            // The tied head's rows of the candidate tokens only: [N, K] instead of [N, V].
            auto rows = lm.wte->weight.index_select(0, vocabIds_);
            studentLogits = torch::matmul(predictors.index({sel}), rows.t());
            lmLoss = tokenCrossEntropy(studentLogits, vocabIndex_.index_select(0, b.inputIds.index({sel}).to(vocabIndex_.device())));
        } else {
            studentLogits = lm.logits(predictors.index({sel}));          // [N, V], only where a loss is
            lmLoss = tokenCrossEntropy(studentLogits, b.inputIds.index({sel}));
        }
    } else {
        lmLoss = torch::zeros({}, h.options());
    }

    const int stage = cfg_.stage;
    if (stage == 1) {
        // Contrastive: pooled projected visual tokens vs pooled caption states (text alone).
        torch::Tensor contrastive = torch::zeros({}, h.options());
        if (B > 1 && cfg_.contrastive_weight > 0) {
            auto textH = lm.forward(lm.embed(b.inputIds), nullptr, b.attentionMask);
            auto m = b.attentionMask.to(textH.dtype()).unsqueeze(-1);
            auto textPooled = (textH * m).sum(1) / m.sum(1).clamp_min(1.0);
            contrastive = contrastiveLoss(vis.mean(1), textPooled, logitScaleLog_);
        }
        r.loss = cfg_.contrastive_weight * contrastive + cfg_.caption_weight * lmLoss;
        r.parts = {{"contrastive", contrastive.item<double>()}, {"caption", lmLoss.item<double>()},
                   {"temperature", logitScaleLog_.defined() ? 1.0 / std::min(100.0, std::exp(logitScaleLog_.item<double>())) : 0.0}};
        withScene(r);
        return r;
    }
    if (stage == 2) {
        torch::Tensor distill = torch::zeros({}, h.options());
        if (teacher_ && studentLogits.defined()) {
            torch::Tensor teacherLogits;
            {
                torch::NoGradGuard ng;
                auto tv = teacher_->visualTokens(teacher_->visionMap(b.images));
                auto th = teacher_->language_model->forward(
                    torch::cat({tv, teacher_->language_model->embed(b.inputIds)}, 1), nullptr, sequenceMask(b, tv.size(1)));
                teacherLogits = teacher_->language_model->logits(th.narrow(1, tv.size(1) - 1, T).index({sel}));
            }
            distill = distillationLoss(studentLogits.unsqueeze(0), teacherLogits.unsqueeze(0),
                                       torch::ones({1, teacherLogits.size(0)}), cfg_.distill_temperature);
        }
        if (!teacher_ && teacherFile_ && studentLogits.defined()) {
            // Imported top-k: the j-th loss position of a row takes the teacher's j-th entry.
            const int64_t k = teacherFile_->k();
            std::vector<torch::Tensor> tIds, tLp;
            std::vector<float> have;
            auto full = lossMask > 0;
            for (int64_t bi = 0; bi < B; ++bi) {
                const auto* entry = teacherFile_->find(b.sampleIds[bi].item<int64_t>(), b.qaIndex[bi].item<int64_t>());
                int64_t j = 0;
                for (int64_t t = 0; t < T; ++t) {
                    if (!full[bi][t].item<bool>())
                        continue;
                    if (sel[bi][t].item<bool>()) {
                        const bool ok = entry && j < entry->ids.size(0);
                        tIds.push_back(ok ? entry->ids[j] : torch::zeros({k}, torch::kLong));
                        tLp.push_back(ok ? entry->logprobs[j] : torch::zeros({k}));
                        have.push_back(ok ? 1.f : 0.f);
                    }
                    ++j;
                }
            }
            auto haveT = torch::tensor(have).unsqueeze(0);
            if (haveT.sum().item<float>() > 0)
                distill = distillationLossTopK(studentLogits.unsqueeze(0), torch::stack(tIds).unsqueeze(0),
                                               torch::stack(tLp).unsqueeze(0), haveT, cfg_.distill_temperature);
        }
        const bool distilling = teacher_ || teacherFile_;
        r.loss = cfg_.sft_weight * lmLoss + (distilling ? cfg_.distill_weight * distill : torch::zeros({}, h.options()));
        r.parts = {{"sft", lmLoss.item<double>()}, {"distill", distill.item<double>()}};
        withScene(r);
        return r;
    }

    // Stages 3 and 4: the reasoning module on the end of the selection prompt.
    auto hAnswer = answerStates(h, b, G);
    auto& rm = *model_.reasoning;
    const int64_t S = std::max<int64_t>(1, model_.cfg.max_reasoning_steps);
    std::vector<torch::Tensor> steps;
    steps.push_back(rm.reasoning_head->forward(hAnswer));
    for (int64_t i = 1; i < S; ++i)
        steps.push_back(rm.reasoning_head->forward(steps.back()));
    auto targets = b.robotTargets / b.robotTargets.sum(1, true).clamp_min(1e-6);
    torch::Tensor answer = torch::zeros({}, h.options());
    for (const auto& s : steps)
        answer = answer + softTargetCrossEntropy(rm.answer_head->forward(s), targets);
    answer = answer / static_cast<double>(steps.size());

    // Consistency: consecutive steps of one sample are positives up to its annotated number of
    // steps (all of them when it has none), later ones and another sample's steps negatives.
    torch::Tensor consistency = torch::zeros({}, h.options());
    if (S > 1) {
        std::vector<torch::Tensor> scores, labels;
        auto n = b.reasoningSteps.to(torch::kLong);
        for (int64_t i = 1; i < S; ++i) {
            auto pos = rm.step_validator->forward(torch::cat({steps[i], steps[i - 1]}, -1)).squeeze(-1);
            auto label = torch::where(n > 0, (n > i).to(pos.dtype()), torch::ones_like(pos));
            scores.push_back(pos);
            labels.push_back(label);
            if (B > 1) {
                auto neg = rm.step_validator->forward(torch::cat({steps[i], steps[i - 1].roll(1, 0)}, -1)).squeeze(-1);
                scores.push_back(neg);
                labels.push_back(torch::zeros_like(neg));
            }
        }
        auto sc = torch::cat(scores).clamp(1e-6, 1 - 1e-6);
        consistency = F::binary_cross_entropy(sc, torch::cat(labels));
    }

    // Accuracy of the loop's answer at the model's threshold.
    {
        torch::NoGradGuard ng;
        auto tr = rm.run(hAnswer.detach(), model_.cfg.consistency_threshold, S);
        auto pred = tr.finalLogits.argmax(1);
        auto hit = b.robotTargets.gather(1, pred.unsqueeze(1)).squeeze(1) > 0;
        auto labelled = b.robotTargets.sum(1) > 0;
        r.answered = labelled.sum().item<int64_t>();
        r.correct = (hit & labelled).sum().item<int64_t>();
    }
    const bool textTrainable = !(stage == 4 && phase == 1);
    r.loss = cfg_.answer_weight * answer + cfg_.consistency_weight * consistency +
             (textTrainable ? cfg_.reasoning_text_weight * lmLoss : torch::zeros({}, h.options()));
    r.parts = {{"answer", answer.item<double>()}, {"consistency", consistency.item<double>()},
               {"reasoning_text", lmLoss.item<double>()}};
    withScene(r);
    return r;
}

} // namespace ember::train
