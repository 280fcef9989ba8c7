#include "dnnl_support.h"

#include "cpu_isa.h"

#include <cstdlib>

namespace ember::onednn {

namespace {

void applyIsaCap()
{
    // ONEDNN_MAX_CPU_ISA, when the user set it, wins; LibTorch's own oneDNN calls share the cap
    // (the same libdnnl), unless they ran first: then oneDNN keeps its level and says so by failing.
    if (std::getenv("ONEDNN_MAX_CPU_ISA") || std::getenv("DNNL_MAX_CPU_ISA"))
        return;
    const char* cap = onednnIsaCap(activeIsa());
    if (!cap)
        return;
    dnnl::set_max_cpu_isa(std::string(cap) == "AVX2" ? dnnl::cpu_isa::avx2 : dnnl::cpu_isa::sse41);
}

bool avx512Kernels()
{
    switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core:
    case dnnl::cpu_isa::avx512_core_vnni:
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx:
    case dnnl::cpu_isa::avx512_mic:
    case dnnl::cpu_isa::avx512_mic_4ops: return true;
    default: return false;
    }
}

} // namespace

const dnnl::engine& engine()
{
    static const dnnl::engine eng = [] {
        try {
            applyIsaCap();
        } catch (const dnnl::error&) {
            // Too late (oneDNN already dispatched): its level stands, and checkedImpl still guards.
        }
        return dnnl::engine(dnnl::engine::kind::cpu, 0);
    }();
    return eng;
}

std::string effectiveIsaName()
{
    engine();
    switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::all: return "all";
    }
    return "none";
}

dnnl::memory::format_tag blockedTag()
{
    engine();
    return avx512Kernels() ? dnnl::memory::format_tag::nChw16c : dnnl::memory::format_tag::nChw8c;
}

int64_t channelBlock() { return blockedTag() == dnnl::memory::format_tag::nChw16c ? 16 : 8; }

bool isReference(const std::string& impl)
{
    // "ref:any", "ref_fused:any", "gemm:ref", "ref_int8:any": oneDNN's C loops.
    return impl.rfind("ref", 0) == 0 || impl.find(":ref") != std::string::npos || impl.find("ref:") != std::string::npos;
}

} // namespace ember::onednn
