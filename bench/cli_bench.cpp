// embervlm-bench-cli: how long the `embervlm` commands take from a cold process start, as a user
// typing them waits (process start, libraries, work, exit), median of N runs each, as JSON:
//   embervlm-bench-cli [--runs N] [--quick]
// --version, --help, tokenize, data stats on a 2,000-sample demo workspace (no model: the light
// front end), and select on a `base` model (handed to embervlm-engine). "engine" times the same
// light commands run by embervlm-engine itself: what each of them cost before the front end.
#include "run_facts.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;
namespace fs = std::filesystem;

namespace {

std::string selfDir()
{
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string p(buf, n > 0 ? static_cast<size_t>(n) : 0);
    return p.substr(0, p.find_last_of('/'));
}

// Runs argv with stdout and stderr to /dev/null; its wall time in ms, or -1 when it failed.
double timeRun(const std::vector<std::string>& args)
{
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    const auto t0 = std::chrono::steady_clock::now();
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

} // namespace

int main(int argc, char** argv)
{
    int runs = 11;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--quick"))
            runs = 3;
        else {
            std::cerr << "usage: embervlm-bench-cli [--runs N] [--quick]\n";
            return 2;
        }
    }
    const std::string cli = selfDir() + "/embervlm";
    std::string engine = selfDir() + "/embervlm-engine";
    if (access(engine.c_str(), X_OK) != 0)
        engine = selfDir() + "/../libexec/embervlm/embervlm-engine";
    char tmpl[] = "/tmp/embervlm-bench-cli-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    const std::string ws = dir + "/ws", ckpt = dir + "/base.safetensors";
    nlohmann::json out{{"bench", "cli"}, {"runs", runs}, {"run", ember::runFacts()}};
    int rc = 0;
    if (timeRun({cli, "data", "demo", "-w", ws, "--count", "2000", "--size", "64"}) < 0 ||
        timeRun({cli, "init", "--preset", "base", "-o", ckpt}) < 0) {
        std::cerr << "embervlm-bench-cli: could not make the workspace or the checkpoint with " << cli << "\n";
        rc = 1;
    } else {
        const std::vector<std::pair<std::string, std::vector<std::string>>> commands{
            {"version", {cli, "--version"}},
            {"help", {cli, "--help"}},
            {"tokenize", {cli, "tokenize", "Inspect the roof of the tall building"}},
            {"data_stats_2000", {cli, "data", "stats", "-w", ws}},
            {"select_base", {cli, "select", "--checkpoint", ckpt, "--task", "Inspect the roof of the tall building"}}};
        auto measure = [&](const std::string& name, const std::vector<std::string>& args) {
            std::vector<double> t;
            for (int i = 0; i < runs; ++i)
                t.push_back(timeRun(args));
            std::sort(t.begin(), t.end());
            if (t.front() < 0) {
                std::cerr << "embervlm-bench-cli: " << name << " failed\n";
                rc = 1;
            }
            return nlohmann::json{{"median", t[t.size() / 2]}, {"min", t.front()}, {"max", t.back()}};
        };
        for (const auto& [name, args] : commands) {
            out["ms"][name] = measure(name, args);
            if (name != "select_base") {   // the same command in the engine program: before the front end
                auto inEngine = args;
                inEngine[0] = engine;
                out["engine_ms"][name] = measure(name + " (engine)", inEngine);
            }
        }
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    std::cout << out.dump(2) << std::endl;
    return rc;
}
