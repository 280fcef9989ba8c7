#include "reparam.h"

#include "dnnl_matmul.h"
#ifdef EMBERVLM_HAVE_DNNL
#include "vision_dnnl.h"
#endif

namespace ember {

namespace {

// BN(conv(x)) == conv'(x) with w' = w·γ/σ and b' = (b − μ)·γ/σ + β.
FusedConv foldBn(const torch::Tensor& w, const torch::Tensor& b, torch::nn::BatchNorm2dImpl& bn, int64_t stride,
                 int64_t pad, int64_t groups)
{
    auto scale = bn.weight / torch::sqrt(bn.running_var + bn.options.eps());
    FusedConv f;
    f.weight = (w * scale.view({-1, 1, 1, 1})).contiguous();
    auto bias = b.defined() ? b : torch::zeros_like(bn.running_mean);
    f.bias = ((bias - bn.running_mean) * scale + bn.bias).contiguous();
    f.stride = stride;
    f.pad = pad;
    f.groups = groups;
    return f;
}

FusedConv fold(ConvNormImpl& cn)
{
    return foldBn(cn.c->weight, {}, *cn.bn, cn.c->stride, cn.c->pad, cn.c->groups);
}

FusedConv foldTokenMixer(RepVggDwImpl& m)
{
    FusedConv a = fold(*m.conv);                 // 3×3 depthwise, BN folded
    const int64_t C = a.weight.size(0);
    auto w = a.weight.clone();
    // The 1×1 depthwise branch and the identity both land on the kernel's centre tap.
    w.select(2, 1).select(2, 1).add_(m.conv1->weight.view({C, 1}) + 1.0);
    auto b = a.bias + m.conv1->bias;
    return foldBn(w, b, *m.bn, 1, 1, C);
}

FusedBlock foldBlock(RepVitBlockImpl& blk)
{
    FusedBlock f;
    f.mixer = foldTokenMixer(*blk.token_mixer);
    if (blk.se) {
        f.seW1 = blk.se->fc1->weight.flatten(1).contiguous();
        f.seB1 = blk.se->fc1->bias;
        f.seW2 = blk.se->fc2->weight.flatten(1).contiguous();
        f.seB2 = blk.se->fc2->bias;
    }
    f.fc1 = fold(*blk.channel_mixer->conv1);
    f.fc2 = fold(*blk.channel_mixer->conv2);
    return f;
}

} // namespace

torch::Tensor FusedConv::operator()(const torch::Tensor& x) const
{
    return torch::conv2d(x, weight, bias, stride, pad, 1, groups);
}

torch::Tensor FusedBlock::operator()(torch::Tensor x) const
{
    x = mixer(x);
    if (seW1.defined()) {
        auto s = torch::relu(torch::addmm(seB1, x.mean({2, 3}), seW1.t()));   // [B, C/r]
        s = torch::sigmoid(torch::addmm(seB2, s, seW2.t()));
        x = x * s.unsqueeze(-1).unsqueeze(-1);
    }
    return x + fc2(torch::gelu(fc1(x)));
}

torch::Tensor FoldedRepVit::forward(const torch::Tensor& input) const
{
    auto x = stem2(torch::gelu(stem1(input)));
    for (const auto& s : stages) {
        if (s.hasDownsample) {
            x = s.channel(s.spatial(s.pre(x)));
            x = x + s.ffn2(torch::gelu(s.ffn1(x)));
        }
        for (const auto& b : s.blocks)
            x = b(x);
    }
    return x;
}

FusedRepVit::FusedRepVit(RepVitImpl& m)
{
    torch::NoGradGuard ng;
    net_.stem1 = fold(*m.stem->conv1);
    net_.stem2 = fold(*m.stem->conv2);
    for (auto& s : *m.stages) {
        auto* st = s->as<RepVitStageImpl>();
        FusedStage fs;
        if (st->downsample) {
            fs.hasDownsample = true;
            fs.pre = foldBlock(*st->downsample->pre_block);
            fs.spatial = fold(*st->downsample->spatial_downsample);
            fs.channel = fold(*st->downsample->channel_downsample);
            fs.ffn1 = fold(*st->downsample->ffn->conv1);
            fs.ffn2 = fold(*st->downsample->ffn->conv2);
        }
        for (auto& b : *st->blocks)
            fs.blocks.push_back(foldBlock(*b->as<RepVitBlockImpl>()));
        net_.stages.push_back(std::move(fs));
    }
#ifdef EMBERVLM_HAVE_DNNL
    const auto& w = net_.stem1.weight;
    if (dnnlAvailable() && w.device().is_cpu() && w.scalar_type() == torch::kFloat32) {
        // The chain builds its first plan on the first image (not at load: start-up time and
        // memory) and keeps the weights from then on.
        dnnl_ = std::make_shared<DnnlRepVit>(net_);
        net_ = FoldedRepVit{};
    }
#endif
}

bool FusedRepVit::chainInUse() const
{
#ifdef EMBERVLM_HAVE_DNNL
    return dnnl_ && dnnl_->chainInUse();
#else
    return false;
#endif
}

std::string FusedRepVit::path() const
{
#ifdef EMBERVLM_HAVE_DNNL
    if (dnnl_)
        return dnnl_->path();
    return dnnlAvailable() ? "LibTorch ops" : "LibTorch ops (oneDNN chain off: EMBERVLM_ONEDNN=0)";
#else
    return "LibTorch ops (built without oneDNN)";
#endif
}

std::vector<std::string> FusedRepVit::implementations() const
{
#ifdef EMBERVLM_HAVE_DNNL
    if (dnnl_)
        return dnnl_->implementations();
#endif
    return {};
}

torch::Tensor FusedRepVit::forward(const torch::Tensor& input) const
{
    if (dnnl_)
        return dnnl_->forward(input);
    return net_.forward(input);
}

} // namespace ember
