#pragma once
// The progress callback every long datasets operation takes. Returning false cancels the work;
// a cancelled operation rolls back like a failed one.
#include <cstdint>
#include <functional>
#include <stdexcept>

namespace ember::data {

using Progress = std::function<bool(int64_t done, int64_t total)>;

// Thrown when a Progress callback returned false.
struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("cancelled") {}
};

// Calls `p` when set; throws Cancelled when it asks to stop.
inline void report(const Progress& p, int64_t done, int64_t total)
{
    if (p && !p(done, total))
        throw Cancelled();
}

} // namespace ember::data
