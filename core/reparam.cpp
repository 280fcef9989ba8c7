#include "reparam.h"

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
    if (x.is_mkldnn())
        return at::mkldnn_convolution(x, blockedWeight, bias, {pad, pad}, {stride, stride}, {1, 1}, groups);
    return torch::conv2d(x, weight, bias, stride, pad, 1, groups);
}

void FusedConv::prepareBlocked()
{
    blockedWeight = at::mkldnn_reorder_conv2d_weight(weight.to_mkldnn(), {pad, pad}, {stride, stride}, {1, 1}, groups);
    weight = torch::Tensor();   // every input goes the blocked way now: one copy of the weights is enough
}

void FusedBlock::prepareBlocked()
{
    mixer.prepareBlocked();
    fc1.prepareBlocked();
    fc2.prepareBlocked();
}

torch::Tensor FusedBlock::operator()(torch::Tensor x) const
{
    x = mixer(x);
    if (seW1.defined()) {
        const bool blocked = x.is_mkldnn();
        auto s = blocked ? at::adaptive_avg_pool2d(x, {1, 1}).to_dense().flatten(1) : x.mean({2, 3});   // [B, C]
        s = torch::relu(torch::addmm(seB1, s, seW1.t()));
        s = torch::sigmoid(torch::addmm(seB2, s, seW2.t()));
        if (!blocked) {
            x = x * s.unsqueeze(-1).unsqueeze(-1);
        } else if (x.size(0) == 1) {
            // oneDNN's multiply does not broadcast: one image's channel scales are a 1×1 depthwise conv.
            const int64_t C = x.size(1);
            x = at::mkldnn_convolution(x, s.reshape({C, 1, 1, 1}).contiguous().to_mkldnn(), {}, {0, 0}, {1, 1},
                                       {1, 1}, C);
        } else {
            x = (x.to_dense() * s.unsqueeze(-1).unsqueeze(-1)).to_mkldnn();
        }
    }
    return x + fc2(torch::gelu(fc1(x)));
}

FusedRepVit::FusedRepVit(RepVitImpl& m)
{
    torch::NoGradGuard ng;
    stem1_ = fold(*m.stem->conv1);
    stem2_ = fold(*m.stem->conv2);
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
        stages_.push_back(std::move(fs));
    }
    blocked_ = at::hasMKLDNN() && stem1_.weight.device().is_cpu() && stem1_.weight.scalar_type() == torch::kFloat32;
    if (blocked_) {
        stem1_.prepareBlocked();
        stem2_.prepareBlocked();
        for (auto& s : stages_) {
            if (s.hasDownsample) {
                s.pre.prepareBlocked();
                for (FusedConv* c : {&s.spatial, &s.channel, &s.ffn1, &s.ffn2})
                    c->prepareBlocked();
            }
            for (auto& b : s.blocks)
                b.prepareBlocked();
        }
    }
}

torch::Tensor FusedRepVit::forward(const torch::Tensor& input) const
{
    const bool blocked = blocked_;
    auto x = stem2_(torch::gelu(stem1_(blocked ? input.to(torch::kCPU, torch::kFloat32).contiguous().to_mkldnn() : input)));
    for (const auto& s : stages_) {
        if (s.hasDownsample) {
            x = s.channel(s.spatial(s.pre(x)));
            x = x + s.ffn2(torch::gelu(s.ffn1(x)));
        }
        for (const auto& b : s.blocks)
            x = b(x);
    }
    return blocked ? x.to_dense() : x;
}

} // namespace ember
