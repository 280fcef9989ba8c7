#pragma once
// The loss of one batch for a stage (issue "training" point 1). Internal (torch).
#include "batches.h"
#include "model.h"
#include "reparam.h"
#include "teacher_file.h"
#include "train_config.h"

#include <map>
#include <string>

namespace ember::train {

struct StepResult {
    torch::Tensor loss;                               // weighted total, differentiable
    std::vector<std::pair<std::string, double>> parts;   // each component, unweighted
    int64_t answered = 0, correct = 0;                // robot selection accuracy within the batch
    int64_t samples = 0;
};

class StageLoss {
public:
    // teacher may be null (no distillation). `logitScaleLog` is the stage-1 temperature parameter.
    StageLoss(EmberVLMImpl& model, const TrainConfig& cfg, EmberVLMImpl* teacher, torch::Tensor logitScaleLog,
              const TeacherFile* teacherFile = nullptr);
    // phase: 1 or 2 in stage 4, else 0. frozenVision: encode images without gradient (and cache
    // pooled features per sample id).
    StepResult compute(const data::Batch& batch, int phase, bool frozenVision);
    // The auxiliary scene classifier (TrainConfig::scene_weight): a linear map from the pooled
    // vision features to the classes of every attribute in turn (`classes[a]` of attribute a).
    void setSceneHead(torch::nn::Linear head, std::vector<int64_t> classes);
    // TrainConfig::lm_vocab "workspace": the LM losses take their softmax over these token ids
    // (sorted) instead of the whole vocabulary; target positions outside them are left out.
    void setVocabulary(const std::vector<int64_t>& ids);

private:
    // Projected visual tokens; *pooled receives the pooled vision features [B, C] when vision trains.
    torch::Tensor visualTokens(const data::Batch& b, bool frozenVision, torch::Tensor* pooled);
    torch::Tensor sceneLoss(const torch::Tensor& pooled, const torch::Tensor& targets);
    EmberVLMImpl& model_;
    const TrainConfig& cfg_;
    EmberVLMImpl* teacher_;
    torch::Tensor logitScaleLog_;
    const TeacherFile* teacherFile_;
    std::map<int64_t, torch::Tensor> pooledCache_;   // sample id -> pooled vision features [G, C]
    std::unique_ptr<FusedRepVit> fusedVision_;        // inference form while vision is frozen
    torch::nn::Linear sceneHead_{nullptr};
    std::vector<int64_t> sceneClasses_;
    torch::Tensor vocabIds_;     // [K] token ids of the restricted softmax; undefined: full
    torch::Tensor vocabIndex_;   // [V] position of each token id in vocabIds_, or -1
};

// Index of the position whose hidden state the reasoning module reads: the end of the selection
// prompt (the token before <|reasoning_start|> if present, else the last real token).
torch::Tensor answerPositions(const torch::Tensor& inputIds, const torch::Tensor& attentionMask);
// Attention mask over [visual tokens, text]: a sample without an image attends to none of its
// visual positions.
torch::Tensor sequenceMask(const data::Batch& b, int64_t visualTokens);
// Hidden states [B, C] at each sample's answer position, from h [B, G + T, C].
torch::Tensor answerStates(const torch::Tensor& h, const data::Batch& b, int64_t visualTokens);

} // namespace ember::train
