#include "kernels.h"

#include <ATen/Parallel.h>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ember::kernels {

namespace {

// Rows per parallel task: large enough that scheduling costs nothing next to the memory traffic.
constexpr int64_t kGrainRows = 256;

bool haveAvx2()
{
    static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok;
}

__attribute__((target("avx2,fma"))) inline float hsum(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_hadd_ps(lo, lo);
    lo = _mm_hadd_ps(lo, lo);
    return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma"))) void rowsF32Avx2(const float* W, const float* x, const float* bias, float* y,
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

__attribute__((target("avx2,fma"))) inline __m256 loadBF16(const uint16_t* p)
{
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

__attribute__((target("avx2,fma"))) void rowsBF16Avx2(const uint16_t* W, const float* x, const float* bias, float* y,
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

__attribute__((target("avx2,fma"))) void rowsI8Avx2(const int8_t* W, const float* scale, const float* x,
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

bool haveAvx512()
{
    static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    return ok;
}

__attribute__((target("avx512f,avx512bw"))) inline __m512 widen(const int8_t* p)
{
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

// Four rows share each load of x; 16 int8 weights widen to floats per step.
__attribute__((target("avx512f,avx512bw"))) void rowsI8Avx512(const int8_t* W, const float* scale, const float* x,
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

bool haveVnni()
{
    static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vnni");
    return ok;
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

void rowsF32Plain(const float* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end, int64_t K)
{
    for (int64_t n = begin; n < end; ++n) {
        const float* r = W + n * K;
        float s = 0.f;
        for (int64_t k = 0; k < K; ++k)
            s += r[k] * x[k];
        y[n] = s + (bias ? bias[n] : 0.f);
    }
}

} // namespace

bool gemvS8U8(const int8_t* W, const uint8_t* x, int32_t* y, int64_t N, int64_t K)
{
    if (!haveVnni() || K % 64 != 0)
        return false;
    at::parallel_for(0, N, kGrainRows, [&](int64_t b, int64_t e) { rowsS8U8Vnni(W, x, y, b, e, K); });
    return true;
}

namespace {

__attribute__((target("avx512f"))) void attendAvx512(const float* q, const float* K, const float* V, float* out,
                                                     float* scores, int64_t n, int64_t D, float scale)
{
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) {
        const float* k = K + j * D;
        __m512 a = _mm512_setzero_ps();
        for (int64_t i = 0; i < D; i += 16)
            a = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(k + i), a);
        scores[j] = _mm512_reduce_add_ps(a) * scale;
        mx = std::max(mx, scores[j]);
    }
    float z = 0.f;
    for (int64_t j = 0; j < n; ++j) {
        scores[j] = std::exp(scores[j] - mx);
        z += scores[j];
    }
    const float inv = 1.f / z;
    for (int64_t i = 0; i < D; i += 16) {
        __m512 acc = _mm512_setzero_ps();
        for (int64_t j = 0; j < n; ++j)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(scores[j]), _mm512_loadu_ps(V + j * D + i), acc);
        _mm512_storeu_ps(out + i, _mm512_mul_ps(acc, _mm512_set1_ps(inv)));
    }
}

void attendPlain(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D,
                 float scale)
{
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) {
        float a = 0.f;
        for (int64_t i = 0; i < D; ++i)
            a += q[i] * K[j * D + i];
        scores[j] = a * scale;
        mx = std::max(mx, scores[j]);
    }
    float z = 0.f;
    for (int64_t j = 0; j < n; ++j) {
        scores[j] = std::exp(scores[j] - mx);
        z += scores[j];
    }
    std::fill_n(out, D, 0.f);
    for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < D; ++i)
            out[i] += scores[j] * V[j * D + i];
    for (int64_t i = 0; i < D; ++i)
        out[i] /= z;
}

} // namespace

void attendF32(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D,
               float scale)
{
    if (D % 16 == 0 && haveAvx512())
        attendAvx512(q, K, V, out, scores, n, D, scale);
    else
        attendPlain(q, K, V, out, scores, n, D, scale);
}

void rowsF32(const float* W, const float* x, const int32_t* rows, float* y, int64_t count, int64_t K)
{
    const bool avx2 = haveAvx2();
    for (int64_t i = 0; i < count; ++i) {
        const float* r = W + static_cast<int64_t>(rows[i]) * K;
        // The single-row tail of rowsF32Avx2 sums in the same order as its four-row body.
        if (avx2)
            rowsF32Avx2(r, x, nullptr, &y[i], 0, 1, K);
        else
            rowsF32Plain(r, x, nullptr, &y[i], 0, 1, K);
    }
}

void gemvF32(const float* W, const float* x, const float* bias, float* y, int64_t N, int64_t K)
{
    const bool avx2 = haveAvx2();
    at::parallel_for(0, N, kGrainRows, [&](int64_t b, int64_t e) {
        if (avx2)
            rowsF32Avx2(W, x, bias, y, b, e, K);
        else
            rowsF32Plain(W, x, bias, y, b, e, K);
    });
}

void gemvBF16(const uint16_t* W, const float* x, const float* bias, float* y, int64_t N, int64_t K)
{
    const bool avx2 = haveAvx2();
    at::parallel_for(0, N, kGrainRows, [&](int64_t b, int64_t e) {
        if (avx2) {
            rowsBF16Avx2(W, x, bias, y, b, e, K);
            return;
        }
        for (int64_t n = b; n < e; ++n) {
            float s = 0.f;
            for (int64_t k = 0; k < K; ++k) {
                uint32_t bits = static_cast<uint32_t>(W[n * K + k]) << 16;
                float w;
                __builtin_memcpy(&w, &bits, 4);
                s += w * x[k];
            }
            y[n] = s + (bias ? bias[n] : 0.f);
        }
    });
}

void gemvI8(const int8_t* W, const float* scale, const float* x, const float* bias, float* y, int64_t N, int64_t K)
{
    const bool avx2 = haveAvx2(), avx512 = haveAvx512();
    at::parallel_for(0, N, kGrainRows, [&](int64_t b, int64_t e) {
        if (avx512) {
            rowsI8Avx512(W, scale, x, bias, y, b, e, K);
            return;
        }
        if (avx2) {
            rowsI8Avx2(W, scale, x, bias, y, b, e, K);
            return;
        }
        for (int64_t n = b; n < e; ++n) {
            float s = 0.f;
            for (int64_t k = 0; k < K; ++k)
                s += static_cast<float>(W[n * K + k]) * x[k];
            y[n] = s * scale[n] + (bias ? bias[n] : 0.f);
        }
    });
}

namespace {

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

__attribute__((target("avx512f"))) void ceRowAvx512(const float* x, int64_t V, float* lse)
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
    *lse = mx + static_cast<float>(std::log(sum));
}

__attribute__((target("avx512f"))) void ceGradRowAvx512(const float* x, int64_t V, float lse, float scale, float* g)
{
    const int64_t V16 = V & ~int64_t(15);
    const __m512 l = _mm512_set1_ps(lse), s = _mm512_set1_ps(scale);
    for (int64_t j = 0; j < V16; j += 16)
        _mm512_storeu_ps(g + j, _mm512_mul_ps(exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), l)), s));
    for (int64_t j = V16; j < V; ++j)
        g[j] = std::exp(x[j] - lse) * scale;
}

