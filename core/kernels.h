#pragma once
// Matrix-vector kernels for one-token decoding. BLAS's sgemv runs a one-row product at a third
// of this machine's memory bandwidth; decoding is bound by reading weights, so these stream each
// weight row once, in parallel over rows. Each picks its instruction set at run time (cpu_isa.h).
// Torch-free interface.
#include <cstdint>

namespace ember::kernels {

// y[n] = dot(W[n, :], x) + (bias ? bias[n] : 0) for n in [0, N); W row-major [N, K].
void gemvF32(const float* W, const float* x, const float* bias, float* y, int64_t N, int64_t K);

// Same with bfloat16 weights (upper half of an IEEE float), accumulated in float.
void gemvBF16(const uint16_t* W, const float* x, const float* bias, float* y, int64_t N, int64_t K);

// Same with int8 weights and one float scale per row: y[n] = scale[n] * dot(W[n,:], x) + bias[n].
void gemvI8(const int8_t* W, const float* scale, const float* x, const float* bias, float* y, int64_t N, int64_t K);

// y[n] = sum_k W[n, k] * x[k] exactly in int32, with unsigned 8-bit x, on every path (AVX-512
// VNNI: 64 multiply-adds per instruction; AVX2: 16-bit products summed in pairs; portable loops).
// The result is the same integer whichever path ran.
void gemvS8U8(const int8_t* W, const uint8_t* x, int32_t* y, int64_t N, int64_t K);

// One query against n cached positions of one head: out[D] = softmax(scale * K q) V, with K and V
// rows D floats apart (D a multiple of 16 takes the AVX-512 path, of 8 the AVX2 one). `scores` holds n floats.
void attendF32(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D,
               float scale);

// y[i] = dot(W[rows[i], :], x) for i in [0, count): a few chosen rows, exactly as gemvF32 sums them.
void rowsF32(const float* W, const float* x, const int32_t* rows, float* y, int64_t count, int64_t K);

// GPT-2's tanh GELU, in place: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), vectorised
// (LibTorch's took a fifth of a prompt's time).
void geluTanh(float* x, int64_t n);

// sum_j exp(x[j] - shift) over n values: a softmax's normaliser (one pass, vectorised exp).
double sumExp(const float* x, int64_t n, float shift);

// Softmax cross-entropy over rows of logits [R, V]: lse[r] = log(sum(exp(row))) and
// loss[r] = lse[r] - row[target[r]]. One read of the logits (AVX-512 or AVX2 where the level allows).
void softmaxCrossEntropyRows(const float* logits, const int64_t* target, float* lse, float* loss, int64_t R, int64_t V);
// Its gradient: grad[r, j] = scale * (exp(logits[r, j] - lse[r]) - (j == target[r])).
void softmaxCrossEntropyGrad(const float* logits, const int64_t* target, const float* lse, float scale, float* grad,
                             int64_t R, int64_t V);

// One AdamW step over n values in one pass (torch::optim::AdamW's arithmetic, decoupled weight
// decay): p *= decay; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
// p -= stepSize * m / (sqrt(v) / sqrtBc2 + eps).
void adamwStep(float* p, const float* g, float* m, float* v, int64_t n, float decay, float b1, float b2,
               float stepSize, float sqrtBc2, float eps);

} // namespace ember::kernels
