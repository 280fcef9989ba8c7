#pragma once
// ctest runs the model and kernel suites once per ISA level, forced by EMBERVLM_ISA. A forced level
// at or above this CPU's own is the plain run's (or cannot run here): the suite then skips.
#include "cpu_isa.h"

#include <QString>

#include <cstdlib>

// Why this run should skip, or an empty string.
inline QString isaVariantSkipReason()
{
    const char* want = std::getenv("EMBERVLM_ISA");
    ember::Isa level;
    if (!want || !*want)   // unset or empty: this CPU's own level
        return {};
    if (!ember::parseIsa(want, level))   // a typo would run this CPU's own level under the variant's name
        qFatal("EMBERVLM_ISA=%s is not a level (avx512, avx2, generic)", want);
    if (level < ember::detectedIsa())
        return {};
    return QString("EMBERVLM_ISA=%1: this CPU's own level is %2, which the plain run tests")
        .arg(want, ember::isaName(ember::detectedIsa()));
}
