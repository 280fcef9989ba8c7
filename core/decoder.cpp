#include "decoder.h"

#include "kernels.h"

#include <cmath>

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
        // Symmetric per-row int8: scale = max|w| / 127.
        auto s = w.abs().amax(1).clamp_min(1e-12) / 127.0;
        p.weight = torch::round(w / s.unsqueeze(1)).clamp(-127, 127).to(torch::kInt8).contiguous();
        p.scale = s.to(torch::kFloat32).contiguous();
    }
    return p;
}

torch::Tensor PackedLinear::operator()(const torch::Tensor& x) const
{
    auto y = torch::empty({out}, torch::kFloat32);
    const float* xp = x.data_ptr<float>();
    switch (format) {
    case WeightFormat::F32:
        kernels::gemvF32(weight.data_ptr<float>(), xp, bias.data_ptr<float>(), y.data_ptr<float>(), out, in);
        break;
    case WeightFormat::BF16:
        kernels::gemvBF16(reinterpret_cast<const uint16_t*>(weight.data_ptr<int16_t>()), xp, bias.data_ptr<float>(),
                          y.data_ptr<float>(), out, in);
        break;
    case WeightFormat::I8:
        kernels::gemvI8(weight.data_ptr<int8_t>(), scale.data_ptr<float>(), xp, bias.data_ptr<float>(),
                        y.data_ptr<float>(), out, in);
        break;
    }
    return y;
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
    positions_ = lm.cfg.n_positions;
    eps_ = lm.cfg.layer_norm_eps;
}

torch::Tensor FastDecoder::step(const torch::Tensor& embedding, KVCache& cache) const
{
    const int64_t pos = cache.length;
    TORCH_CHECK(pos < positions_, "context of ", positions_, " positions is full");
    const int64_t C = heads_ * headDim_;
    cache.reserve(static_cast<int64_t>(layers_.size()), 1, heads_, headDim_, pos + 1, positions_,
                  torch::TensorOptions().dtype(torch::kFloat32));
    auto x = (embedding.reshape({C}) + wpe_[pos]).contiguous();
    const double scale = 1.0 / std::sqrt(static_cast<double>(headDim_));
    for (size_t l = 0; l < layers_.size(); ++l) {
        const Layer& L = layers_[l];
        auto a = torch::layer_norm(x, {C}, L.ln1w, L.ln1b, eps_).contiguous();
        auto qkv = L.qkv(a);
        auto q = qkv.narrow(0, 0, C).view({heads_, 1, headDim_});
        cache.k[l][0].select(1, pos).copy_(qkv.narrow(0, C, C).view({heads_, headDim_}));
        cache.v[l][0].select(1, pos).copy_(qkv.narrow(0, 2 * C, C).view({heads_, headDim_}));
        auto K = cache.k[l][0].narrow(1, 0, pos + 1);   // [H, L, D]
        auto V = cache.v[l][0].narrow(1, 0, pos + 1);
        auto att = torch::softmax(torch::bmm(q, K.transpose(1, 2)) * scale, -1);   // [H, 1, L]
        auto y = torch::bmm(att, V).reshape({C}).contiguous();
        x = x + L.out(y);
        auto m = L.fc1(torch::layer_norm(x, {C}, L.ln2w, L.ln2b, eps_).contiguous());
        x = x + L.fc2(torch::gelu(m, "tanh").contiguous());
    }
    cache.length = pos + 1;
    return torch::layer_norm(x, {C}, lnfw_, lnfb_, eps_).contiguous();
}

torch::Tensor FastDecoder::logits(const torch::Tensor& hidden) const
{
    return head_(hidden.to(torch::kCPU, torch::kFloat32).reshape({-1}).contiguous());
}

int64_t FastDecoder::weightBytes() const
{
    int64_t n = head_.bytes();
    for (const auto& L : layers_)
        n += L.qkv.bytes() + L.out.bytes() + L.fc1.bytes() + L.fc2.bytes();
    return n;
}

} // namespace ember
