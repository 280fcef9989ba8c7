#include "cpu_isa.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <cstdio>

namespace ember {

namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr bool kX86 = true;
#define EMBER_CPU_HAS(f) (__builtin_cpu_init(), __builtin_cpu_supports(f))
#else
constexpr bool kX86 = false;
#endif

Isa detect()
{
#if defined(__x86_64__) || defined(__i386__)
    if (EMBER_CPU_HAS("avx512f") && EMBER_CPU_HAS("avx512bw") && EMBER_CPU_HAS("avx512vl") &&
        EMBER_CPU_HAS("avx512dq"))
        return Isa::Avx512;
    if (EMBER_CPU_HAS("avx2") && EMBER_CPU_HAS("fma"))
        return Isa::Avx2;
#endif
    return Isa::Generic;
}

bool detectVnni()
{
#if defined(__x86_64__) || defined(__i386__)
    return EMBER_CPU_HAS("avx512vnni");
#else
    return false;
#endif
}

struct Choice {
    Isa detected = Isa::Generic;
    Isa active = Isa::Generic;
    bool forced = false;   // EMBERVLM_ISA lowered the level
};

const Choice& choice()
{
    static const Choice c = [] {
        Choice r;
        r.detected = r.active = detect();
        const char* env = std::getenv("EMBERVLM_ISA");
        if (env && *env) {
            Isa want;
            // stdio, not iostreams: this can run before any library's initialisers (runtime.cpp).
            if (!parseIsa(env, want))
                std::fprintf(stderr, "EMBERVLM_ISA=%s is not a level (avx512, avx2, generic): ignored\n", env);
            else if (want > r.detected)
                std::fprintf(stderr, "EMBERVLM_ISA=%s: this CPU supports only %s, which is used\n", env,
                             isaName(r.detected));
            else {
                r.forced = want < r.detected;
                r.active = want;
            }
        }
        return r;
    }();
    return c;
}

} // namespace

const char* isaName(Isa isa)
{
    switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    case Isa::Generic: return "generic";
    }
    return "?";
}

bool parseIsa(const std::string& name, Isa& out)
{
    std::string s = name;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    for (Isa i : {Isa::Avx512, Isa::Avx2, Isa::Generic})
        if (s == isaName(i)) {
            out = i;
            return true;
        }
    return false;
}

Isa detectedIsa() { return choice().detected; }
Isa activeIsa() { return choice().active; }

bool activeVnni()
{
    static const bool vnni = detectVnni();
    return activeIsa() == Isa::Avx512 && vnni;
}

const char* onednnIsaCap(Isa isa)
{
    if (!kX86 || isa >= detectedIsa())
        return nullptr;
    // SSE4.1 is oneDNN's lowest jit level: on a CPU without AVX2 it runs those kernels.
    return isa == Isa::Avx2 ? "AVX2" : "SSE41";
}

std::string cpuModelName()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto v = line.substr(colon + 1);
                v.erase(0, v.find_first_not_of(" \t"));
                return v;
            }
        }
    return "unknown";
}

std::string isaSummary()
{
    const Choice& c = choice();
    std::string s = isaName(c.active);
    if (c.active == Isa::Avx512)
        s += activeVnni() ? " + VNNI" : " (no VNNI)";
    if (c.forced)
        s += std::string(" (forced by EMBERVLM_ISA; CPU supports ") + isaName(c.detected) +
             (detectVnni() && c.detected == Isa::Avx512 ? " + VNNI" : "") + ")";
    return s + " on " + cpuModelName();
}

} // namespace ember
