#pragma once
// The environment the libraries read when they start (OpenMP's wait policy, OpenBLAS's kernels and
// thread timeout, oneDNN's and ATen's level under EMBERVLM_ISA, OpenCV's pixel cap). Torch-free:
// runtime.cpp sets it before LibTorch starts, and the light `embervlm` front end sets it before it
// hands a model command to the engine program, which then need not start twice.
#include <cstdint>

namespace ember {

// Sets what is missing; true when it changed anything.
bool setFastEnvironment();
// EMBERVLM_START_NS, unless an earlier process of this start set it (msSinceProgramStart()).
void markProgramStart();
int64_t nowNs();

} // namespace ember
