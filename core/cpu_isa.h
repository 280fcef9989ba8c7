#pragma once
// Which instruction-set level this process runs its own kernels at, chosen once from the CPU's
// features and lowered by EMBERVLM_ISA=avx512|avx2|generic, so a developer on any machine can run
// what a user on another machine runs. Torch-free.
#include <string>

namespace ember {

// Ordered: a level may use everything of the levels below it.
enum class Isa { Generic = 0, Avx2 = 1, Avx512 = 2 };

const char* isaName(Isa isa);
// "avx512", "avx2", "generic" (case-insensitive); false when `name` is none of them.
bool parseIsa(const std::string& name, Isa& out);

// The highest level this CPU supports: AVX-512 means F, BW, VL and DQ; AVX2 means AVX2 and FMA.
// Generic on a CPU with neither, and always on a non-x86 CPU.
Isa detectedIsa();
// detectedIsa(), lowered by EMBERVLM_ISA when that names a lower level (a higher one cannot be
// granted and is ignored, with one line on stderr, as is a name that is not a level).
Isa activeIsa();
// AVX-512 VNNI (int8 dot products) at the active level: the CPU has it and the level is avx512.
bool activeVnni();

// oneDNN's name for the highest ISA it may use at `isa` (ONEDNN_MAX_CPU_ISA's values):
// nullptr for the CPU's own level (no cap needed), "AVX2" or "SSE41" below it.
const char* onednnIsaCap(Isa isa);

// The CPU's model name as the kernel reports it ("AMD EPYC 9B14", ...), or "unknown".
std::string cpuModelName();

// One line for logs, `embervlm info` and the benchmarks, e.g.
// "avx2 (forced by EMBERVLM_ISA; CPU supports avx512, VNNI) on AMD EPYC".
std::string isaSummary();

} // namespace ember
