#include "kernels.h"

#include "cpu_isa.h"
#include "kernels_isa.h"

#include <ATen/Parallel.h>

namespace ember::kernels {

namespace {

// Rows per parallel task: large enough that scheduling costs nothing next to the memory traffic.
constexpr int64_t kGrainRows = 256;

// One choice per process (activeIsa() is fixed at its first call): every kernel, and the sums the
// screened head compares, take the same path.
Isa level()
{
    static const Isa isa = EMBER_X86 ? activeIsa() : Isa::Generic;
    return isa;
}

} // namespace

void gemvS8U8(const int8_t* W, const uint8_t* x, int32_t* y, int64_t N, int64_t K)
{
    at::parallel_for(0, N, kGrainRows, [&](int64_t b, int64_t e) {
#if EMBER_X86
        if (activeVnni() && K % 64 == 0)
            return avx512::rowsS8U8Vnni(W, x, y, b, e, K);
        if (level() >= Isa::Avx2 && K % 16 == 0)
            return avx2::rowsS8U8(W, x, y, b, e, K);
#endif
        generic::rowsS8U8(W, x, y, b, e, K);
    });
}

void attendF32(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D,
               float scale)
{
#if EMBER_X86
    if (level() == Isa::Avx512 && D % 16 == 0)
        return avx512::attend(q, K, V, out, scores, n, D, scale);
    if (level() >= Isa::Avx2 && D % 8 == 0)
        return avx2::attend(q, K, V, out, scores, n, D, scale);
#endif
    generic::attend(q, K, V, out, scores, n, D, scale);
}

namespace {

// gemvF32 and rowsF32 must sum a row in the same order (the screened head replaces screen values
// by rowsF32's and compares them with gemvF32's): both run this, AVX2 on AVX-512 CPUs too.
void rowsF32Range(const float* W, const float* x, const float* bias, float* y, int64_t b, int64_t e, int64_t K)
{
#if EMBER_X86
    if (level() >= Isa::Avx2)
        return avx2::rowsF32(W, x, bias, y, b, e, K);
#endif
    generic::rowsF32(W, x, bias, y, b, e, K);
}

} // namespace

void rowsF32(const float* W, const float* x, const int32_t* rows, float* y, int64_t count, int64_t K)
{
    // The single-row tail of avx2::rowsF32 sums in the same order as its four-row body.
    for (int64_t i = 0; i < count; ++i)
        rowsF32Range(W + static_cast<int64_t>(rows[i]) * K, x, nullptr, &y[i], 0, 1, K);
}

void gemvF32(const float* W, const float* x, const float* bias, float* y, int64_t N, int64_t K)
{
    at::parallel_for(0, N, kGrainRows, [&](int64_t b, int64_t e) { rowsF32Range(W, x, bias, y, b, e, K); });
}

void gemvBF16(const uint16_t* W, const float* x, const float* bias, float* y, int64_t N, int64_t K)
{
    at::parallel_for(0, N, kGrainRows, [&](int64_t b, int64_t e) {
#if EMBER_X86
        if (level() >= Isa::Avx2)
            return avx2::rowsBF16(W, x, bias, y, b, e, K);
#endif
        generic::rowsBF16(W, x, bias, y, b, e, K);
    });
}

void gemvI8(const int8_t* W, const float* scale, const float* x, const float* bias, float* y, int64_t N, int64_t K)
{
    at::parallel_for(0, N, kGrainRows, [&](int64_t b, int64_t e) {
#if EMBER_X86
        if (level() == Isa::Avx512)
            return avx512::rowsI8(W, scale, x, bias, y, b, e, K);
        if (level() >= Isa::Avx2)
            return avx2::rowsI8(W, scale, x, bias, y, b, e, K);
#endif
        generic::rowsI8(W, scale, x, bias, y, b, e, K);
    });
}

namespace {

float logSumExpRow(const float* x, int64_t V)
{
#if EMBER_X86
    if (level() == Isa::Avx512)
        return avx512::logSumExp(x, V);
    if (level() >= Isa::Avx2)
        return avx2::logSumExp(x, V);
#endif
    return generic::logSumExp(x, V);
}

void expScaledRow(const float* x, int64_t V, float lse, float scale, float* g)
{
#if EMBER_X86
    if (level() == Isa::Avx512)
        return avx512::expScaled(x, V, lse, scale, g);
    if (level() >= Isa::Avx2)
        return avx2::expScaled(x, V, lse, scale, g);
#endif
    generic::expScaled(x, V, lse, scale, g);
}

} // namespace

void geluTanh(float* x, int64_t n)
{
    at::parallel_for(0, n, 1 << 14, [&](int64_t b, int64_t e) {
#if EMBER_X86
        if (level() == Isa::Avx512)
            return avx512::geluTanh(x, b, e);
        if (level() >= Isa::Avx2)
            return avx2::geluTanh(x, b, e);
#endif
        generic::geluTanh(x, b, e);
    });
}

double sumExp(const float* x, int64_t n, float shift)
{
#if EMBER_X86
    if (level() == Isa::Avx512)
        return avx512::sumExp(x, n, shift);
    if (level() >= Isa::Avx2)
        return avx2::sumExp(x, n, shift);
#endif
    return generic::sumExp(x, n, shift);
}

void softmaxCrossEntropyRows(const float* logits, const int64_t* target, float* lse, float* loss, int64_t R, int64_t V)
{
    at::parallel_for(0, R, 1, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const float* x = logits + r * V;
            lse[r] = logSumExpRow(x, V);
            loss[r] = lse[r] - x[target[r]];
        }
    });
}

void softmaxCrossEntropyGrad(const float* logits, const int64_t* target, const float* lse, float scale, float* grad,
                             int64_t R, int64_t V)
{
    at::parallel_for(0, R, 1, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            float* g = grad + r * V;
            expScaledRow(logits + r * V, V, lse[r], scale, g);
            g[target[r]] -= scale;
        }
    });
}

void adamwStep(float* p, const float* g, float* m, float* v, int64_t n, float decay, float b1, float b2,
               float stepSize, float sqrtBc2, float eps)
{
    at::parallel_for(0, n, 1 << 16, [&](int64_t b, int64_t e) {
#if EMBER_X86
        if (level() == Isa::Avx512)
            b = avx512::adamw(p, g, m, v, b, e, decay, b1, b2, stepSize, sqrtBc2, eps);
        else if (level() >= Isa::Avx2)
            b = avx2::adamw(p, g, m, v, b, e, decay, b1, b2, stepSize, sqrtBc2, eps);
#endif
        generic::adamw(p, g, m, v, b, e, decay, b1, b2, stepSize, sqrtBc2, eps);   // the last few values
    });
}

} // namespace ember::kernels
