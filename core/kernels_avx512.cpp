// AVX-512 bodies of the kernels (see kernels_isa.h): chosen at run time, never by -m flags.
#include "kernels_isa.h"

#if EMBER_X86
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ember::kernels::avx512 {

__attribute__((target("avx512f,avx512bw"))) inline __m512 widen(const int8_t* p)
{
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

// Four rows share each load of x; 16 int8 weights widen to floats per step.
__attribute__((target("avx512f,avx512bw"))) void rowsI8(const int8_t* W, const float* scale, const float* x,
                                                             const float* bias, float* y, int64_t begin, int64_t end,
                                                             int64_t K)
{
    const int64_t K16 = K & ~int64_t(15);
    int64_t n = begin;
    for (; n + 4 <= end; n += 4) {
        const int8_t* r0 = W + n * K;
        const int8_t* r1 = r0 + K;
        const int8_t* r2 = r1 + K;
        const int8_t* r3 = r2 + K;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t k = 0; k < K16; k += 16) {
            const __m512 xv = _mm512_loadu_ps(x + k);
            a0 = _mm512_fmadd_ps(widen(r0 + k), xv, a0);
            a1 = _mm512_fmadd_ps(widen(r1 + k), xv, a1);
            a2 = _mm512_fmadd_ps(widen(r2 + k), xv, a2);
            a3 = _mm512_fmadd_ps(widen(r3 + k), xv, a3);
        }
        float s[4] = {_mm512_reduce_add_ps(a0), _mm512_reduce_add_ps(a1), _mm512_reduce_add_ps(a2),
                      _mm512_reduce_add_ps(a3)};
        for (int64_t k = K16; k < K; ++k) {
            s[0] += static_cast<float>(r0[k]) * x[k];
            s[1] += static_cast<float>(r1[k]) * x[k];
            s[2] += static_cast<float>(r2[k]) * x[k];
            s[3] += static_cast<float>(r3[k]) * x[k];
        }
        for (int j = 0; j < 4; ++j)
            y[n + j] = s[j] * scale[n + j] + (bias ? bias[n + j] : 0.f);
    }
    for (; n < end; ++n) {
        const int8_t* r = W + n * K;
        float s = 0.f;
        for (int64_t k = 0; k < K; ++k)
            s += static_cast<float>(r[k]) * x[k];
        y[n] = s * scale[n] + (bias ? bias[n] : 0.f);
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void rowsS8U8Vnni(const int8_t* W, const uint8_t* x, int32_t* y,
                                                                         int64_t begin, int64_t end, int64_t K)
{
    int64_t n = begin;
    for (; n + 4 <= end; n += 4) {
        const int8_t* r = W + n * K;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t k = 0; k < K; k += 64) {
            const __m512i xv = _mm512_loadu_si512(x + k);
            a0 = _mm512_dpbusd_epi32(a0, xv, _mm512_loadu_si512(r + k));
            a1 = _mm512_dpbusd_epi32(a1, xv, _mm512_loadu_si512(r + K + k));
            a2 = _mm512_dpbusd_epi32(a2, xv, _mm512_loadu_si512(r + 2 * K + k));
            a3 = _mm512_dpbusd_epi32(a3, xv, _mm512_loadu_si512(r + 3 * K + k));
        }
        y[n] = _mm512_reduce_add_epi32(a0);
        y[n + 1] = _mm512_reduce_add_epi32(a1);
        y[n + 2] = _mm512_reduce_add_epi32(a2);
        y[n + 3] = _mm512_reduce_add_epi32(a3);
    }
    for (; n < end; ++n) {
        int32_t s = 0;
        for (int64_t k = 0; k < K; ++k)
            s += static_cast<int32_t>(W[n * K + k]) * static_cast<int32_t>(x[k]);
        y[n] = s;
    }
}

// exp(x) for 16 floats: Cody-Waite reduction to r in [-ln2/2, ln2/2], Cephes' degree-6
// polynomial, scaled by 2^n (about 1 ulp; inputs below -87 give 0).
__attribute__((target("avx512f"))) inline __m512 exp512(__m512 x)
{
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f)), _mm512_set1_ps(-87.3365478515625f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.f)));
    return _mm512_scalef_ps(p, n);
}