// Returns where it stopped (the scalar loop does the last few values).
__attribute__((target("avx512f"))) int64_t adamwAvx512(float* p, const float* g, float* m, float* v, int64_t b,
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

} // namespace

void softmaxCrossEntropyRows(const float* logits, const int64_t* target, float* lse, float* loss, int64_t R, int64_t V)
{
    const bool avx512 = haveAvx512();
    at::parallel_for(0, R, 1, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const float* x = logits + r * V;
            if (avx512) {
                ceRowAvx512(x, V, &lse[r]);
            } else {
                const float mx = *std::max_element(x, x + V);
                double sum = 0;
                for (int64_t j = 0; j < V; ++j)
                    sum += std::exp(static_cast<double>(x[j] - mx));
                lse[r] = mx + static_cast<float>(std::log(sum));
            }
            loss[r] = lse[r] - x[target[r]];
        }
    });
}

void softmaxCrossEntropyGrad(const float* logits, const int64_t* target, const float* lse, float scale, float* grad,
                             int64_t R, int64_t V)
{
    const bool avx512 = haveAvx512();
    at::parallel_for(0, R, 1, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const float* x = logits + r * V;
            float* g = grad + r * V;
            if (avx512) {
                ceGradRowAvx512(x, V, lse[r], scale, g);
            } else {
                for (int64_t j = 0; j < V; ++j)
                    g[j] = std::exp(x[j] - lse[r]) * scale;
            }
            g[target[r]] -= scale;
        }
    });
}

void adamwStep(float* p, const float* g, float* m, float* v, int64_t n, float decay, float b1, float b2,
               float stepSize, float sqrtBc2, float eps)
{
    const float c1 = 1.f - b1, c2 = 1.f - b2;
    const bool avx512 = haveAvx512();
    at::parallel_for(0, n, 1 << 16, [&](int64_t b, int64_t e) {
        if (avx512)
            b = adamwAvx512(p, g, m, v, b, e, decay, b1, b2, stepSize, sqrtBc2, eps);
        for (int64_t i = b; i < e; ++i) {
            const float gi = g[i];
            const float pi = p[i] * decay;
            const float mi = m[i] * b1 + gi * c1;
            const float vi = v[i] * b2 + c2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - stepSize * (mi / (std::sqrt(vi) / sqrtBc2 + eps));
        }
    });
}

} // namespace ember::kernels
