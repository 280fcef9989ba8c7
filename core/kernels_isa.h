#pragma once
// Row-range bodies of the kernels in kernels.h, one namespace per instruction set. Each function
// carries its own target attribute, so its file builds without -m flags and nothing compiled for
// AVX2 or AVX-512 can leak into code that runs on a CPU without it; kernels.cpp picks one at run
// time. Declared on x86 only. Internal.
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#define EMBER_X86 1
#else
#define EMBER_X86 0
#endif

namespace ember::kernels {

// Portable loops: the generic level, and every CPU that is not x86.
namespace generic {
// GPT-2's tanh GELU in place over [b, e).
void geluTanh(float* x, int64_t b, int64_t e);
// sum_j exp(x[j] - shift), float terms gathered in double every 1024.
double sumExp(const float* x, int64_t n, float shift);
void rowsF32(const float* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end, int64_t K);
void rowsBF16(const uint16_t* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end, int64_t K);
void rowsI8(const int8_t* W, const float* scale, const float* x, const float* bias, float* y, int64_t begin,
            int64_t end, int64_t K);
void rowsS8U8(const int8_t* W, const uint8_t* x, int32_t* y, int64_t begin, int64_t end, int64_t K);
void attend(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D,
            float scale);
float logSumExp(const float* x, int64_t V);
void expScaled(const float* x, int64_t V, float lse, float scale, float* g);
int64_t adamw(float* p, const float* g, float* m, float* v, int64_t b, int64_t e, float decay, float b1, float b2,
              float stepSize, float sqrtBc2, float eps);
} // namespace generic

#if EMBER_X86
// AVX2 + FMA (Haswell and later, every AMD Zen).
namespace avx2 {
// GPT-2's tanh GELU in place over [b, e).
void geluTanh(float* x, int64_t b, int64_t e);
// sum_j exp(x[j] - shift), float terms gathered in double every 1024.
double sumExp(const float* x, int64_t n, float shift);
void rowsF32(const float* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end, int64_t K);
void rowsBF16(const uint16_t* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end, int64_t K);
void rowsI8(const int8_t* W, const float* scale, const float* x, const float* bias, float* y, int64_t begin,
            int64_t end, int64_t K);
// Exact int32 sums through 16-bit products (K a multiple of 16).
void rowsS8U8(const int8_t* W, const uint8_t* x, int32_t* y, int64_t begin, int64_t end, int64_t K);
// D a multiple of 8.
void attend(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D,
            float scale);
float logSumExp(const float* x, int64_t V);
void expScaled(const float* x, int64_t V, float lse, float scale, float* g);
// Returns where it stopped; the caller's scalar loop does the last few values.
int64_t adamw(float* p, const float* g, float* m, float* v, int64_t b, int64_t e, float decay, float b1, float b2,
              float stepSize, float sqrtBc2, float eps);
} // namespace avx2

// AVX-512 F/BW/VL/DQ (Skylake-SP, Ice Lake, Zen 4 and later); VNNI where noted.
namespace avx512 {
// GPT-2's tanh GELU in place over [b, e).
void geluTanh(float* x, int64_t b, int64_t e);
// sum_j exp(x[j] - shift), float terms gathered in double every 1024.
double sumExp(const float* x, int64_t n, float shift);
void rowsI8(const int8_t* W, const float* scale, const float* x, const float* bias, float* y, int64_t begin,
            int64_t end, int64_t K);
// VNNI; K a multiple of 64.
void rowsS8U8Vnni(const int8_t* W, const uint8_t* x, int32_t* y, int64_t begin, int64_t end, int64_t K);
// D a multiple of 16.
void attend(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D,
            float scale);
float logSumExp(const float* x, int64_t V);
void expScaled(const float* x, int64_t V, float lse, float scale, float* g);
int64_t adamw(float* p, const float* g, float* m, float* v, int64_t b, int64_t e, float decay, float b1, float b2,
              float stepSize, float sqrtBc2, float eps);
} // namespace avx512
#endif

} // namespace ember::kernels