// Decoding's attention over the cache for one head: the scores four keys at a time (independent
// sums), the softmax in one vectorised pass, and each cached value row read once, whole (D/16
// accumulators), rather than once per 16 columns. After a 700-token prompt the scalar exp and the
// column-by-column pass over V had made decoding half as fast as after a short one.
__attribute__((target("avx512f"))) void attend(const float* q, const float* K, const float* V, float* out,
                                                     float* scores, int64_t n, int64_t D, float scale)
{
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const float* k = K + j * D;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t i = 0; i < D; i += 16) {
            const __m512 qi = _mm512_loadu_ps(q + i);
            a0 = _mm512_fmadd_ps(qi, _mm512_loadu_ps(k + i), a0);
            a1 = _mm512_fmadd_ps(qi, _mm512_loadu_ps(k + D + i), a1);
            a2 = _mm512_fmadd_ps(qi, _mm512_loadu_ps(k + 2 * D + i), a2);
            a3 = _mm512_fmadd_ps(qi, _mm512_loadu_ps(k + 3 * D + i), a3);
        }
        scores[j] = _mm512_reduce_add_ps(a0) * scale;
        scores[j + 1] = _mm512_reduce_add_ps(a1) * scale;
        scores[j + 2] = _mm512_reduce_add_ps(a2) * scale;
        scores[j + 3] = _mm512_reduce_add_ps(a3) * scale;
    }
    for (; j < n; ++j) {
        __m512 a = _mm512_setzero_ps();
        for (int64_t i = 0; i < D; i += 16)
            a = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(K + j * D + i), a);
        scores[j] = _mm512_reduce_add_ps(a) * scale;
    }
    __m512 m = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    for (j = 0; j < n; j += 16) {
        const __mmask16 k = j + 16 <= n ? __mmask16(0xFFFF) : __mmask16((1u << (n - j)) - 1);
        m = _mm512_mask_max_ps(m, k, m, _mm512_maskz_loadu_ps(k, scores + j));
    }
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(m));
    __m512 zs = _mm512_setzero_ps();
    for (j = 0; j < n; j += 16) {
        const __mmask16 k = j + 16 <= n ? __mmask16(0xFFFF) : __mmask16((1u << (n - j)) - 1);
        const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, scores + j), mx));
        _mm512_mask_storeu_ps(scores + j, k, e);
        zs = _mm512_add_ps(zs, _mm512_maskz_mov_ps(k, e));
    }
    const __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(zs));
    const int64_t C = D / 16;
    if (C <= 16) {
        __m512 acc[16];
        for (int64_t c = 0; c < C; ++c)
            acc[c] = _mm512_setzero_ps();
        for (j = 0; j < n; ++j) {
            const __m512 p = _mm512_set1_ps(scores[j]);
            const float* v = V + j * D;
            for (int64_t c = 0; c < C; ++c)
                acc[c] = _mm512_fmadd_ps(p, _mm512_loadu_ps(v + 16 * c), acc[c]);
        }
        for (int64_t c = 0; c < C; ++c)
            _mm512_storeu_ps(out + 16 * c, _mm512_mul_ps(acc[c], inv));
        return;
    }
    for (int64_t i = 0; i < D; i += 16) {   // heads wider than 256: a slice of columns at a time
        __m512 acc = _mm512_setzero_ps();
        for (j = 0; j < n; ++j)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(scores[j]), _mm512_loadu_ps(V + j * D + i), acc);
        _mm512_storeu_ps(out + i, _mm512_mul_ps(acc, inv));
    }
}

