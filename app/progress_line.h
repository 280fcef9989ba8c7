#pragma once
// Progress for people at a terminal: one line redrawn in place.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace ember::cli {

std::string clock(double seconds);   // "m:ss"

// A trainer progress callback (its JSON lines in, one line out on stdout): stage, step/total,
// loss, samples/s and ETA while it runs; steps, loss and time when it finishes. The stage comes
// from the run's "started" line (`stage` until then).
std::function<void(const std::string&)> stageLine(int stage);

// "what done/total (pct)" redrawn at most every 100 ms on `out`, ended by a line break when done.
std::function<bool(int64_t, int64_t)> countLine(const std::string& what, std::FILE* out);

} // namespace ember::cli
