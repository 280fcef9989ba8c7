#include "train_commands.h"
#include "trainer_protocol.h"

#include "demo_world.h"
#include "evaluate.h"
#include "progress_line.h"
#include "recipe.h"
#include "run_facts.h"
#include "runtime.h"
#include "stage_chain.h"
#include "trainer.h"
#include "workspace.h"

#include <limits>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <unistd.h>

using ember::cli::Args;
using ember::cli::Command;
using ember::cli::Option;
using ember::cli::UsageError;
using nlohmann::json;
namespace train = ember::train;

namespace {

std::atomic<bool> gStop{false};
volatile std::sig_atomic_t gSignal = 0;

void onSignal(int sig)
{
    if (gStop.load())
        _exit(128 + sig);   // a second Ctrl-C: the user will not wait for the checkpoint
    gSignal = sig;
    gStop.store(true);
}

// Ctrl-C and SIGTERM stop training at the next step, after a checkpoint (resume continues).
void installStopHandler()
{
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sa.sa_flags = SA_RESTART;   // an interrupted write to stdout must not fail the stream
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
}

int stoppedStatus() { return gSignal ? 128 + gSignal : ember::cli::kFailure; }

// JSON lines for programs (the studio reads them); one line redrawn in place for people.
bool jsonLines(const Args& a) { return a.has("--json") || !isatty(STDOUT_FILENO); }

// The exit status: 0 finished, 1 failed, 128 + the signal that stopped it (130 Ctrl-C, 143 TERM).
int finish(const train::TrainResult& r, const std::string& ws, const char* command = "train")
{
    using ember::data::RunStatus;
    if (r.status == RunStatus::Failed) {
        std::cerr << "embervlm " << command << ": " << r.message << "\n";
        return ember::cli::kFailure;
    }
    std::cerr << "run " << r.runId << " " << ember::train::protocol::statusWord(r.status) << " after " << r.steps << " steps; last checkpoint "
              << r.lastCheckpoint << "\n";
    if (r.status == RunStatus::Paused) {
        std::cerr << "resume " << (std::string(command) == "demo" ? "that stage" : "it") << " with: embervlm train -w " << ws
                  << " --resume " << r.runId << "\n";
        return stoppedStatus();
    }
    return ember::cli::kSuccess;
}

// Evaluation progress that also stops at Ctrl-C / SIGTERM (the evaluation then throws).
std::function<bool(int64_t, int64_t)> stoppable(std::function<bool(int64_t, int64_t)> show)
{
    return [show = std::move(show)](int64_t done, int64_t total) {
        if (show)
            show(done, total);
        return !gStop.load();
    };
}

// Runs an evaluation; stopped by a signal it reports so and returns the signal's status.
int evaluateOrStop(const train::EvalOptions& o, train::EvalReport& out, bool clearLine, std::FILE* line)
{
    try {
        out = train::evaluateCheckpoint(o);
    } catch (const std::exception&) {
        if (!gStop.load())
            throw;
        std::fprintf(stderr, "\nstopped during the evaluation\n");
        return stoppedStatus();
    }
    if (clearLine)
        std::fprintf(line, "\r\033[K");   // the progress line may not have reached its total
    return ember::cli::kSuccess;
}

train::TrainResult runStage(const std::string& ws, train::TrainConfig cfg, int64_t resume, const Args& a)
{
    train::TrainerOptions o;
    o.workspaceDir = ws;
    o.config = std::move(cfg);
    o.resumeRunId = resume;
    o.runName = a.get("--name");
    o.worldSize = static_cast<int>(a.getInt("--world-size", 1, 1, 1024));
    o.rank = static_cast<int>(a.getInt("--rank", 0, 0, o.worldSize - 1));
    o.master = a.get("--master", "127.0.0.1:29500");
    o.stop = &gStop;
    if (!jsonLines(a))
        o.progress = ember::cli::stageLine(o.config.stage);
    return train::runTraining(o);
}

} // namespace

int cmdTrain(const Args& a)
{
    const std::string ws = a.get("--workspace");
    ember::setComputeThreads(threadsOption(a));
    installStopHandler();
    if (a.has("--resume"))
        return finish(runStage(ws, {}, a.getInt("--resume", 0, 1, std::numeric_limits<int>::max()), a), ws);
    if (!a.has("--stage"))
        throw UsageError("--stage (1, 2, 3, 4 or all) or --resume RUN is required");
    const std::string stage = a.get("--stage");
    auto configFor = [&](int s) {
        auto c = train::TrainConfig::forStage(s);
        if (a.has("--preset"))
            c.preset = a.get("--preset");
        c.applyJson(a.get("--config"));
        c.stage = s;   // "all" overrides any stage in the JSON
        return c;
    };
    if (stage == "all") {
        train::StageChain chain;
        chain.configFor = configFor;
        chain.run = [&](const train::TrainConfig& c, int) { return runStage(ws, c, 0, a); };
        return finish(train::runStageChain(chain, a.get("--init")), ws);
    }
    if (stage.size() != 1 || stage[0] < '1' || stage[0] > '4')
        throw UsageError("--stage must be 1, 2, 3, 4 or all");
    auto c = configFor(stage[0] - '0');
    if (a.has("--init"))
        c.init_checkpoint = a.get("--init");
    return finish(runStage(ws, c, 0, a), ws);
}

