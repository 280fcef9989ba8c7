#include "runtime.h"

#include "image.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>

namespace ember {

namespace {

// OpenBLAS's own CPU detection fails on some current CPUs (and under some hypervisors) and falls
// back to its SSE3 "Prescott" kernels, about 4x slower for matrix products than the AVX-512 or
// AVX2 ones the CPU can run. Name the kernel family from what the CPU reports.
const char* openblasCoreType()
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    return nullptr;
}

} // namespace

void ensureFastRuntime(int argc, char** argv)
{
    (void)argc;
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const bool passive = policy && strcasecmp(policy, "PASSIVE") == 0;
    if (!std::getenv("OPENCV_IO_MAX_IMAGE_PIXELS"))
        setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxImagePixels).c_str(), 1);
    const char* core = std::getenv("OPENBLAS_CORETYPE") ? nullptr : openblasCoreType();
    if ((passive && !core) || std::getenv("EMBERVLM_REEXECUTED"))
        return;
    if (core)
        setenv("OPENBLAS_CORETYPE", core, 1);
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    setenv("EMBERVLM_REEXECUTED", "1", 1);
    execv("/proc/self/exe", argv);
    // exec failed (no /proc?): carry on with the slower spinning behaviour rather than die.
}

void setComputeThreads(int n)
{
    if (n <= 0)
        n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(n);
}

int computeThreads() { return at::get_num_threads(); }

} // namespace ember
