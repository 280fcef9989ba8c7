#include "run_facts.h"

#include "cpu_isa.h"
#include "embervlm_commit.h"   // generated at build time (cmake/commit.cmake)

#include <ctime>
#include <fstream>
#include <string>
#include <thread>

namespace ember {

nlohmann::json runFacts()
{
    // The command as a shell would take it back: arguments with spaces or quotes in single quotes.
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string command, arg;
    for (int i = 0; std::getline(in, arg, '\0'); ++i) {
        if (i == 0)
            arg = arg.substr(arg.find_last_of('/') + 1);
        if (arg.find_first_of(" \"'{}$") != std::string::npos)
            arg = "'" + arg + "'";
        command += (i ? " " : "") + arg;
    }
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return {{"cpu", cpuModelName()},
            {"cores", std::thread::hardware_concurrency()},
            {"isa", isaName(activeIsa())},
            {"commit", EMBERVLM_COMMIT},
            {"date", date},
            {"command", command}};
}

} // namespace ember
