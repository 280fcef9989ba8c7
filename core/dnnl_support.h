#pragma once
// What oneDNN can run fast on this CPU, shared by the vision chain and the prompt products: one
// CPU engine, oneDNN capped at the level EMBERVLM_ISA forces, the channel block its jit kernels use
// at that level, and a check that refuses a primitive oneDNN would run in reference (C loop) code:
// on a CPU without AVX-512 a 16-channel blocked convolution has no jit kernel and ran about 300x
// slower than LibTorch's ops. Internal (oneDNN headers).
#include <oneapi/dnnl/dnnl.hpp>

#include <stdexcept>
#include <string>

namespace ember::onednn {

// The engine every EmberVLM primitive runs on; the first call applies the ISA cap.
const dnnl::engine& engine();

// oneDNN's own ISA as it runs now ("avx512_core_vnni", "avx2", ...).
std::string effectiveIsaName();

// nChw16c where oneDNN runs AVX-512 kernels, nChw8c at AVX2 and SSE4.1.
dnnl::memory::format_tag blockedTag();
int64_t channelBlock();

// A primitive that oneDNN would run in reference code.
struct ReferenceKernel : std::runtime_error {
    using std::runtime_error::runtime_error;
};

bool isReference(const std::string& impl);

// The implementation oneDNN picked for `pd` ("jit:avx2", "brg:avx512_core", ...); throws
// ReferenceKernel, naming `what` and the implementation, when that is reference code.
template <class PrimitiveDesc>
std::string checkedImpl(const PrimitiveDesc& pd, const char* what)
{
    std::string impl = pd.impl_info_str();
    if (isReference(impl))
        throw ReferenceKernel(std::string(what) + " has no fast oneDNN kernel at " + effectiveIsaName() + " (" +
                              impl + ")");
    return impl;
}

} // namespace ember::onednn
