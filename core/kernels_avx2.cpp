// AVX2 + FMA bodies of the kernels (see kernels_isa.h): chosen at run time, never by -m flags.
#include "kernels_isa.h"

#if EMBER_X86
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#define EMBER_AVX2 __attribute__((target("avx2,fma")))

namespace ember::kernels::avx2 {

EMBER_AVX2 inline float hsum(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_hadd_ps(lo, lo);
    lo = _mm_hadd_ps(lo, lo);
    return _mm_cvtss_f32(lo);
}

EMBER_AVX2 void rowsF32(const float* W, const float* x, const float* bias, float* y,
                                                     int64_t begin, int64_t end, int64_t K)
{
    const int64_t K8 = K & ~int64_t(7);
    int64_t n = begin;
    for (; n + 4 <= end; n += 4) {   // four rows share each load of x
        const float* r0 = W + n * K;
        const float* r1 = r0 + K;
        const float* r2 = r1 + K;
        const float* r3 = r2 + K;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t k = 0; k < K8; k += 8) {
            const __m256 xv = _mm256_loadu_ps(x + k);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + k), xv, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + k), xv, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + k), xv, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + k), xv, a3);
        }
        float s[4] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3)};
        for (int64_t k = K8; k < K; ++k) {
            s[0] += r0[k] * x[k];
            s[1] += r1[k] * x[k];
            s[2] += r2[k] * x[k];
            s[3] += r3[k] * x[k];
        }
        for (int j = 0; j < 4; ++j)
            y[n + j] = s[j] + (bias ? bias[n + j] : 0.f);
    }
    for (; n < end; ++n) {
        const float* r = W + n * K;
        __m256 a = _mm256_setzero_ps();
        for (int64_t k = 0; k < K8; k += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(r + k), _mm256_loadu_ps(x + k), a);
        float s = hsum(a);
        for (int64_t k = K8; k < K; ++k)
            s += r[k] * x[k];
        y[n] = s + (bias ? bias[n] : 0.f);
    }
}

EMBER_AVX2 inline __m256 loadBF16(const uint16_t* p)
{
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

EMBER_AVX2 void rowsBF16(const uint16_t* W, const float* x, const float* bias, float* y,
                                                      int64_t begin, int64_t end, int64_t K)
{
    const int64_t K8 = K & ~int64_t(7);
    for (int64_t n = begin; n < end; ++n) {
        const uint16_t* r = W + n * K;
        __m256 a = _mm256_setzero_ps();
        for (int64_t k = 0; k < K8; k += 8)
            a = _mm256_fmadd_ps(loadBF16(r + k), _mm256_loadu_ps(x + k), a);
        float s = hsum(a);
        for (int64_t k = K8; k < K; ++k) {
            uint32_t bits = static_cast<uint32_t>(r[k]) << 16;
            float w;
            __builtin_memcpy(&w, &bits, 4);
            s += w * x[k];
        }
        y[n] = s + (bias ? bias[n] : 0.f);
    }
}

EMBER_AVX2 void rowsI8(const int8_t* W, const float* scale, const float* x,
                                                    const float* bias, float* y, int64_t begin, int64_t end, int64_t K)
{
    const int64_t K8 = K & ~int64_t(7);
    for (int64_t n = begin; n < end; ++n) {
        const int8_t* r = W + n * K;
        __m256 a = _mm256_setzero_ps();
        for (int64_t k = 0; k < K8; k += 8) {
            const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + k));
            const __m256 w = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
            a = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + k), a);
        }
        float s = hsum(a);
        for (int64_t k = K8; k < K; ++k)
            s += static_cast<float>(r[k]) * x[k];
        y[n] = s * scale[n] + (bias ? bias[n] : 0.f);
    }
}

// Exact: |w| <= 127 and x <= 255 widen to 16 bits, and each pair of products (at most 64,770)
// is summed in 32 bits by madd. Four rows share each widened load of x.
EMBER_AVX2 inline int32_t hsumI32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

