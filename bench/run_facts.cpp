#include "run_facts.h"

#include "cpu_isa.h"
#include "embervlm_commit.h"   // generated at build time (cmake/commit.cmake)

#include <ctime>
#include <thread>

namespace ember::bench {

nlohmann::json runFacts()
{
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return {{"cpu", cpuModelName()},
            {"cores", std::thread::hardware_concurrency()},
            {"isa", isaName(activeIsa())},
            {"commit", EMBERVLM_COMMIT},
            {"date", date}};
}

} // namespace ember::bench
