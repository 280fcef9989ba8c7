#pragma once
// Training batches for the four stages as LibTorch tensors, prepared on a background thread.
// The only datasets header that includes torch: link embervlm_batches to use it.
//
// Text per stage (templates from core/engine.h; docs/schema.md, "Training batches"):
//   1 alignment    caption + <|endoftext|>                                     loss on all of it
//                  (one of the sample's reference captions; without any, the answers of its Q&A
//                  pairs: LLaVA-Pretrain's captions come as one-turn conversations)
//   2 instruction  askPrompt({}, question) + " " + answer + <|endoftext|>      loss on " answer<|endoftext|>"
//                  (a sample with captions and no Q&A: "Describe the image." and a caption, so a
//                  COCO import trains stage 2 too)
//   3 selection    selectionPrompt(task), or as stage 4 when the sample has reasoning steps; robot targets
//   4 reasoning    reasoningPrompt(task) + "Step 1: … Step N: …" + <|reasoning_end|>
//                                                                              loss on the steps and the end token
#include "image.h"
#include "workspace.h"

#include <torch/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace ember::data {

enum class Stage { Alignment = 1, Instruction = 2, Selection = 3, Reasoning = 4 };

struct Batch {
    int64_t epoch = 0, index = 0;   // position in the data order (for resuming)
    torch::Tensor images;           // [B,3,S,S] float32, ImageNet-normalised; zeros where hasImage is false
    torch::Tensor hasImage;         // [B] bool
    torch::Tensor inputIds;         // [B,T] int64, right-padded with <|endoftext|> (50256)
    torch::Tensor attentionMask;    // [B,T] int64, 1 on real tokens
    torch::Tensor lossMask;         // [B,T] float32, 1 where position t's token is a target
    torch::Tensor robotTargets;     // [B,R] float32 multi-hot in MODEL.md order
    torch::Tensor reasoningSteps;   // [B] int64, number of reasoning steps of the sample
    torch::Tensor sampleIds;        // [B] int64 workspace ids
    torch::Tensor qaIndex;          // [B] int64: the question/answer pair a stage-2 sample uses (0 otherwise)
    torch::Tensor sceneTargets;     // [B,A] int64: class of each scene attribute (SceneVocabulary), -1 unknown
};

// The scene attributes of a set of samples and the values each takes, both sorted: attribute a's
// class k is values[a][k]. Fixed by the samples, so a resumed run sees the same classes.
struct SceneVocabulary {
    std::vector<std::string> attributes;
    std::vector<std::vector<std::string>> values;
    bool empty() const { return attributes.empty(); }
};

struct BatchOptions {
    Stage stage = Stage::Selection;
    int batchSize = 16;
    uint64_t seed = 0;
    int imageSize = 224;
    ember::ResizeMode resize = ember::ResizeMode::Resize;
    int maxTokens = 256;            // longer texts are cut (keeping the start)
    bool shuffle = true;
    bool dropLast = false;
    int prefetch = 4;               // batches prepared ahead
    // Which samples; the default is the training split. Stage eligibility is applied on top
    // (stage 1 needs an image and a caption, 2 question/answer pairs, 3 robot labels,
    // 4 robot labels and reasoning steps).
    SampleQuery filter = [] { SampleQuery q; q.split = Split::Train; return q; }();
};

// The text of one sample for a stage, and which of its tokens carry the LM loss.
struct EncodedSample {
    std::vector<int> ids;
    std::vector<uint8_t> loss;   // same length as ids
};
// Throws std::invalid_argument when the sample lacks what the stage needs. `variant` picks the
// caption in stage 1 and the question/answer pair in stage 2.
EncodedSample encodeSample(const Sample& s, Stage stage, uint64_t variant = 0);
bool eligible(const Sample& s, Stage stage);
// How many different texts encodeSample gives for the stage (captions, Q&A pairs; 1 otherwise).
size_t textVariants(const Sample& s, Stage stage);
// The instruction stage's question for a captioned sample without Q&A pairs.
constexpr const char* kDescribeQuestion = "Describe the image.";
// Every token id the training texts of the matching samples use (captions, every question and
// answer, selection and reasoning prompts, reasoning text, end tokens), sorted: the candidate set
// of TrainConfig::lm_vocab "workspace".
std::vector<int64_t> tokenVocabulary(const Workspace& ws, const SampleQuery& filter);

class BatchBuilder {
public:
    // Reads the matching samples' text now (no images); the worker thread decodes images.
    // Nothing touches the workspace after the constructor returns.
    BatchBuilder(const Workspace& ws, const BatchOptions& opts);
    ~BatchBuilder();
    BatchBuilder(const BatchBuilder&) = delete;
    BatchBuilder& operator=(const BatchBuilder&) = delete;

    int64_t sampleCount() const { return static_cast<int64_t>(samples_.size()); }
    const SceneVocabulary& sceneVocabulary() const { return scene_; }
    int64_t batchesPerEpoch() const;
    // The next batch, epochs following each other without end. Blocks while the worker prepares it.
    Batch next();
    // Continue from (epoch, batch index): a resumed run sees exactly the batches it would have.
    void seek(int64_t epoch, int64_t index);
    // The sample order of an epoch (indices into the eligible samples): fixed for (seed, epoch).
    std::vector<int64_t> epochOrder(int64_t epoch) const;

private:
    Batch build(int64_t epoch, int64_t index) const;
    void startWorker(int64_t epoch, int64_t index);
    void stopWorker();

    BatchOptions opts_;
    std::string workspaceDir_;
    std::vector<Sample> samples_;
    std::vector<EncodedSample> encoded_;   // stages 1, 3, 4 (stage 2 varies per epoch)
    SceneVocabulary scene_;

    std::thread worker_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Batch> queue_;
    std::exception_ptr error_;
    bool stop_ = false;
};

} // namespace ember::data