EMBER_AVX2 inline __m256i widenS8(const int8_t* p)
{
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

EMBER_AVX2 void rowsS8U8(const int8_t* W, const uint8_t* x, int32_t* y, int64_t begin, int64_t end, int64_t K)
{
    int64_t n = begin;
    for (; n + 4 <= end; n += 4) {
        const int8_t* r = W + n * K;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t k = 0; k < K; k += 16) {
            const __m256i xv = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + k)));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(widenS8(r + k), xv));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(widenS8(r + K + k), xv));
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(widenS8(r + 2 * K + k), xv));
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(widenS8(r + 3 * K + k), xv));
        }
        y[n] = hsumI32(a0);
        y[n + 1] = hsumI32(a1);
        y[n + 2] = hsumI32(a2);
        y[n + 3] = hsumI32(a3);
    }
    if (n < end)
        generic::rowsS8U8(W, x, y, n, end, K);
}

// exp(x) for 8 floats, as avx512's exp16: Cody-Waite reduction, Cephes' degree-6 polynomial, then
// 2^n built in the exponent bits (x is clamped to [-87.3, 88], where 2^n stays a normal float).
EMBER_AVX2 inline __m256 exp8(__m256 x)
{
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.f)), _mm256_set1_ps(-87.3365478515625f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

EMBER_AVX2 inline float hmax(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

// Decoding's attention over the cache for one head, as avx512's: four keys at a time, the softmax
// in one vectorised pass, each value row read once (D/8 accumulators).
EMBER_AVX2 void attend(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n,
                       int64_t D, float scale)
{
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const float* k = K + j * D;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t i = 0; i < D; i += 8) {
            const __m256 qi = _mm256_loadu_ps(q + i);
            a0 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + i), a0);
            a1 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + D + i), a1);
            a2 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + 2 * D + i), a2);
            a3 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + 3 * D + i), a3);
        }
        scores[j] = hsum(a0) * scale;
        scores[j + 1] = hsum(a1) * scale;
        scores[j + 2] = hsum(a2) * scale;
        scores[j + 3] = hsum(a3) * scale;
    }
    for (; j < n; ++j) {
        __m256 a = _mm256_setzero_ps();
        for (int64_t i = 0; i < D; i += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(K + j * D + i), a);
        scores[j] = hsum(a) * scale;
    }
    float mx = -std::numeric_limits<float>::infinity();
    for (j = 0; j < n; ++j)
        mx = std::max(mx, scores[j]);
    const __m256 m8 = _mm256_set1_ps(mx);
    __m256 zs = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(scores + j), m8));
        _mm256_storeu_ps(scores + j, e);
        zs = _mm256_add_ps(zs, e);
    }
    float z = hsum(zs);
    for (; j < n; ++j) {
        scores[j] = std::exp(scores[j] - mx);
        z += scores[j];
    }
    const __m256 inv = _mm256_set1_ps(1.f / z);
    const int64_t C = D / 8;
    if (C <= 16) {
        __m256 acc[16];
        for (int64_t c = 0; c < C; ++c)
            acc[c] = _mm256_setzero_ps();
        for (j = 0; j < n; ++j) {
            const __m256 p = _mm256_set1_ps(scores[j]);
            const float* v = V + j * D;
            for (int64_t c = 0; c < C; ++c)
                acc[c] = _mm256_fmadd_ps(p, _mm256_loadu_ps(v + 8 * c), acc[c]);
        }
        for (int64_t c = 0; c < C; ++c)
            _mm256_storeu_ps(out + 8 * c, _mm256_mul_ps(acc[c], inv));
        return;
    }
    for (int64_t i = 0; i < D; i += 8) {   // heads wider than 128: a slice of columns at a time
        __m256 acc = _mm256_setzero_ps();
        for (j = 0; j < n; ++j)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(scores[j]), _mm256_loadu_ps(V + j * D + i), acc);
        _mm256_storeu_ps(out + i, _mm256_mul_ps(acc, inv));
    }
}

