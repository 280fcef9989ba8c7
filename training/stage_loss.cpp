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
    const Forward f = forward(batch, phase, frozenVision);
    StepResult r = cfg_.stage == 1 ? alignment(f) : cfg_.stage == 2 ? instruction(f) : selection(f, phase);
    r.samples = f.B;
    if (f.scene.defined()) {
        r.loss = r.loss + cfg_.scene_weight * f.scene;
        r.parts.emplace_back("scene", f.scene.item<double>());
    }
    return r;
}

StageLoss::Forward StageLoss::forward(const data::Batch& batch, int phase, bool frozenVision)
{
    Forward f;
    const int stage = cfg_.stage;
    f.lmNeeded = (stage == 1 && cfg_.caption_weight > 0) || stage == 2 ||
                 (stage >= 3 && cfg_.reasoning_text_weight > 0 && !(stage == 4 && phase == 1));
    data::Batch& b = f.batch;
    b = batch;
    if (stage >= 3 && !f.lmNeeded) {
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
    f.B = b.inputIds.size(0);
    f.T = b.inputIds.size(1);
    torch::Tensor pooled;
    f.visual = visualTokens(b, frozenVision, &pooled);   // [B, G, C]
    const bool sceneTrained = sceneHead_ && pooled.defined() && cfg_.scene_weight > 0 && b.sceneTargets.defined() &&
                              b.sceneTargets.size(1) == static_cast<int64_t>(sceneClasses_.size());
    if (sceneTrained) f.scene = sceneLoss(pooled, b.sceneTargets);
    f.G = f.visual.size(1);
    f.hidden = lm.forward(torch::cat({f.visual, lm.embed(b.inputIds)}, 1), nullptr, sequenceMask(b, f.G));
    f.lossMask = b.lossMask.clone();
    f.lossMask.select(1, 0).mul_(b.hasImage.to(f.lossMask.dtype()));   // no predictor without visual tokens
    f.selected = selectTargets(f);
    languageModelLoss(f);
    return f;
}

// The target positions of the LM loss: a random subset of at most lm_max_positions (drawn from
// the step's seeded generator) while training.
torch::Tensor StageLoss::selectTargets(const Forward& f) const
{
    auto sel = f.lossMask > 0;
    if (cfg_.lm_max_positions <= 0 || !model_.is_training())
        return sel;
    auto flat = sel.reshape({-1}).nonzero().squeeze(1);
    if (flat.numel() <= cfg_.lm_max_positions)
        return sel;
    auto keep = flat.index_select(0, torch::randperm(flat.numel(), torch::kLong).narrow(0, 0, cfg_.lm_max_positions));
    auto reduced = torch::zeros({sel.numel()}, torch::kBool);
    reduced.index_fill_(0, keep, true);
    return reduced.view(sel.sizes());
}

// Token t of the text is predicted from position G + t - 1. The tied head over 50k tokens is the
// costliest part of a step: skipped when its loss has no weight or nothing it could train.
void StageLoss::languageModelLoss(Forward& f)
{
    auto& lm = *model_.language_model;
    const auto& b = f.batch;
    auto predictors = f.hidden.narrow(1, f.G - 1, f.T);   // [B, T, C]
    const bool restricted = vocabIds_.defined() && !teacher_ && !teacherFile_;   // distillation needs every logit
    if (restricted && f.lmNeeded) {
        auto known = vocabIndex_.index_select(0, b.inputIds.reshape({-1}).to(vocabIndex_.device())).view(b.inputIds.sizes()) >= 0;
        f.selected = f.selected & known.to(f.selected.device());
    }
    if (!f.lmNeeded || !f.selected.any().item<bool>()) {
        f.lmLoss = torch::zeros({}, f.hidden.options());
        return;
    }
    const auto& sel = f.selected;
    if (restricted) {
        // The tied head's rows of the candidate tokens only: [N, K] instead of [N, V].
        auto rows = lm.wte->weight.index_select(0, vocabIds_);
        f.studentLogits = torch::matmul(predictors.index({sel}), rows.t());
        f.lmLoss = tokenCrossEntropy(f.studentLogits, vocabIndex_.index_select(0, b.inputIds.index({sel}).to(vocabIndex_.device())));
    } else {
        f.studentLogits = lm.logits(predictors.index({sel}));   // [N, V], only where a loss is
        f.lmLoss = tokenCrossEntropy(f.studentLogits, b.inputIds.index({sel}));
    }
}

} // namespace ember::train
