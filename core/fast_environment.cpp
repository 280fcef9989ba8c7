#include "fast_environment.h"

#include "cpu_isa.h"
#include "image.h"

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <strings.h>

namespace ember {

namespace {

// OpenBLAS's own CPU detection fails on some current CPUs (and under some hypervisors) and falls
// back to its SSE3 "Prescott" kernels, about 4x slower for matrix products than the AVX-512 or
// AVX2 ones the CPU can run. Name the kernel family from the active level (cpu_isa.h), which
// EMBERVLM_ISA may lower: then OpenBLAS runs what a CPU of that level would.
const char* openblasCoreType()
{
#if defined(__x86_64__) || defined(__i386__)
    switch (activeIsa()) {
    case Isa::Avx512: return "SkylakeX";
    case Isa::Avx2: return "Haswell";
    case Isa::Generic: return detectedIsa() == Isa::Generic ? nullptr : "Prescott";
    }
#endif
    return nullptr;
}

} // namespace

int64_t nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void markProgramStart()
{
    if (!std::getenv("EMBERVLM_START_NS"))
        setenv("EMBERVLM_START_NS", std::to_string(nowNs()).c_str(), 1);
}

bool setFastEnvironment()
{
    bool changed = false;
    auto set = [&](const char* name, const char* value) {
        setenv(name, value, 1);
        changed = true;
    };
    if (!std::getenv("OPENCV_IO_MAX_IMAGE_PIXELS"))
        setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxImagePixels).c_str(), 1);
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    if (!(policy && strcasecmp(policy, "PASSIVE") == 0))
        set("OMP_WAIT_POLICY", "PASSIVE");
    if (const char* core = std::getenv("OPENBLAS_CORETYPE") ? nullptr : openblasCoreType())
        set("OPENBLAS_CORETYPE", core);
    // A forced lower level caps oneDNN too (LibTorch's convolutions and ours share libdnnl), unless
    // the user named oneDNN's level themselves; and LibTorch's own vectorised kernels (ATen's CPU
    // capability), so that training and the eager baseline also run what such a CPU runs.
    const char* dnnlCap =
        std::getenv("ONEDNN_MAX_CPU_ISA") || std::getenv("DNNL_MAX_CPU_ISA") ? nullptr : onednnIsaCap(activeIsa());
    if (dnnlCap) {
        set("ONEDNN_MAX_CPU_ISA", dnnlCap);
        if (!std::getenv("ATEN_CPU_CAPABILITY"))
            set("ATEN_CPU_CAPABILITY", activeIsa() == Isa::Avx2 ? "avx2" : "default");
    }
    // OpenBLAS's own worker threads spin (sched_yield) for a long while after each product and take
    // the cores from LibTorch's OpenMP workers running the next op: a third of a robot selection
    // went to yielding. The shortest timeout sends them to sleep at once.
    if (!std::getenv("OPENBLAS_THREAD_TIMEOUT"))
        set("OPENBLAS_THREAD_TIMEOUT", "4");
    return changed;
}

} // namespace ember
