#pragma once
// Every knob of a training run in one documented config (docs/training.md). No torch.
#include <cstdint>
#include <string>
#include <vector>

namespace ember::train {

struct TrainConfig {
    int stage = 3;                    // 1 alignment, 2 instruction, 3 robot selection, 4 reasoning
    int phase = 0;                    // stage 4: 1 = reasoning module only, 2 = everything; 0 = both in turn
    std::string preset = "base";      // model for a fresh start (ignored when init_checkpoint is set)
    std::string model_overrides;      // JSON of config fields for a fresh start
    std::string init_checkpoint;      // start from this checkpoint (previous stage or any)
    uint64_t seed = 0;

    int epochs = 1;
    int64_t max_steps = 0;            // optimizer steps; 0: as many as the epochs give
    int batch_size = 8;
    int accumulation = 1;             // micro-batches per optimizer step
    double lr = 3e-4;                 // peak learning rate of the language model and heads
    double vision_lr_scale = 0.1;     // vision learning rate = lr × this (stage 2 onwards)
    double projection_lr_scale = 1.0;
    double weight_decay = 0.01;
    int64_t warmup_steps = 20;
    double min_lr_ratio = 0.1;        // cosine decays to lr × this
    double grad_clip = 1.0;           // max global gradient norm; 0: off
    std::vector<std::string> freeze;  // extra frozen parts: vision, projection, language_model, reasoning

    std::string split = "train";      // training split; "all" uses every sample
    std::string eval_split = "val";
    int image_size = 0;               // 0: the model's
    int max_tokens = 128;
    int lm_max_positions = 0;         // LM losses on at most this many random target positions per
                                      // batch (an unbiased estimate; the 50k-way head dominates a step); 0: all
    bool cache_frozen_vision = true;  // when vision is frozen, encode each image once
    // The LM losses' softmax: "full" over all 50,262 tokens, or "workspace" over the tokens the
    // training split's texts use (about 1,000 in the demo world; the head then costs ~2% as much).
    // Generation always uses the full vocabulary, so evaluation measures what such a model does.
    std::string lm_vocab = "full";

    int64_t checkpoint_every = 50;    // optimizer steps between "last" checkpoints (and at the end)
    int64_t eval_every = 0;           // optimizer steps between validations; 0: at the end only
    int64_t eval_batches = 20;        // validation batches per evaluation

    // Loss weights (issue "training" point 1).
    double contrastive_weight = 0.5, caption_weight = 0.5;         // stage 1
    bool alignment_trains_vision = false;   // stage 1 trains the vision tower too (at vision_lr_scale)
    // Auxiliary loss: a linear classifier of the pooled vision features predicts each scene
    // attribute the samples carry (Sample::scene), whenever vision is trained. 0: off.
    double scene_weight = 0.0;
    bool flip_images = false;
    // Text of other stages trained alongside, so that a stage does not erase what an earlier one
    // taught (rehearsal): "caption" (stage 1's text), "answer" (stage 2's), "reasoning" (stage 4's).
    // Each step adds the LM loss of one batch of each, × text_mix_weight.
    std::vector<std::string> text_mix;
    double text_mix_weight = 1.0;
    int text_mix_batch_size = 0;      // 0: half of batch_size
    double sft_weight = 0.7, distill_weight = 0.3, distill_temperature = 2.0;   // stage 2
    std::string teacher_checkpoint;   // stage 2: an EmberVLM teacher
    std::string teacher_logits;       // stage 2: imported teacher top-k file (docs/training.md)
    double answer_weight = 1.0, consistency_weight = 0.5, reasoning_text_weight = 0.5;   // stages 3, 4

    // Apply these defaults for a stage (what differs between stages), then the user's JSON.
    static TrainConfig forStage(int stage);
    void applyJson(const std::string& json);   // throws std::invalid_argument naming the field
    std::string toJson() const;
    void validate() const;
    // Parts frozen in this stage/phase, the stage's rule plus `freeze`.
    std::vector<std::string> frozenParts(int phaseNow) const;
};

} // namespace ember::train
