#pragma once
// A training run's state as the workspace stores it (text in SQLite, checked there), and the one
// place its names are spelt.
#include <optional>
#include <string>

namespace ember::data {

enum class RunStatus { Created, Running, Paused, Finished, Failed, Cancelled };

// "created" | "running" | "paused" | "finished" | "failed" | "cancelled"; a value outside the
// enum gives "unknown", which the database refuses.
const char* toString(RunStatus s);
// Throws std::invalid_argument for any other text.
RunStatus runStatusFromString(const std::string& s);
std::optional<RunStatus> tryRunStatus(const std::string& s);

} // namespace ember::data
