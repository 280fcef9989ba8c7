#pragma once
// The losses of the four stages (issue "training" point 1). Internal (torch).
#include <torch/torch.h>

namespace ember::train {

// Symmetric InfoNCE between pooled visual and pooled text vectors [B, C]; logitScaleLog is the
// learnable log of 1/temperature (starts at log(1/0.07)); the scale is capped at 100.
torch::Tensor contrastiveLoss(const torch::Tensor& visual, const torch::Tensor& text, const torch::Tensor& logitScaleLog);

// Mean next-token cross-entropy over positions with lossMask == 1. logits [B, T, V] predict
// targets [B, T] (already shifted by the caller). Returns 0 when nothing is masked in.
torch::Tensor maskedLmLoss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& lossMask);

// Knowledge distillation, KL(teacher || student) at temperature T, scaled by T², averaged over
// the masked positions. Full teacher logits [B, T, V] ...
torch::Tensor distillationLoss(const torch::Tensor& studentLogits, const torch::Tensor& teacherLogits,
                               const torch::Tensor& lossMask, double temperature);
// ... or a teacher's top-k log-probabilities per position (ids [B,T,k], logprobs [B,T,k]); the
// teacher's distribution is renormalised over its k ids and the student is compared on them.
torch::Tensor distillationLossTopK(const torch::Tensor& studentLogits, const torch::Tensor& teacherIds,
                                   const torch::Tensor& teacherLogprobs, const torch::Tensor& lossMask,
                                   double temperature);

// Cross-entropy against soft targets [B, R] (rows sum to 1: several robots share the mass).
torch::Tensor softTargetCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets);

// Step-validator training: scores of consecutive steps of one sample (positives, target 1) and of
// a step paired with another sample's previous step (negatives, target 0); binary cross-entropy.
// scorePositive / scoreNegative are sigmoid outputs.
torch::Tensor consistencyLoss(const torch::Tensor& scorePositive, const torch::Tensor& scoreNegative);

} // namespace ember::train
