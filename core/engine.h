#pragma once
// The inference engine the studio and the command line share. Torch-free interface (pimpl):
// widgets and tests include this without paying for LibTorch's headers.
#include "config.h"
#include "image.h"
#include "reasoning_trace.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ember {

struct TokenCandidate {
    int id = 0;
    std::string text;   // the token's bytes as text (may be a partial UTF-8 sequence)
    float logit = 0.f;
    float p = 0.f;      // softmax of the raw logits (temperature 1)
};

struct StreamedToken {
    int index = 0;            // 0 for the first generated token
    int id = 0;
    std::string piece;        // this token's bytes
    std::string text;         // UTF-8 text completed by this token (empty inside a multi-byte character)
    float logit = 0.f;
    float p = 0.f;
    std::vector<TokenCandidate> alternatives;   // the top-k of the distribution, best first
};

struct GenerationOptions {
    int maxNewTokens = 64;
    float temperature = 0.f;   // <= 0: greedy
    int topK = 0;              // 0: off
    float topP = 1.f;          // 1: off
    uint64_t seed = 0;
    bool stopAtEndOfText = true;
    std::vector<int> stopIds;  // further ids that end generation (not emitted)
    int alternatives = 5;
};

struct GenerationResult {
    std::vector<StreamedToken> tokens;
    std::string text;
    std::string stopReason;    // end_of_text | stop_token | max_tokens | context_full | cancelled
    int promptTokens = 0;      // text tokens (visual tokens not counted)
    double msToFirstToken = 0;
    double tokensPerSecond = 0;   // decode rate after the first token
    double totalMs = 0;
};

struct RobotSelection {
    std::vector<ChainStep> chain;   // every step up to max steps, whatever the threshold
    ReasoningTrace trace;           // the stopping rule applied at the configured threshold
    std::vector<std::string> labels;
    double ms = 0;
};

struct ForwardProbe {
    bool hasVision = false;
    double visionMean = 0, visionStd = 0;          // of the encoder map (population std)
    std::vector<std::pair<int, float>> top10;     // next-token logits at the last position
    RobotSelection selection;
};

struct ModelInfo {
    std::string name;             // checkpoint file name, or "random <preset>"
    std::string path;
    std::string preset;
    std::string configJson;
    int64_t parameters = 0;
    std::vector<std::pair<std::string, int64_t>> components;
    bool trained = false;         // from the checkpoint's metadata
    int threads = 0;
    std::string device;
    std::vector<std::string> robotLabels;
    std::vector<std::string> warnings;   // from loading (e.g. the config was read from the shapes)
};

// Which code runs the heavy parts on this machine (logs, `embervlm info`, the benchmarks).
struct ComputePath {
    std::string isa;              // our kernels' level and the CPU: "avx2 (forced by EMBERVLM_ISA; ...) on AMD EPYC"
    std::string onednn;           // oneDNN's ISA as it runs ("avx512_core_vnni", "avx2", ...)
    std::string openblas;         // OPENBLAS_CORETYPE, or "auto"
    std::string vision;           // "oneDNN chain at avx2: jit:avx2 x40 ..." or "LibTorch ops (why)"
    std::string promptProducts;   // "oneDNN matmul at avx2 (gemm:jit)" or "LibTorch (OpenBLAS; why)"
};

class Engine {
public:
    // device "" picks CUDA when this LibTorch has it, else the CPU; or "cpu", "cuda", "cuda:1".
    explicit Engine(const std::string& device = "");
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Both throw std::exception with a clear message; on failure the previous model stays.
    void loadCheckpoint(const std::string& path);
    void initRandom(const ModelConfig& cfg, uint64_t seed);
    void saveCheckpoint(const std::string& path) const;
    bool hasModel() const;
    ModelInfo info() const;
    // Runs the vision encoder and one prompt product once, if nothing has run them yet, so that
    // what oneDNN picks here is known. Throws without a model.
    ComputePath computePath();
    // Weight format of the language model's one-token path on the CPU: "f32" (default), "bf16"
    // or "int8" (per-row scales). Applies to the current model and to models loaded later.
    void setWeightFormat(const std::string& format);
    ModelConfig config() const;

    // Image for the following questions; loadImage decodes at the model's input size.
    PreparedImage loadImage(const std::string& path, ResizeMode mode = ResizeMode::Resize) const;
    void setImage(PreparedImage image);
    void clearImage();
    bool hasImage() const;

    std::vector<int> tokenize(const std::string& text) const;
    std::string detokenize(const std::vector<int>& ids) const;

    // Streams each token to onToken (called on the calling thread). requestCancel() from any
    // thread ends it before the next token.
    GenerationResult generate(const std::string& prompt, const GenerationOptions& options,
                              const std::function<void(const StreamedToken&)>& onToken = {});
    RobotSelection selectRobot(const std::string& task, int maxSteps = 0);   // task template applied
    RobotSelection selectRobotRaw(const std::string& prompt, int maxSteps = 0);
    // Raw prompt (no template), for number-by-number comparison with other implementations.
    ForwardProbe forward(const std::string& prompt);
    // Grad-CAM over the last RepViT stage for one robot's answer logit: a rows×cols map in [0,1].
    std::vector<float> gradCam(const std::string& task, int robot, int* rows, int* cols);

    void requestCancel();

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

// Templates (docs/templates.md): how a question or a task becomes text.
std::string askPrompt(const std::vector<std::pair<std::string, std::string>>& history, const std::string& question);
std::string selectionPrompt(const std::string& task);
std::string reasoningPrompt(const std::string& task);

} // namespace ember
