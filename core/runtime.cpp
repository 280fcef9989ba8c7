#include "runtime.h"

#include "cpu_isa.h"
#include "fast_environment.h"
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

bool preinitRan = false;

// Sets the environment before the libraries start and, when it changed, starts the program again
// at once: from .preinit_array the libraries are loaded but none of their initialisers has run
// (LibTorch's operator registration, Qt's), so the second start costs little. libc sets `environ`
// only after this runs, so this reads the environment from envp.
void preinit(int, char** argv, char** envp)
{
    environ = envp;
    if (!std::getenv("EMBERVLM_REEXECUTED")) {
        markProgramStart();
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
    markProgramStart();
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
