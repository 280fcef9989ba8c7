#pragma once
// Multi-row linear layers through oneDNN's matmul. For the few rows of a prompt (a robot
// selection's 17 positions) OpenBLAS reaches a third of this machine's speed; oneDNN's brgemm
// kernels read the weights where they lie (row-major [out, in], no packed copy). Torch-free.
#include <cstdint>
#include <string>

namespace ember {

// y[M,N] = x[M,K] · w[N,K]ᵀ + b[N] (b may be null), row-major float. Returns false, touching
// nothing, in a build without oneDNN: the caller computes it another way.
bool dnnlLinearRows(const float* x, const float* w, const float* b, float* y, int64_t M, int64_t K, int64_t N);

// Whether this build has oneDNN (libdnnl-dev) for the products above and the vision chain, and
// the environment does not turn it off (EMBERVLM_ONEDNN=0).
bool dnnlAvailable();

// What runs the prompt products: "oneDNN matmul at avx2 (gemm:jit)" (the implementation of the
// most recent new shape), or "LibTorch (OpenBLAS; why)" when oneDNN is off or refused a product
// it would run in reference code.
std::string dnnlMatmulPath();
// oneDNN's ISA as it runs now ("avx512_core_vnni", "avx2", ...).
std::string dnnlIsa();

} // namespace ember
