#pragma once
// RepViT's inference form: every BatchNorm folded into the conv before it, and each RepVGGDW
// token mixer (3×3 DW-BN + 1×1 DW + identity, then BN) folded into one 3×3 depthwise conv.
// Internal (torch).
#include "model.h"

namespace ember {

struct FusedConv {
    torch::Tensor weight, bias;
    int64_t stride = 1, pad = 0, groups = 1;
    torch::Tensor blockedWeight;   // oneDNN's own layout for this conv (CPU); undefined elsewhere
    torch::Tensor operator()(const torch::Tensor& x) const;
    void prepareBlocked();
};

struct FusedBlock {
    FusedConv mixer;                               // the folded token mixer
    torch::Tensor seW1, seB1, seW2, seB2;          // undefined without SE
    FusedConv fc1, fc2;                            // channel mixer
    torch::Tensor operator()(torch::Tensor x) const;
    void prepareBlocked();
};

struct FusedStage {
    bool hasDownsample = false;
    FusedBlock pre;
    FusedConv spatial, channel, ffn1, ffn2;
    std::vector<FusedBlock> blocks;
};

// On the CPU, with LibTorch built with oneDNN, activations stay in oneDNN's blocked layout from
// the first conv to the last and the weights are reordered once: no per-conv layout conversions.
class FusedRepVit {
public:
    FusedRepVit() = default;
    explicit FusedRepVit(RepVitImpl& trained);   // folds the module's current weights
    torch::Tensor forward(const torch::Tensor& x) const;
    bool empty() const { return stages_.empty(); }

private:
    FusedConv stem1_, stem2_;
    std::vector<FusedStage> stages_;
    bool blocked_ = false;
};

} // namespace ember
