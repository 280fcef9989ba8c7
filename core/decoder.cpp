#include "decoder.h"

#include "dnnl_matmul.h"
#include "kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

namespace ember {

const char* weightFormatName(WeightFormat f)
{
    switch (f) {
    case WeightFormat::F32: return "f32";
    case WeightFormat::BF16: return "bf16";
    case WeightFormat::I8: return "int8";
    }
    return "?";
}

WeightFormat weightFormatFromString(const std::string& s)
{
    if (s == "f32" || s == "fp32") return WeightFormat::F32;
    if (s == "bf16") return WeightFormat::BF16;
    if (s == "int8" || s == "i8") return WeightFormat::I8;
    throw std::invalid_argument("unknown weight format '" + s + "' (expected f32, bf16 or int8)");
}

PackedLinear PackedLinear::pack(const torch::Tensor& weight, const torch::Tensor& bias, WeightFormat format)
{
    PackedLinear p;
    auto w = weight.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    p.out = w.size(0);
    p.in = w.size(1);
    p.format = format;
    p.bias = bias.defined() ? bias.detach().to(torch::kCPU, torch::kFloat32).contiguous() : torch::zeros({p.out});
    if (format == WeightFormat::F32) {
        p.weight = w;   // shares the model's storage: no second copy of the weights
    } else if (format == WeightFormat::BF16) {
        // Round to nearest even, as torch's own float -> bfloat16 conversion does.
        p.weight = w.to(torch::kBFloat16).view(torch::kInt16).contiguous();
    } else {
        // Symmetric per-row int8: scale = max|w| / 127; one pass per row (this runs at every load).
        p.weight = torch::empty({p.out, p.in}, torch::kInt8);
        p.scale = torch::empty({p.out}, torch::kFloat32);
        const float* src = w.data_ptr<float>();
        int8_t* dst = p.weight.data_ptr<int8_t>();
        float* scale = p.scale.data_ptr<float>();
        const int64_t K = p.in;
        at::parallel_for(0, p.out, 256, [&](int64_t b, int64_t e) {
            for (int64_t n = b; n < e; ++n) {
                const float* r = src + n * K;
                float mx = 0.f;
                for (int64_t k = 0; k < K; ++k)
                    mx = std::max(mx, std::fabs(r[k]));
                const float s = std::max(mx, 1e-12f) / 127.f;
                scale[n] = s;
                for (int64_t k = 0; k < K; ++k)
                    dst[n * K + k] = static_cast<int8_t>(std::clamp(std::nearbyint(r[k] / s), -127.f, 127.f));
            }
        });
    }
    return p;
}

torch::Tensor PackedLinear::operator()(const torch::Tensor& x) const
{
    auto y = torch::empty({out}, torch::kFloat32);
    apply(x.data_ptr<float>(), y.data_ptr<float>());
    return y;
}

void PackedLinear::apply(const float* xp, float* yp) const
{
    switch (format) {
    case WeightFormat::F32:
        kernels::gemvF32(weight.data_ptr<float>(), xp, bias.data_ptr<float>(), yp, out, in);
        break;
    case WeightFormat::BF16:
        kernels::gemvBF16(reinterpret_cast<const uint16_t*>(weight.data_ptr<int16_t>()), xp, bias.data_ptr<float>(), yp,
                          out, in);
        break;
    case WeightFormat::I8:
        kernels::gemvI8(weight.data_ptr<int8_t>(), scale.data_ptr<float>(), xp, bias.data_ptr<float>(), yp, out, in);
        break;
    }
}

namespace {

// The per-token vector work runs on raw pointers: at one position each LibTorch op would cost
// more in dispatch than in arithmetic.
void layerNorm(const float* x, const torch::Tensor& w, const torch::Tensor& b, double eps, float* y, int64_t n)
{
    // Sums in double over four independent partial sums: one dependent chain of double adds per
    // element ran at the adder's latency, a noticeable part of a prompt.
    double s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; ++j)
            s[j] += x[i + j];
    for (; i < n; ++i)
        s[0] += x[i];
    const double mean = ((s[0] + s[1]) + (s[2] + s[3])) / static_cast<double>(n);
    double v[4] = {0, 0, 0, 0};
    for (i = 0; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; ++j)
            v[j] += (x[i + j] - mean) * (x[i + j] - mean);
    for (; i < n; ++i)
        v[0] += (x[i] - mean) * (x[i] - mean);
    const double var = ((v[0] + v[1]) + (v[2] + v[3])) / static_cast<double>(n);
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
    const float m = static_cast<float>(mean);
    const float* wp = w.data_ptr<float>();
    const float* bp = b.data_ptr<float>();
    for (i = 0; i < n; ++i)
        y[i] = (x[i] - m) * inv * wp[i] + bp[i];
}

float dot(const float* a, const float* b, int64_t n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

} // namespace

torch::Tensor PackedLinear::rows(const torch::Tensor& x) const
{
    TORCH_CHECK(format == WeightFormat::F32, "multi-position products need f32 weights");
    auto xc = x.to(torch::kFloat32).contiguous();
    auto y = torch::empty({xc.size(0), out}, torch::kFloat32);
    if (dnnlLinearRows(xc.data_ptr<float>(), weight.data_ptr<float>(), bias.data_ptr<float>(), y.data_ptr<float>(),
                       xc.size(0), in, out))
        return y;
    return torch::addmm(bias, xc, weight.t());
}

torch::Tensor PackedLinear::dequantized() const
{
    switch (format) {
    case WeightFormat::F32: return weight;
    case WeightFormat::BF16: return weight.view(torch::kBFloat16).to(torch::kFloat32);
    case WeightFormat::I8: return weight.to(torch::kFloat32) * scale.unsqueeze(1);
    }
    return weight;
}

int64_t PackedLinear::bytes() const
{
    return weight.numel() * weight.element_size() + (scale.defined() ? scale.numel() * 4 : 0) + bias.numel() * 4;
}

FastDecoder::FastDecoder(LanguageModelImpl& lm, WeightFormat format) : format_(format)
{
    torch::NoGradGuard ng;
    auto f32 = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat32).contiguous(); };
    for (auto& m : *lm.h) {
        auto* b = m->as<GptBlockImpl>();
        Layer L;
        L.ln1w = f32(b->ln_1->weight);
        L.ln1b = f32(b->ln_1->bias);
        L.ln2w = f32(b->ln_2->weight);
        L.ln2b = f32(b->ln_2->bias);
        L.qkv = PackedLinear::pack(torch::cat({b->attn->q_proj->weight, b->attn->k_proj->weight, b->attn->v_proj->weight}),
                                   torch::cat({b->attn->q_proj->bias, b->attn->k_proj->bias, b->attn->v_proj->bias}), format);
        if (format == WeightFormat::F32 && b->attn->q_proj->weight.device().is_cpu() &&
            b->attn->q_proj->weight.scalar_type() == torch::kFloat32) {
            // The module's q/k/v weights become views of the packed copy: one copy in memory.
            const int64_t C = b->attn->q_proj->weight.size(0);
            b->attn->q_proj->weight.set_data(L.qkv.weight.narrow(0, 0, C));
            b->attn->k_proj->weight.set_data(L.qkv.weight.narrow(0, C, C));
            b->attn->v_proj->weight.set_data(L.qkv.weight.narrow(0, 2 * C, C));
        }
        L.out = PackedLinear::pack(b->attn->out_proj->weight, b->attn->out_proj->bias, format);
        L.fc1 = PackedLinear::pack(b->mlp->fc1->weight, b->mlp->fc1->bias, format);
        L.fc2 = PackedLinear::pack(b->mlp->fc2->weight, b->mlp->fc2->bias, format);
        heads_ = b->attn->n_head;
        headDim_ = b->attn->head_dim;
        layers_.push_back(std::move(L));
    }
    wpe_ = f32(lm.wpe->weight);
    lnfw_ = f32(lm.ln_f->weight);
    lnfb_ = f32(lm.ln_f->bias);
    head_ = PackedLinear::pack(lm.wte->weight, torch::Tensor(), format);
    if (format == WeightFormat::F32) {
        screen_ = PackedLinear::pack(lm.wte->weight, torch::Tensor(), WeightFormat::I8);
        // Per-row sums of the int8 weights, without whole-matrix temporaries (this runs at load).
        screenRowSum_ = torch::empty({screen_.out}, torch::kInt32);
        screenAbsSum_ = torch::empty({screen_.out}, torch::kFloat32);
        const int8_t* q = screen_.weight.data_ptr<int8_t>();
        int32_t* rowSum = screenRowSum_.data_ptr<int32_t>();
        float* absSum = screenAbsSum_.data_ptr<float>();
        const int64_t K = screen_.in;
        at::parallel_for(0, screen_.out, 1024, [&](int64_t b, int64_t e) {
            for (int64_t n = b; n < e; ++n) {
                int32_t s = 0, a = 0;
                for (int64_t k = 0; k < K; ++k) {
                    s += q[n * K + k];
                    a += std::abs(static_cast<int32_t>(q[n * K + k]));
                }
                rowSum[n] = s;
                absSum[n] = static_cast<float>(a);
            }
        });
    }
    positions_ = lm.cfg.n_positions;
    eps_ = lm.cfg.layer_norm_eps;
}

