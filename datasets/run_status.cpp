#include "run_status.h"

#include <array>
#include <stdexcept>
#include <utility>

namespace ember::data {

namespace {
constexpr std::array<std::pair<RunStatus, const char*>, 6> kNames{{
    {RunStatus::Created, "created"},
    {RunStatus::Running, "running"},
    {RunStatus::Paused, "paused"},
    {RunStatus::Finished, "finished"},
    {RunStatus::Failed, "failed"},
    {RunStatus::Cancelled, "cancelled"},
}};
} // namespace

const char* toString(RunStatus s)
{
    for (const auto& [status, name] : kNames)
        if (status == s) return name;
    return "unknown";
}

std::optional<RunStatus> tryRunStatus(const std::string& s)
{
    for (const auto& [status, name] : kNames)
        if (s == name) return status;
    return std::nullopt;
}

RunStatus runStatusFromString(const std::string& s)
{
    if (auto status = tryRunStatus(s)) return *status;
    throw std::invalid_argument("unknown run status '" + s + "'");
}

} // namespace ember::data
