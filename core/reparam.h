#pragma once
// RepViT's inference form: every BatchNorm folded into the conv before it, and each RepVGGDW
// token mixer (3×3 DW-BN + 1×1 DW + identity, then BN) folded into one 3×3 depthwise conv.
// Internal (torch).
#include "model.h"

namespace ember {

struct FusedConv {
    torch::Tensor weight, bias;
    int64_t stride = 1, pad = 0, groups = 1;
    torch::Tensor operator()(const torch::Tensor& x) const;
};

struct FusedBlock {
    FusedConv mixer;                               // the folded token mixer
    torch::Tensor seW1, seB1, seW2, seB2;          // undefined without SE
    FusedConv fc1, fc2;                            // channel mixer
    torch::Tensor operator()(torch::Tensor x) const;
};

struct FusedStage {
    bool hasDownsample = false;
    FusedBlock pre;
    FusedConv spatial, channel, ffn1, ffn2;
    std::vector<FusedBlock> blocks;
};

struct FoldedRepVit {
    FusedConv stem1, stem2;
    std::vector<FusedStage> stages;
    torch::Tensor forward(const torch::Tensor& x) const;   // LibTorch ops, any device
};

class DnnlRepVit;

// On a float CPU model in a build with oneDNN, the folded network runs as one oneDNN primitive
// chain (vision_dnnl.h) and the LibTorch copy of its weights is dropped; elsewhere LibTorch runs it.
class FusedRepVit {
public:
    FusedRepVit() = default;
    explicit FusedRepVit(RepVitImpl& trained);   // folds the module's current weights
    torch::Tensor forward(const torch::Tensor& x) const;
    bool empty() const { return !dnnl_ && net_.stages.empty(); }
    // oneDNN was tried (built in, float CPU weights, not EMBERVLM_ONEDNN=0); whether its chain
    // runs after the first image is chainInUse().
    bool usesOneDnn() const { return static_cast<bool>(dnnl_); }
    bool chainInUse() const;
    // "oneDNN chain at avx2: jit:avx2 x40 ...", "LibTorch ops (why)", or "LibTorch ops".
    std::string path() const;
    std::vector<std::string> implementations() const;

private:
    FoldedRepVit net_;
    std::shared_ptr<const DnnlRepVit> dnnl_;
};

} // namespace ember
