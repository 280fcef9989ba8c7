#include "runtime.h"

#include "cpu_isa.h"
#include "image.h"

#include <ATen/Parallel.h>
#ifdef EMBERVLM_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif
#include <torch/version.h>

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>

extern char** environ;

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

// glibc hands every block over 128 KB-32 MB straight back to the kernel when it is freed, so each
// activation, logit or gradient tensor is faulted in afresh, page by page, on its next use: a
// training step took 280,000 page faults (1.1 GB) and vision ran 30% slower for it. Keeping freed
// memory in the heap makes later tensors of the same sizes reuse warm pages. releaseFreeMemory()
// gives it back at quiet moments (after loading a model).
void keepFreedMemory()
{
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

} // namespace

void releaseFreeMemory() { malloc_trim(0); }

namespace {
int64_t nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}
} // namespace

double msSinceProgramStart()
{
    const char* t0 = std::getenv("EMBERVLM_START_NS");
    return t0 ? static_cast<double>(nowNs() - std::atoll(t0)) / 1e6 : 0.0;
}

double residentMegabytes()
{
    FILE* f = std::fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    double mb = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "VmRSS:", 6) == 0)
            mb = std::atof(line + 6) / 1024.0;
    std::fclose(f);
    return mb;
}

namespace {

// Sets what the libraries read from the environment when they start; true when it changed any.
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

bool preinitRan = false;

// Sets the environment before the libraries start and, when it changed, starts the program again
// at once: from .preinit_array the libraries are loaded but none of their initialisers has run
// (LibTorch's operator registration, Qt's), so the second start costs little. libc sets `environ`
// only after this runs, so this reads the environment from envp.
void preinit(int, char** argv, char** envp)
{
    environ = envp;
    if (!std::getenv("EMBERVLM_REEXECUTED")) {
        if (!std::getenv("EMBERVLM_START_NS"))
            setenv("EMBERVLM_START_NS", std::to_string(nowNs()).c_str(), 1);
        if (setFastEnvironment()) {
            setenv("EMBERVLM_REEXECUTED", "1", 1);
            execve("/proc/self/exe", argv, environ);
            return;   // exec failed: main's ensureFastRuntime tries again
        }
    }
    preinitRan = true;
}

} // namespace

// Runs in every program linked with this file before any shared library's initialisers: libgomp
// reads OMP_WAIT_POLICY and OpenBLAS its core type and thread timeout when they start. Re-executing
// from main() instead cost 0.6 s of start-up (Qt's and LibTorch's initialisers ran twice).
__attribute__((section(".preinit_array"), used)) static void (*const kPreinit)(int, char**, char**) = preinit;

void ensureFastRuntime(int argc, char** argv)
{
    (void)argc;
    if (preinitRan || std::getenv("EMBERVLM_REEXECUTED")) {
        if (!std::getenv("OPENCV_IO_MAX_IMAGE_PIXELS"))
            setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxImagePixels).c_str(), 1);
        keepFreedMemory();
        return;
    }
    // .preinit_array did not run (linked into a shared library) or its exec failed.
    if (!std::getenv("EMBERVLM_START_NS"))
        setenv("EMBERVLM_START_NS", std::to_string(nowNs()).c_str(), 1);
    if (!setFastEnvironment()) {
        keepFreedMemory();
        return;
    }
    setenv("EMBERVLM_REEXECUTED", "1", 1);
    execv("/proc/self/exe", argv);
    // exec failed (no /proc?): carry on with the slower spinning behaviour rather than die.
    keepFreedMemory();
}

void setComputeThreads(int n)
{
    if (n <= 0)
        n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(n);
}

int computeThreads() { return at::get_num_threads(); }

std::string libtorchVersion()
{
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
           std::to_string(TORCH_VERSION_PATCH);
}

std::string onednnVersion()
{
#ifdef EMBERVLM_HAVE_DNNL
    const dnnl_version_t* v = dnnl_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
#else
    return "not linked";
#endif
}

} // namespace ember
