#pragma once
// Process start-up for every EmberVLM program: fast thread behaviour without the user's help.
#include <string>

namespace ember {

// Call first in main(). LibTorch's OpenMP workers spin and starve OpenBLAS's threads unless
// OMP_WAIT_POLICY=PASSIVE is set before the OpenMP runtime loads, which happens before main();
// runtime.cpp sets it from the executable's .preinit_array, before any library starts (and, where
// that cannot run, this sets it and re-executes the program once).
// OpenBLAS's kernel family is named the same way (OPENBLAS_CORETYPE, from the CPU's features),
// since its own detection can fall back to slow SSE3 kernels, and its idle threads are told to
// sleep rather than spin (OPENBLAS_THREAD_TIMEOUT). It also caps OpenCV's decoder at
// kMaxImagePixels, and keeps freed memory in the heap rather than returning it to the kernel at
// once (large tensors then reuse warm pages instead of page-faulting). Returns normally in the
// final process.
void ensureFastRuntime(int argc, char** argv);

// Returns free heap memory to the kernel (after loading a model, say).
void releaseFreeMemory();

// Milliseconds since the program started, counting the first execution before the re-exec.
double msSinceProgramStart();
// Resident memory of this process in MB (VmRSS).
double residentMegabytes();

// Intra-op threads for LibTorch; 0 means one per core.
void setComputeThreads(int n = 0);
int computeThreads();

// The libraries as linked, for the About box and bug reports ("1.13.0", "2.7.3").
std::string libtorchVersion();
std::string onednnVersion();

} // namespace ember
