#include "runtime.h"

#include "image.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>

namespace ember {

void ensureFastRuntime(int argc, char** argv)
{
    (void)argc;
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const bool passive = policy && strcasecmp(policy, "PASSIVE") == 0;
    if (!std::getenv("OPENCV_IO_MAX_IMAGE_PIXELS"))
        setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxImagePixels).c_str(), 1);
    if (passive || std::getenv("EMBERVLM_REEXECUTED"))
        return;
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
