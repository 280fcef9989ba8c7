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

// What every level implements. attend: D a multiple of the vector width (16 on AVX-512, 8 on
// AVX2). adamw returns where it stopped; the caller's portable loop does the last few values.
#define EMBER_KERNELS_EVERY_LEVEL                                                                                  \
    void geluTanh(float* x, int64_t b, int64_t e); /* GPT-2's tanh GELU in place over [b, e) */               \
    double sumExp(const float* x, int64_t n, float shift); /* float terms gathered in double every 1024 */    \
    void rowsI8(const int8_t* W, const float* scale, const float* x, const float* bias, float* y, int64_t begin, \
                int64_t end, int64_t K);                                                                         \
    void attend(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D, \
                float scale);                                                                                    \
    float logSumExp(const float* x, int64_t V);                                                                  \
    void expScaled(const float* x, int64_t V, float lse, float scale, float* g);                                 \
    int64_t adamw(float* p, const float* g, float* m, float* v, int64_t b, int64_t e, float decay, float b1,     \
                  float b2, float stepSize, float sqrtBc2, float eps);

// The f32 and bf16 rows (AVX2 serves the AVX-512 level too) and the exact int8 x uint8 sums.
#define EMBER_KERNELS_ROWS                                                                                         \
    void rowsF32(const float* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end,        \
                 int64_t K);                                                                                     \
    void rowsBF16(const uint16_t* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end,    \
                  int64_t K);                                                                                    \
    void rowsS8U8(const int8_t* W, const uint8_t* x, int32_t* y, int64_t begin, int64_t end, int64_t K);

namespace ember::kernels {

// Portable loops: the generic level, and every CPU that is not x86.
namespace generic {
EMBER_KERNELS_EVERY_LEVEL
EMBER_KERNELS_ROWS
} // namespace generic

#if EMBER_X86
// AVX2 + FMA (Haswell and later, every AMD Zen). rowsS8U8: 16-bit products, K a multiple of 16.
namespace avx2 {
EMBER_KERNELS_EVERY_LEVEL
EMBER_KERNELS_ROWS
} // namespace avx2

// AVX-512 F/BW/VL/DQ (Skylake-SP, Ice Lake, Zen 4 and later).
namespace avx512 {
EMBER_KERNELS_EVERY_LEVEL
// VNNI; K a multiple of 64.
void rowsS8U8Vnni(const int8_t* W, const uint8_t* x, int32_t* y, int64_t begin, int64_t end, int64_t K);
} // namespace avx512
#endif

} // namespace ember::kernels