int cmdEval(const Args& a)
{
    train::EvalOptions o;
    o.workspaceDir = a.get("--workspace");
    o.checkpoint = a.require("--checkpoint");
    o.split = a.get("--split", "val");
    o.textSamples = static_cast<int>(a.getInt("--text-samples", 100, 0, 100000));
    ember::setComputeThreads(threadsOption(a));
    o.threshold = a.getDouble("--threshold", -1, 0.0, 1.0);
    o.record = !a.has("--no-record");
    o.textsOut = a.get("--texts", "");
    o.captionResultsOut = a.get("--captions-out", "");
    o.answerResultsOut = a.get("--answers-out", "");
    const bool tty = isatty(STDERR_FILENO);
    installStopHandler();
    o.progress = stoppable(tty ? ember::cli::countLine("evaluating on " + o.split, stderr) : nullptr);
    train::EvalReport rep;
    if (const int rc = evaluateOrStop(o, rep, tty, stderr); rc != ember::cli::kSuccess)
        return rc;
    std::cout << (a.has("--json") ? rep.toJson(a.has("--per-sample")) + "\n" : rep.toTable());
    return ember::cli::kSuccess;
}

// The demo world (when the workspace is empty), the demo recipe's four stages, test metrics.
int cmdDemo(const Args& a)
{
    const std::string ws = a.get("--workspace");
    const bool lines = jsonLines(a), quiet = a.has("--quiet");
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    ember::setComputeThreads(threadsOption(a));
    installStopHandler();
    const auto& recipe = train::demoRecipe();
    const auto worldSeed = static_cast<uint64_t>(
        a.getInt("--seed", static_cast<long long>(recipe.worldSeed), 0, std::numeric_limits<long long>::max()));
    {
        auto w = ember::data::Workspace::open(ws);
        if (w.count() == 0) {
            ember::data::DemoOptions d;
            d.count = a.getInt("--samples", recipe.worldSamples, 1, 200000);
            d.seed = worldSeed;
            try {
                ember::data::generateDemoWorld(w, d, [](int64_t, int64_t) { return !gStop.load(); });
            } catch (const ember::data::Cancelled&) {
                std::cerr << "stopped while generating the demo world (nothing kept)\n";
                return stoppedStatus();
            }
        }
        std::cerr << "demo world: " << w.count() << " samples (" << elapsed() << " s)\n";
    }
    const double scale = a.getDouble("--steps-scale", 1.0, 0.001, 100.0);
    std::vector<json> summary;
    train::StageChain chain;
    chain.configFor = [&](int s) { return recipe.stage(s, scale); };
    chain.run = [&](const train::TrainConfig& c, int s) {
        train::TrainerOptions o;
        o.workspaceDir = ws;
        o.config = c;
        o.runName = "demo stage " + std::to_string(s);
        o.stop = &gStop;
        if (quiet)
            o.progress = [](const std::string&) {};
        else if (!lines)
            o.progress = ember::cli::stageLine(s);
        return train::runTraining(o);
    };
    chain.finished = [&](int s, const train::TrainResult& r) {
        summary.push_back({{"stage", s}, {"run", r.runId}, {"steps", r.steps}, {"loss", r.finalLoss}, {"seconds", r.seconds}});
        if (lines)
            std::cerr << "stage " << s << ": " << r.steps << " steps, loss " << r.finalLoss << ", " << r.seconds << " s (total "
                      << elapsed() << " s)\n";
    };
    const auto last = train::runStageChain(chain);
    if (last.status != ember::data::RunStatus::Finished)
        return finish(last, ws, "demo");
    const std::string init = last.lastCheckpoint;
    train::EvalOptions e;
    e.workspaceDir = ws;
    e.checkpoint = init;
    e.split = "test";
    e.textSamples = static_cast<int>(a.getInt("--text-samples", 100, 0, 100000));
    e.progress = stoppable(!lines && !quiet ? ember::cli::countLine("evaluating on the test split", stdout) : nullptr);
    train::EvalReport rep;
    if (const int rc = evaluateOrStop(e, rep, !lines && !quiet, stdout); rc != ember::cli::kSuccess)
        return rc;
    if (lines) {
        std::cout << json{{"event", ember::train::protocol::name(ember::train::protocol::Event::Demo)}, {"checkpoint", init}, {"test_accuracy", rep.selection.accuracy},
                          {"macro_f1", rep.selection.macroF1}, {"metrics", rep.flatMetrics()}, {"seconds", elapsed()},
                          {"stages", summary}, {"seed", worldSeed}, {"test_samples", rep.samples.size()},
                          {"run", ember::runFacts()}}
                         .dump()
                  << std::endl;
        std::cerr << rep.toTable();
    } else {
        std::cout << rep.toTable() << "checkpoint " << init << "\ndemo finished in " << ember::cli::clock(elapsed()) << "\n";
    }
    return ember::cli::kSuccess;
}