torch::Tensor FastDecoder::step(const torch::Tensor& embedding, KVCache& cache) const
{
    const int64_t pos = cache.length;
    TORCH_CHECK(pos < positions_, "context of ", positions_, " positions is full");
    const int64_t H = heads_, D = headDim_, C = heads_ * headDim_;
    cache.reserve(static_cast<int64_t>(layers_.size()), 1, heads_, headDim_, pos + 1, positions_,
                  torch::TensorOptions().dtype(torch::kFloat32));
    const int64_t cap = cache.capacity;
    const auto emb = embedding.detach().to(torch::kCPU, torch::kFloat32).reshape({C}).contiguous();
    const int64_t inner = layers_.empty() ? 0 : layers_[0].fc1.out;
    std::vector<float> x(C), a(C), qkv(3 * C), y(C), t(C), m(inner), att(pos + 1);
    const float* e = emb.data_ptr<float>();
    const float* wpe = wpe_.data_ptr<float>() + pos * C;
    for (int64_t i = 0; i < C; ++i)
        x[i] = e[i] + wpe[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
    for (size_t l = 0; l < layers_.size(); ++l) {
        const Layer& L = layers_[l];
        layerNorm(x.data(), L.ln1w, L.ln1b, eps_, a.data(), C);
        L.qkv.apply(a.data(), qkv.data());
        float* K = cache.k[l].data_ptr<float>();   // [1, H, cap, D]
        float* V = cache.v[l].data_ptr<float>();
        for (int64_t h = 0; h < H; ++h) {
            std::copy_n(&qkv[C + h * D], D, K + (h * cap + pos) * D);
            std::copy_n(&qkv[2 * C + h * D], D, V + (h * cap + pos) * D);
        }
        for (int64_t h = 0; h < H; ++h)
            kernels::attendF32(&qkv[h * D], K + h * cap * D, V + h * cap * D, &y[h * D], att.data(), pos + 1, D, scale);
        L.out.apply(y.data(), t.data());
        for (int64_t i = 0; i < C; ++i)
            x[i] += t[i];
        layerNorm(x.data(), L.ln2w, L.ln2b, eps_, a.data(), C);
        L.fc1.apply(a.data(), m.data());
        kernels::geluTanh(m.data(), inner);
        L.fc2.apply(m.data(), t.data());
        for (int64_t i = 0; i < C; ++i)
            x[i] += t[i];
    }
    cache.length = pos + 1;
    auto out = torch::empty({C}, torch::kFloat32);
    layerNorm(x.data(), lnfw_, lnfb_, eps_, out.data_ptr<float>(), C);
    return out;
}

torch::Tensor FastDecoder::prefill(const torch::Tensor& embeds, KVCache& cache) const
{
    const int64_t T = embeds.size(0), past = cache.length, total = past + T;
    const int64_t H = heads_, D = headDim_, C = heads_ * headDim_;
    TORCH_CHECK(T > 0, "prefill needs at least one position");
    TORCH_CHECK(total <= positions_, "sequence of ", total, " positions exceeds n_positions ", positions_);
    cache.reserve(static_cast<int64_t>(layers_.size()), 1, heads_, headDim_, total, positions_,
                  torch::TensorOptions().dtype(torch::kFloat32));
    const int64_t cap = cache.capacity;
    auto x = (embeds.to(torch::kCPU, torch::kFloat32).reshape({T, C}) + wpe_.narrow(0, past, T)).contiguous();
    auto a = torch::empty({T, C}), y = torch::empty({T, C});
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
    auto norm = [&](const torch::Tensor& in, const torch::Tensor& w, const torch::Tensor& b, torch::Tensor& out) {
        const float* src = in.data_ptr<float>();
        float* dst = out.data_ptr<float>();
        at::parallel_for(0, in.size(0), 16, [&](int64_t b0, int64_t e0) {
            for (int64_t t = b0; t < e0; ++t)
                layerNorm(src + t * C, w, b, eps_, dst + t * C, C);
        });
    };
    for (size_t l = 0; l < layers_.size(); ++l) {
        const Layer& L = layers_[l];
        // The last layer's keys and values are needed at every position (the cache), the rest
        // only at the last one.
        const int64_t first = l + 1 == layers_.size() ? T - 1 : 0;
        norm(x, L.ln1w, L.ln1b, a);
        auto qkv = L.qkv.rows(a).contiguous();   // [T, 3C]
        const float* qp = qkv.data_ptr<float>();
        float* K = cache.k[l].data_ptr<float>();   // [1, H, cap, D]
        float* V = cache.v[l].data_ptr<float>();
        for (int64_t t = 0; t < T; ++t)
            for (int64_t h = 0; h < H; ++h) {
                std::copy_n(qp + t * 3 * C + C + h * D, D, K + (h * cap + past + t) * D);
                std::copy_n(qp + t * 3 * C + 2 * C + h * D, D, V + (h * cap + past + t) * D);
            }
        at::parallel_for(first, T, 8, [&](int64_t b, int64_t e) {
            std::vector<float> sc(static_cast<size_t>(total));
            for (int64_t t = b; t < e; ++t)
                for (int64_t h = 0; h < H; ++h)
                    kernels::attendF32(qp + t * 3 * C + h * D, K + h * cap * D, V + h * cap * D,
                                       y.data_ptr<float>() + t * C + h * D, sc.data(), past + t + 1, D, scale);
        });
        if (first > 0) {
            x = x.narrow(0, first, T - first).contiguous();
            y = y.narrow(0, first, T - first).contiguous();
            a = a.narrow(0, first, T - first).contiguous();
        }
        x += L.out.rows(y);
        norm(x, L.ln2w, L.ln2b, a);
        auto hidden = L.fc1.rows(a);
        kernels::geluTanh(hidden.data_ptr<float>(), hidden.numel());
        x += L.fc2.rows(hidden);
    }
    cache.length = total;
    auto out = torch::empty({C}, torch::kFloat32);
    layerNorm(x.data_ptr<float>() + (x.size(0) - 1) * C, lnfw_, lnfb_, eps_, out.data_ptr<float>(), C);
    return out;
}

torch::Tensor FastDecoder::logits(const torch::Tensor& hidden) const
{
    return head_(hidden.to(torch::kCPU, torch::kFloat32).reshape({-1}).contiguous());
}

torch::Tensor FastDecoder::screenedLogits(const torch::Tensor& hidden, int k) const
{
    auto h = hidden.to(torch::kCPU, torch::kFloat32).reshape({-1}).contiguous();
    if (!screen_.weight.defined())
        return head_(h);
    const int64_t V = head_.out, K = head_.in;
    const float* hp = h.data_ptr<float>();
    double l1 = 0;
    for (int64_t j = 0; j < K; ++j)
        l1 += std::fabs(hp[j]);
    if (!std::isfinite(l1))
        return head_(h);
    // Row i's screen error is at most scale_i * (||h||_1 / 2 + s_h / 2 * sum_j |q_ij|): half a step
    // per weight, and half a step of h (quantised too, with step s_h) per weight magnitude. 5% on
    // top covers float rounding in the sums (about 1.2% for 384 terms). The integer products are
    // exact on every instruction set, so the bound holds whichever kernel ran.
    const float* scale = screen_.scale.data_ptr<float>();
    const float* absSum = screenAbsSum_.data_ptr<float>();
    torch::Tensor y = torch::empty({V}, torch::kFloat32);
    float* yp = y.data_ptr<float>();
    const float c1 = static_cast<float>(0.525 * l1);
    float c2 = 0.f;
    {
        float mx = 0.f;
        for (int64_t j = 0; j < K; ++j)
            mx = std::max(mx, std::fabs(hp[j]));
        const float sh = mx > 0.f ? mx / 127.f : 1.f;
        std::vector<uint8_t> hq(static_cast<size_t>(K));
        for (int64_t j = 0; j < K; ++j)
            hq[j] = static_cast<uint8_t>(static_cast<int>(std::nearbyint(hp[j] / sh)) + 128);
        std::vector<int32_t> acc(static_cast<size_t>(V));
        kernels::gemvS8U8(screen_.weight.data_ptr<int8_t>(), hq.data(), acc.data(), V, K);
        const int32_t* rowSum = screenRowSum_.data_ptr<int32_t>();
        for (int64_t i = 0; i < V; ++i)
            yp[i] = scale[i] * sh * static_cast<float>(acc[i] - 128 * rowSum[i]);
        c2 = 0.525f * sh;
    }
    auto bound = [&](int64_t i) { return scale[i] * (c1 + c2 * absSum[i]); };
    const int64_t kk = std::clamp<int64_t>(k, 1, V);
    // The k-th largest lower bound, in one pass with a small sorted list (k is a handful).
    std::vector<float> best;   // descending
    best.reserve(static_cast<size_t>(kk) + 1);
    for (int64_t i = 0; i < V; ++i) {
        const float lo = yp[i] - bound(i);
        if (static_cast<int64_t>(best.size()) == kk && !(lo > best.back()))
            continue;
        best.insert(std::upper_bound(best.begin(), best.end(), lo, std::greater<float>()), lo);
        if (static_cast<int64_t>(best.size()) > kk)
            best.pop_back();
    }
    const float threshold = best.empty() ? -std::numeric_limits<float>::infinity() : best.back();
    std::vector<int32_t> rows;
    for (int64_t i = 0; i < V; ++i)
        if (!(yp[i] + bound(i) < threshold))   // could reach the top k (NaN too)
            rows.push_back(static_cast<int32_t>(i));
    if (static_cast<int64_t>(rows.size()) > V / 8)
        return head_(h);   // a flat distribution: the screen saves nothing
    std::vector<float> exact(rows.size());
    kernels::rowsF32(head_.weight.data_ptr<float>(), hp, rows.data(), exact.data(), static_cast<int64_t>(rows.size()), K);
    for (size_t j = 0; j < rows.size(); ++j)
        yp[rows[j]] = exact[j];
    return y;
}

int64_t FastDecoder::weightBytes() const
{
    int64_t n = screen_.weight.defined() ? screen_.bytes() : head_.bytes();
    for (const auto& L : layers_)
        n += L.qkv.bytes() + L.out.bytes() + L.fc1.bytes() + L.fc2.bytes();
    return n;
}

int64_t FastDecoder::fullWeightBytes() const
{
    int64_t n = head_.out * head_.in * 4;
    for (const auto& L : layers_)
        for (const PackedLinear* p : {&L.qkv, &L.out, &L.fc1, &L.fc2})
            n += p->out * p->in * 4 + p->out * 4;
    return n;
}

} // namespace ember
