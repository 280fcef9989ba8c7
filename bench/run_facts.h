#pragma once
// What every benchmark's JSON says of its run, beside the figures: the machine, the CPU path,
// the code and the date. scripts/bench-tables.py prints them with each README table.
#include <nlohmann/json.hpp>

namespace ember::bench {

// {"cpu", "cores", "isa" (the level in use), "commit" (+changes when built from a changed tree), "date" (UTC)}
nlohmann::json runFacts();

} // namespace ember::bench
