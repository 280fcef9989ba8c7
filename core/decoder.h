#pragma once
// One-token decoding without per-op overhead where it matters: weights packed once (q/k/v fused),
// every linear a streaming matrix-vector product (kernels.h), attention over the KV cache.
// CPU only; other devices use LanguageModelImpl::forward. Internal (torch).
#include "model.h"

namespace ember {

enum class WeightFormat { F32, BF16, I8 };
const char* weightFormatName(WeightFormat f);
WeightFormat weightFormatFromString(const std::string& s);   // "f32" | "bf16" | "int8"

struct PackedLinear {
    int64_t out = 0, in = 0;
    WeightFormat format = WeightFormat::F32;
    torch::Tensor weight;   // [out, in] float32, int16 (bf16 bits) or int8
    torch::Tensor scale;    // [out] per-row scale (int8 only)
    torch::Tensor bias;     // [out]
    static PackedLinear pack(const torch::Tensor& weight, const torch::Tensor& bias, WeightFormat format);
    torch::Tensor operator()(const torch::Tensor& x) const;   // x [in] contiguous float -> [out]
    void apply(const float* x, float* y) const;               // y[out] = W x + b
    torch::Tensor dequantized() const;                        // [out, in] float32
    torch::Tensor rows(const torch::Tensor& x) const;         // x [T, in] -> [T, out] (f32 only)
    int64_t bytes() const;
};

class FastDecoder {
public:
    FastDecoder(LanguageModelImpl& lm, WeightFormat format);
    // Appends one position (token embedding `x`, [C]) to the cache; returns the hidden state after
    // ln_f, [C]. The cache must hold the earlier positions for batch size 1.
    torch::Tensor step(const torch::Tensor& x, KVCache& cache) const;
    // Appends T positions (inputs_embeds [T, C], no positions added) to the cache and returns the
    // last position's hidden state after ln_f, [C]: one packed q/k/v product per layer with its
    // bias fused. f32 weights only (see canPrefill).
    torch::Tensor prefill(const torch::Tensor& embeds, KVCache& cache) const;
    bool canPrefill() const { return format_ == WeightFormat::F32; }
    torch::Tensor logits(const torch::Tensor& hidden) const;   // [vocab]
    // [vocab] logits whose k largest entries, and which ids hold them, are exactly logits()'s; the
    // other entries are estimates, each within a proven bound of its exact value and below the
    // k-th largest. With f32 weights, an int8 copy of the head screens every row and only rows
    // whose bounded error lets them reach the top k are rescored in f32: the head (two thirds of
    // the bytes read per token) is read at a quarter of the cost. Other formats: logits().
    torch::Tensor screenedLogits(const torch::Tensor& hidden, int k) const;
    // Bytes of weights read per decoded token (with the screen, the rescored rows aside).
    int64_t weightBytes() const;
    // Bytes of the full-precision weights: reading each once is the plain decoding bound.
    int64_t fullWeightBytes() const;
    WeightFormat format() const { return format_; }

private:
    struct Layer {
        torch::Tensor ln1w, ln1b, ln2w, ln2b;   // contiguous float, read through raw pointers
        PackedLinear qkv, out, fc1, fc2;
    };
    std::vector<Layer> layers_;
    torch::Tensor wpe_, lnfw_, lnfb_;
    PackedLinear head_;
    PackedLinear screen_;   // int8 copy of the head; f32 format only
    torch::Tensor screenRowSum_;   // [vocab] int32: sum of each row's int8 weights
    torch::Tensor screenAbsSum_;   // [vocab] float: sum of their magnitudes
    int64_t heads_ = 0, headDim_ = 0, positions_ = 0;
    double eps_ = 1e-5;
    WeightFormat format_;
};

} // namespace ember
