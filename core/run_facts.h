#pragma once
// What every benchmark's JSON says of its run, beside the figures: the machine, the CPU path,
// the code, the date and the command. scripts/bench-tables.py prints them with each README table.
#include <nlohmann/json.hpp>

namespace ember {

// {"cpu", "cores", "isa" (the level in use), "commit" (+changes when built from a changed tree),
//  "date" (UTC), "command" (the program's name and arguments, from /proc/self/cmdline)}
nlohmann::json runFacts();

} // namespace ember
