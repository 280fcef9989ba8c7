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
    // One batch through vision and the language model, and the LM loss on its text targets: what
    // every stage's loss starts from.
    struct Forward {
        data::Batch batch;          // trimmed after the answer position when no text loss needs the rest
        int64_t B = 0, T = 0, G = 0;
        bool lmNeeded = false;
        torch::Tensor visual;       // [B, G, C] projected visual tokens
        torch::Tensor hidden;       // [B, G + T, C]
        torch::Tensor lossMask;     // [B, T] where the text is a target (and has a predictor)
        torch::Tensor selected;     // [B, T] targets the LM loss uses (a random subset, known tokens)
        torch::Tensor lmLoss;       // zero when not needed
        torch::Tensor studentLogits;   // at `selected`; undefined without an LM loss
        torch::Tensor scene;        // the auxiliary scene loss; undefined when not trained
    };
    Forward forward(const data::Batch& batch, int phase, bool frozenVision);
    torch::Tensor selectTargets(const Forward& f) const;
    void languageModelLoss(Forward& f);
    StepResult alignment(const Forward& f);                // stage 1: stage_alignment.cpp
    StepResult instruction(const Forward& f);              // stage 2: stage_instruction.cpp
    torch::Tensor distillFromTeacher(const Forward& f);
    torch::Tensor distillFromFile(const Forward& f);
    StepResult selection(const Forward& f, int phase);     // stages 3 and 4: stage_selection.cpp
    torch::Tensor consistencyLoss(const Forward& f, const std::vector<torch::Tensor>& steps);
    void selectionAccuracy(const torch::Tensor& hAnswer, const data::Batch& b, StepResult& r);

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
