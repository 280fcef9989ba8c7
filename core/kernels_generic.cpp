// Portable loops: the generic level (EMBERVLM_ISA=generic, a CPU without AVX2) and non-x86 CPUs.
#include "kernels_isa.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace ember::kernels::generic {

void rowsF32(const float* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end, int64_t K)
{
    for (int64_t n = begin; n < end; ++n) {
        const float* r = W + n * K;
        float s = 0.f;
        for (int64_t k = 0; k < K; ++k)
            s += r[k] * x[k];
        y[n] = s + (bias ? bias[n] : 0.f);
    }
}

void rowsBF16(const uint16_t* W, const float* x, const float* bias, float* y, int64_t begin, int64_t end, int64_t K)
{
    for (int64_t n = begin; n < end; ++n) {
        float s = 0.f;
        for (int64_t k = 0; k < K; ++k) {
            const uint32_t bits = static_cast<uint32_t>(W[n * K + k]) << 16;
            float w;
            std::memcpy(&w, &bits, 4);
            s += w * x[k];
        }
        y[n] = s + (bias ? bias[n] : 0.f);
    }
}

void rowsI8(const int8_t* W, const float* scale, const float* x, const float* bias, float* y, int64_t begin,
            int64_t end, int64_t K)
{
    for (int64_t n = begin; n < end; ++n) {
        float s = 0.f;
        for (int64_t k = 0; k < K; ++k)
            s += static_cast<float>(W[n * K + k]) * x[k];
        y[n] = s * scale[n] + (bias ? bias[n] : 0.f);
    }
}

void rowsS8U8(const int8_t* W, const uint8_t* x, int32_t* y, int64_t begin, int64_t end, int64_t K)
{
    for (int64_t n = begin; n < end; ++n) {
        int32_t s = 0;
        for (int64_t k = 0; k < K; ++k)
            s += static_cast<int32_t>(W[n * K + k]) * static_cast<int32_t>(x[k]);
        y[n] = s;
    }
}

void attend(const float* q, const float* K, const float* V, float* out, float* scores, int64_t n, int64_t D,
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

void geluTanh(float* x, int64_t b, int64_t e)
{
    const float k = 0.7978845608028654f;   // sqrt(2 / pi)
    for (int64_t i = b; i < e; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.f + std::tanh(k * (v + 0.044715f * v * v * v)));
    }
}

double sumExp(const float* x, int64_t n, float shift)
{
    double z = 0;
    for (int64_t j = 0; j < n; ++j)
        if (x[j] - shift > -40.f)   // smaller terms change nothing a float shows
            z += std::exp(static_cast<double>(x[j] - shift));
    return z;
}

float logSumExp(const float* x, int64_t V)
{
    const float mx = *std::max_element(x, x + V);
    double sum = 0;
    for (int64_t j = 0; j < V; ++j)
        sum += std::exp(static_cast<double>(x[j] - mx));
    return mx + static_cast<float>(std::log(sum));
}

void expScaled(const float* x, int64_t V, float lse, float scale, float* g)
{
    for (int64_t j = 0; j < V; ++j)
        g[j] = std::exp(x[j] - lse) * scale;
}

int64_t adamw(float* p, const float* g, float* m, float* v, int64_t b, int64_t e, float decay, float b1, float b2,
              float stepSize, float sqrtBc2, float eps)
{
    const float c1 = 1.f - b1, c2 = 1.f - b2;
    for (int64_t i = b; i < e; ++i) {
        const float gi = g[i];
        const float pi = p[i] * decay;
        const float mi = m[i] * b1 + gi * c1;
        const float vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - stepSize * (mi / (std::sqrt(vi) / sqrtBc2 + eps));
    }
    return e;
}

} // namespace ember::kernels::generic
