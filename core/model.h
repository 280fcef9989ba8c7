#pragma once
// EmberVLM in LibTorch (MODEL.md). Internal to core/ and training/: includes torch.
#include "config.h"

#include <torch/torch.h>

namespace ember {

// Conv2d without the nn::Conv2d options plumbing, so names match timm exactly ("weight", "bias").
struct ConvImpl : torch::nn::Module {
    ConvImpl(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t groups, bool bias);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight, bias;
    int64_t stride, pad, groups;
};
TORCH_MODULE(Conv);

// timm ConvNorm: conv `c` (no bias) + BatchNorm `bn`.
struct ConvNormImpl : torch::nn::Module {
    ConvNormImpl(int64_t in, int64_t out, int64_t k = 1, int64_t stride = 1, int64_t pad = 0, int64_t groups = 1);
    torch::Tensor forward(const torch::Tensor& x);
    Conv c{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvNorm);

struct RepVggDwImpl : torch::nn::Module {
    explicit RepVggDwImpl(int64_t dim);
    torch::Tensor forward(const torch::Tensor& x);
    ConvNorm conv{nullptr};
    Conv conv1{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(RepVggDw);

struct SqueezeExciteImpl : torch::nn::Module {
    explicit SqueezeExciteImpl(int64_t dim);
    torch::Tensor forward(const torch::Tensor& x);
    Conv fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SqueezeExcite);

struct RepVitMlpImpl : torch::nn::Module {
    RepVitMlpImpl(int64_t dim, int64_t hidden);
    torch::Tensor forward(const torch::Tensor& x);
    ConvNorm conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(RepVitMlp);

struct RepVitBlockImpl : torch::nn::Module {
    RepVitBlockImpl(int64_t dim, bool useSe);
    torch::Tensor forward(torch::Tensor x);
    RepVggDw token_mixer{nullptr};
    SqueezeExcite se{nullptr};   // null on blocks without SE
    RepVitMlp channel_mixer{nullptr};
};
TORCH_MODULE(RepVitBlock);

struct RepVitDownsampleImpl : torch::nn::Module {
    RepVitDownsampleImpl(int64_t in, int64_t out);
    torch::Tensor forward(torch::Tensor x);
    RepVitBlock pre_block{nullptr};
    ConvNorm spatial_downsample{nullptr}, channel_downsample{nullptr};
    RepVitMlp ffn{nullptr};
};
TORCH_MODULE(RepVitDownsample);

struct RepVitStageImpl : torch::nn::Module {
    RepVitStageImpl(int64_t in, int64_t out, int64_t depth, bool downsample);
    torch::Tensor forward(torch::Tensor x);
    RepVitDownsample downsample{nullptr};   // null on the first stage
    torch::nn::ModuleList blocks;
};
TORCH_MODULE(RepVitStage);

struct RepVitStemImpl : torch::nn::Module {
    RepVitStemImpl(int64_t in, int64_t out);
    torch::Tensor forward(const torch::Tensor& x);
    ConvNorm conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(RepVitStem);

// RepViT encoder in its training form; fused() gives the re-parameterised inference form.
struct RepVitImpl : torch::nn::Module {
    explicit RepVitImpl(const ModelConfig& cfg);
    torch::Tensor forward(torch::Tensor x);   // [B,3,H,W] -> [B,C,H/32,W/32]
    RepVitStem stem{nullptr};
    torch::nn::ModuleList stages;
};
TORCH_MODULE(RepVit);

struct ProjectionImpl : torch::nn::Module {
    explicit ProjectionImpl(const ModelConfig& cfg);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(Projection);

struct AttentionImpl : torch::nn::Module {
    explicit AttentionImpl(const ModelConfig& cfg);
    torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
    int64_t n_head, head_dim;
};
TORCH_MODULE(Attention);

struct MlpImpl : torch::nn::Module {
    explicit MlpImpl(const ModelConfig& cfg);
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

struct GptBlockImpl : torch::nn::Module {
    explicit GptBlockImpl(const ModelConfig& cfg);
    torch::nn::LayerNorm ln_1{nullptr};
    Attention attn{nullptr};
    torch::nn::LayerNorm ln_2{nullptr};
    Mlp mlp{nullptr};
};
TORCH_MODULE(GptBlock);

// Keys and values of every layer, preallocated to a fixed capacity: [B, heads, capacity, head_dim].
struct KVCache {
    std::vector<torch::Tensor> k, v;
    int64_t length = 0;     // positions filled
    int64_t capacity = 0;
    void reset() { k.clear(); v.clear(); length = 0; capacity = 0; }
    // Makes room for `total` positions (keeping what is there); capacity grows geometrically up
    // to maxPositions so decoding reallocates O(log n) times.
    void reserve(int64_t layers, int64_t batch, int64_t heads, int64_t headDim, int64_t total, int64_t maxPositions,
                 const torch::TensorOptions& options);
};

struct LanguageModelImpl : torch::nn::Module {
    explicit LanguageModelImpl(const ModelConfig& cfg);
    // inputs_embeds [B,T,C] (token + nothing; positions added here). With a cache the new
    // positions start at cache->length and keys/values are appended. attentionMask [B, past+T]
    // (1 = real, 0 = padding) may be undefined. Returns hidden states after ln_f, [B,T,C].
    torch::Tensor forward(torch::Tensor inputs_embeds, KVCache* cache = nullptr,
                          const torch::Tensor& attentionMask = {});
    torch::Tensor logits(const torch::Tensor& hidden) const;   // tied head
    torch::Tensor embed(const torch::Tensor& ids) const;
    torch::nn::Embedding wte{nullptr}, wpe{nullptr};
    torch::nn::ModuleList h;
    torch::nn::LayerNorm ln_f{nullptr};
    torch::nn::Dropout drop{nullptr};
    ModelConfig cfg;
};
TORCH_MODULE(LanguageModel);

struct ReasoningTraceTensors {
    std::vector<torch::Tensor> steps;          // [B, C] per step
    std::vector<torch::Tensor> scores;         // [B] per step (step 0: undefined)
    std::vector<torch::Tensor> accepted;       // [B] bool per step
    std::vector<torch::Tensor> answerLogits;   // [B, R] per step
    torch::Tensor finalLogits;                 // [B, R] from the last accepted step
    torch::Tensor lastAccepted;                // [B] int64, index of the last accepted step
};

struct ReasoningModuleImpl : torch::nn::Module {
    explicit ReasoningModuleImpl(const ModelConfig& cfg);
    // The inference loop of MODEL.md, per sample in the batch.
    ReasoningTraceTensors run(const torch::Tensor& hLast, double threshold, int64_t maxSteps);
    torch::nn::Sequential reasoning_head{nullptr}, step_validator{nullptr}, answer_head{nullptr};
};
TORCH_MODULE(ReasoningModule);

struct EmberVLMImpl : torch::nn::Module {
    explicit EmberVLMImpl(const ModelConfig& cfg);
    // Encoder map [B, C, h, w] for normalised images [B,3,S,S].
    torch::Tensor visionMap(const torch::Tensor& images);
    // Pooled, projected visual tokens [B, grid, n_embd].
    torch::Tensor visualTokens(const torch::Tensor& visionMap);
    ModelConfig cfg;
    RepVit vision{nullptr};
    Projection projection{nullptr};
    LanguageModel language_model{nullptr};
    ReasoningModule reasoning{nullptr};
};
TORCH_MODULE(EmberVLM);

// State-dict order of PyTorch: per module its parameters, then its buffers, then children.
std::vector<std::pair<std::string, torch::Tensor>> stateDict(const torch::nn::Module& m);
// Per-component parameter counts (buffers excluded); keys vision, projection, language_model, reasoning.
std::vector<std::pair<std::string, int64_t>> parameterCounts(const EmberVLMImpl& m);
// Deterministic initialisation (GPT-2 style normal(0, 0.02) for linear/embedding, timm defaults for
// convs, BatchNorm identity, SE/Mlp as timm). Same seed, same weights.
void initWeights(EmberVLMImpl& m, uint64_t seed);

} // namespace ember