// 0.5 v (1 + tanh(u)) = v / (1 + exp(-2u)), u = sqrt(2/pi) (v + 0.044715 v^3).
__attribute__((target("avx512f"))) void geluTanh(float* x, int64_t b, int64_t e)
{
    const __m512 k2 = _mm512_set1_ps(-2.f * 0.7978845608028654f), c = _mm512_set1_ps(0.044715f);
    const __m512 one = _mm512_set1_ps(1.f);
    int64_t i = b;
    for (; i + 16 <= e; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512 inner = _mm512_fmadd_ps(_mm512_mul_ps(c, v), _mm512_mul_ps(v, v), v);
        const __m512 t = exp512(_mm512_mul_ps(k2, inner));
        _mm512_storeu_ps(x + i, _mm512_div_ps(v, _mm512_add_ps(one, t)));
    }
    generic::geluTanh(x, i, e);
}

__attribute__((target("avx512f"))) double sumExp(const float* x, int64_t n, float shift)
{
    const __m512 m = _mm512_set1_ps(shift);
    double z = 0;
    int64_t j = 0;
    while (j + 16 <= n) {
        __m512 acc = _mm512_setzero_ps();
        for (const int64_t stop = std::min(n, j + 1024) & ~int64_t(15); j < stop; j += 16)
            acc = _mm512_add_ps(acc, exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), m)));
        z += _mm512_reduce_add_ps(acc);
    }
    for (; j < n; ++j)
        z += std::exp(static_cast<double>(x[j] - shift));
    return z;
}

__attribute__((target("avx512f"))) float logSumExp(const float* x, int64_t V)
{
    const int64_t V16 = V & ~int64_t(15);
    __m512 mv = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t j = 0; j < V16; j += 16)
        mv = _mm512_max_ps(mv, _mm512_loadu_ps(x + j));
    float mx = _mm512_reduce_max_ps(mv);
    for (int64_t j = V16; j < V; ++j)
        mx = std::max(mx, x[j]);
    const __m512 m = _mm512_set1_ps(mx);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t j = 0; j < V16; j += 16)
        acc = _mm512_add_ps(acc, exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), m)));
    double sum = _mm512_reduce_add_ps(acc);
    for (int64_t j = V16; j < V; ++j)
        sum += std::exp(static_cast<double>(x[j] - mx));
    return mx + static_cast<float>(std::log(sum));
}

__attribute__((target("avx512f"))) void expScaled(const float* x, int64_t V, float lse, float scale, float* g)
{
    const int64_t V16 = V & ~int64_t(15);
    const __m512 l = _mm512_set1_ps(lse), s = _mm512_set1_ps(scale);
    for (int64_t j = 0; j < V16; j += 16)
        _mm512_storeu_ps(g + j, _mm512_mul_ps(exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), l)), s));
    for (int64_t j = V16; j < V; ++j)
        g[j] = std::exp(x[j] - lse) * scale;
}

__attribute__((target("avx512f"))) int64_t adamw(float* p, const float* g, float* m, float* v, int64_t b,
                                                       int64_t e, float decay, float b1, float b2, float stepSize,
                                                       float sqrtBc2, float eps)
{
    const __m512 vd = _mm512_set1_ps(decay), vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2);
    const __m512 vc1 = _mm512_set1_ps(1.f - b1), vc2 = _mm512_set1_ps(1.f - b2);
    const __m512 vs = _mm512_set1_ps(stepSize), vbc = _mm512_set1_ps(sqrtBc2), ve = _mm512_set1_ps(eps);
    int64_t i = b;
    for (; i + 16 <= e; i += 16) {
        const __m512 gi = _mm512_loadu_ps(g + i);
        const __m512 pi = _mm512_mul_ps(_mm512_loadu_ps(p + i), vd);
        const __m512 mi = _mm512_fmadd_ps(gi, vc1, _mm512_mul_ps(_mm512_loadu_ps(m + i), vb1));
        const __m512 vi = _mm512_fmadd_ps(_mm512_mul_ps(gi, vc2), gi, _mm512_mul_ps(_mm512_loadu_ps(v + i), vb2));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        const __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), vbc), ve);
        _mm512_storeu_ps(p + i, _mm512_fnmadd_ps(vs, _mm512_div_ps(mi, denom), pi));
    }
    return i;
}

} // namespace ember::kernels::avx512
#endif
