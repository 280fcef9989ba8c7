#pragma once
// The folded RepViT run as one fixed chain of oneDNN primitives, built once per input shape:
// GELU and the residual adds ride on the convolutions as post-ops, the squeeze-excite scales are
// an inner product and a broadcast multiply, activations stay in oneDNN's blocked layout and the
// weights are reordered once. LibTorch's own oneDNN calls rebuild each primitive's descriptor on
// every call and run GELU and the adds as separate passes over memory. Internal (torch); the
// oneDNN headers stay in the .cpp.
#include "reparam.h"

#include <memory>
#include <string>
#include <vector>

namespace ember {

class DnnlRepVit {
public:
    // Shares `net`'s weights until the first call has built its plan and reordered them into
    // oneDNN's layouts; then only those copies remain. If that first plan cannot be built, every
    // call runs `net` on LibTorch's ops instead.
    explicit DnnlRepVit(const FoldedRepVit& net);
    ~DnnlRepVit();
    DnnlRepVit(const DnnlRepVit&) = delete;
    DnnlRepVit& operator=(const DnnlRepVit&) = delete;

    // [B,3,H,W] float CPU -> [B,C,H/32,W/32]. Thread-safe (one call runs at a time). Throws
    // std::runtime_error when oneDNN fails on a later shape.
    torch::Tensor forward(const torch::Tensor& x) const;

    // What runs: "oneDNN chain at avx2: jit:avx2 x40 ..." (the most recent plan's implementations
    // and how often each runs per image), or "LibTorch ops (why)" once the first plan was refused.
    std::string path() const;
    // A plan is built and in use (false before the first image and after a refused first plan).
    bool chainInUse() const;
    // The implementation names of the most recent plan (empty when none is in use).
    std::vector<std::string> implementations() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace ember
