// `embervlm`: the light front end. The data, score and tokenize commands, --help and --version run
// here, with no LibTorch or oneDNN loaded (tens of milliseconds instead of half a second);
// a model command (info, init, ask, select, train, eval, demo, ...) is parsed like any other and
// then handed, with the same arguments and the fast environment already set, to the engine program
// (embervlm-engine, which runs every command), by exec: the same process, pid and signals.
#include "cli_commands.h"
#include "fast_environment.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <unistd.h>

namespace {

char** gArgv = nullptr;

std::string selfDir()
{
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return ".";
    std::string p(buf, static_cast<size_t>(n));
    return p.substr(0, p.find_last_of('/'));
}

// Beside this program (the build tree), else where the install puts it (libexec/embervlm).
std::string enginePath()
{
    const std::string dir = selfDir();
    for (const std::string p : {dir + "/embervlm-engine", dir + "/../libexec/embervlm/embervlm-engine"})
        if (access(p.c_str(), X_OK) == 0)
            return p;
    return {};
}

int runInEngine(const ember::cli::Args&)
{
    const std::string engine = enginePath();
    if (engine.empty()) {
        std::cerr << "embervlm: the engine program (embervlm-engine) is missing beside " << selfDir()
                  << "; install EmberVLM Studio again\n";
        return ember::cli::kFailure;
    }
    // What the engine's libraries read when they load: set now, so that it starts only once.
    ember::setFastEnvironment();
    setenv("EMBERVLM_REEXECUTED", "1", 1);
    execv(engine.c_str(), gArgv);
    std::cerr << "embervlm: cannot start " << engine << " (" << std::strerror(errno) << ")\n";
    return ember::cli::kFailure;
}

} // namespace

int main(int argc, char** argv)
{
    gArgv = argv;
    ember::markProgramStart();   // the engine's start-up figures count from here
    ember::cli::Program p;
    p.name = "embervlm";
    p.description = ember::cli::kDescription;
    p.version = EMBERVLM_VERSION;
    p.footer = ember::cli::kFooter;
    p.commands = ember::cli::commandTree();
    for (auto& c : p.commands)
        if (!c.run && c.children.empty())
            c.run = runInEngine;
    return ember::cli::run(p, argc, argv);
}