// 0.5 v (1 + tanh(u)) = v / (1 + exp(-2u)), u = sqrt(2/pi) (v + 0.044715 v^3).
EMBER_AVX2 void geluTanh(float* x, int64_t b, int64_t e)
{
    const __m256 k2 = _mm256_set1_ps(-2.f * 0.7978845608028654f), c = _mm256_set1_ps(0.044715f);
    const __m256 one = _mm256_set1_ps(1.f);
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(c, v), _mm256_mul_ps(v, v), v);
        const __m256 t = exp8(_mm256_mul_ps(k2, inner));
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, t)));
    }
    generic::geluTanh(x, i, e);
}

EMBER_AVX2 double sumExp(const float* x, int64_t n, float shift)
{
    const __m256 m = _mm256_set1_ps(shift);
    double z = 0;
    int64_t j = 0;
    while (j + 8 <= n) {
        __m256 acc = _mm256_setzero_ps();
        for (const int64_t stop = std::min(n, j + 1024) & ~int64_t(7); j < stop; j += 8)
            acc = _mm256_add_ps(acc, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), m)));
        z += hsum(acc);
    }
    for (; j < n; ++j)
        z += std::exp(static_cast<double>(x[j] - shift));
    return z;
}

EMBER_AVX2 float logSumExp(const float* x, int64_t V)
{
    const int64_t V8 = V & ~int64_t(7);
    __m256 mv = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t j = 0; j < V8; j += 8)
        mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + j));
    float mx = hmax(mv);
    for (int64_t j = V8; j < V; ++j)
        mx = std::max(mx, x[j]);
    const __m256 m = _mm256_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < V8; j += 8)
        acc = _mm256_add_ps(acc, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), m)));
    double sum = hsum(acc);
    for (int64_t j = V8; j < V; ++j)
        sum += std::exp(static_cast<double>(x[j] - mx));
    return mx + static_cast<float>(std::log(sum));
}

EMBER_AVX2 void expScaled(const float* x, int64_t V, float lse, float scale, float* g)
{
    const int64_t V8 = V & ~int64_t(7);
    const __m256 l = _mm256_set1_ps(lse), s = _mm256_set1_ps(scale);
    for (int64_t j = 0; j < V8; j += 8)
        _mm256_storeu_ps(g + j, _mm256_mul_ps(exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), l)), s));
    for (int64_t j = V8; j < V; ++j)
        g[j] = std::exp(x[j] - lse) * scale;
}

EMBER_AVX2 int64_t adamw(float* p, const float* g, float* m, float* v, int64_t b, int64_t e, float decay, float b1,
                         float b2, float stepSize, float sqrtBc2, float eps)
{
    const __m256 vd = _mm256_set1_ps(decay), vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2);
    const __m256 vc1 = _mm256_set1_ps(1.f - b1), vc2 = _mm256_set1_ps(1.f - b2);
    const __m256 vs = _mm256_set1_ps(stepSize), vbc = _mm256_set1_ps(sqrtBc2), ve = _mm256_set1_ps(eps);
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
        const __m256 gi = _mm256_loadu_ps(g + i);
        const __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), vd);
        const __m256 mi = _mm256_fmadd_ps(gi, vc1, _mm256_mul_ps(_mm256_loadu_ps(m + i), vb1));
        const __m256 vi = _mm256_fmadd_ps(_mm256_mul_ps(gi, vc2), gi, _mm256_mul_ps(_mm256_loadu_ps(v + i), vb2));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc), ve);
        _mm256_storeu_ps(p + i, _mm256_fnmadd_ps(vs, _mm256_div_ps(mi, denom), pi));
    }
    return i;
}

} // namespace ember::kernels::avx2
#endif
