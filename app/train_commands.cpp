#include "train_commands.h"

#include "cli_args.h"
#include "demo_world.h"
#include "evaluate.h"
#include "runtime.h"
#include "trainer.h"
#include "workspace.h"

#include <limits>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>

#include <unistd.h>

using ember::cli::Args;
using ember::cli::UsageError;
using nlohmann::json;
namespace train = ember::train;

namespace {

std::atomic<bool> gStop{false};
const char* const kStageNames[4] = {"alignment", "instruction", "selection", "reasoning"};

void onSignal(int) { gStop.store(true); }

void installStopHandler()
{
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
}

// Runs one stage (or resumes a run); returns the result, printing progress lines on stdout.
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
    return train::runTraining(o);
}

int finish(const train::TrainResult& r)
{
    if (r.status == "failed") {
        std::cerr << "embervlm train: " << r.message << "\n";
        return 1;
    }
    std::cerr << "run " << r.runId << " " << r.status << " after " << r.steps << " steps; last checkpoint "
              << r.lastCheckpoint << "\n";
    return 0;
}

} // namespace

int runTrainCommand(const std::vector<std::string>& args)
{
    Args a(args,
           {"-w", "--workspace", "--stage", "--config", "--preset", "--init", "--resume", "--name", "--world-size", "--rank",
            "--master", "--threads"},
           {});
    const std::string ws = a.has("-w") ? a.get("-w") : a.require("--workspace");
    ember::setComputeThreads(threadsOption(a));
    installStopHandler();
    if (a.has("--resume"))
        return finish(runStage(ws, {}, a.getInt("--resume", 0, 1, std::numeric_limits<int>::max()), a));
    const std::string stage = a.require("--stage");
    auto configFor = [&](int s) {
        auto c = train::TrainConfig::forStage(s);
        if (a.has("--preset"))
            c.preset = a.get("--preset");
        c.applyJson(a.get("--config"));
        c.stage = s;   // "all" overrides any stage in the JSON
        return c;
    };
    if (stage == "all") {
        std::string init = a.get("--init");
        train::TrainResult r;
        for (int s = 1; s <= 4; ++s) {
            auto c = configFor(s);
            if (!init.empty())
                c.init_checkpoint = init;
            r = runStage(ws, c, 0, a);
            if (r.status != "finished")
                return finish(r);
            init = r.lastCheckpoint;
        }
        return finish(r);
    }
    int s = 0;
    try {
        s = std::stoi(stage);
    } catch (const std::exception&) {
    }
    if (s < 1 || s > 4)
        throw UsageError("--stage must be 1, 2, 3, 4 or all");
    auto c = configFor(s);
    if (a.has("--init"))
        c.init_checkpoint = a.get("--init");
    return finish(runStage(ws, c, 0, a));
}

int runEvalCommand(const std::vector<std::string>& args)
{
    Args a(args, {"-w", "--workspace", "--checkpoint", "--split", "--text-samples", "--threshold", "--threads", "--texts"},
           {"--json", "--per-sample", "--no-record"});
    train::EvalOptions o;
    o.workspaceDir = a.has("-w") ? a.get("-w") : a.require("--workspace");
    o.checkpoint = a.require("--checkpoint");
    o.split = a.get("--split", "val");
    o.textSamples = static_cast<int>(a.getInt("--text-samples", 100, 0, 100000));
    ember::setComputeThreads(threadsOption(a));
    o.threshold = a.getDouble("--threshold", -1, 0.0, 1.0);
    o.record = !a.has("--no-record");
    o.textsOut = a.get("--texts", "");
    const auto rep = train::evaluateCheckpoint(o);
    std::cout << (a.has("--json") ? rep.toJson(a.has("--per-sample")) + "\n" : rep.toTable());
    return 0;
}

namespace {

std::string clock(double seconds)
{
    char b[32];
    const int s = static_cast<int>(seconds + 0.5);
    std::snprintf(b, sizeof b, "%d:%02d", s / 60, s % 60);
    return b;
}

// A trainer progress callback that redraws one line per stage in place (step, loss, ETA).
std::function<void(const std::string&)> stageLine(int stage, const char* name)
{
    return [stage, name](const std::string& line) {
        const json j = json::parse(line, nullptr, false);
        if (!j.is_object())
            return;
        const std::string ev = j.value("event", "");
        if (ev == "step") {
            std::printf("\r\033[Kstage %d %-12s step %4lld/%-4lld  loss %7.4f  ETA %s", stage, name,
                        j.value("step", 0LL), j.value("total", 0LL), j.value("loss", 0.0), clock(j.value("eta_s", 0.0)).c_str());
            std::fflush(stdout);
        } else if (ev == "finished") {
            std::printf("\r\033[Kstage %d %-12s %lld steps  loss %7.4f  %s\n", stage, name, j.value("step", 0LL),
                        j.value("loss", 0.0), clock(j.value("seconds", 0.0)).c_str());
            std::fflush(stdout);
        }
    };
}

} // namespace

int runDemoCommand(const std::vector<std::string>& args)
{
    Args a(args, {"-w", "--workspace", "--samples", "--seed", "--threads", "--steps-scale", "--text-samples"},
           {"--quiet", "--json"});
    const std::string ws = a.has("-w") ? a.get("-w") : a.require("--workspace");
    // JSON lines for programs (the studio reads them); a readable line per stage for people.
    const bool jsonLines = a.has("--json") || !isatty(STDOUT_FILENO);
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    ember::setComputeThreads(threadsOption(a));
    installStopHandler();
    const auto seed = static_cast<uint64_t>(a.getInt("--seed", 1, 0, std::numeric_limits<long long>::max()));
    {
        auto w = ember::data::Workspace::open(ws);
        if (w.count() == 0) {
            ember::data::DemoOptions d;
            d.count = a.getInt("--samples", 2000, 1, 200000);
            d.seed = seed;
            ember::data::generateDemoWorld(w, d, {});
        }
        std::cerr << "demo world: " << w.count() << " samples (" << elapsed() << " s)\n";
    }
    const double scale = a.getDouble("--steps-scale", 1.0, 0.001, 100.0);
    // The demo recipe (docs/training.md): lite at 64 px. Stage 1 trains the vision tower with the
    // captions and an auxiliary classifier of the scene attributes; later stages keep it frozen
    // (pooled features computed once per image), which keeps the pipeline within minutes.
    const std::string model = R"({"image_size":64})";
    auto steps = [&](int n) { return std::max(1, static_cast<int>(n * scale)); };
    const json stages[4] = {
        {{"preset", "lite"}, {"model_overrides", model}, {"batch_size", 32}, {"max_steps", steps(200)}, {"lr", 2e-3},
         {"alignment_trains_vision", true}, {"vision_lr_scale", 1.0}, {"scene_weight", 1.0}, {"flip_images", true},
         {"warmup_steps", 10}, {"eval_split", "none"}, {"lm_vocab", "workspace"}, {"checkpoint_every", 1000}},
        {{"batch_size", 32}, {"max_steps", steps(400)}, {"lr", 1e-3}, {"freeze", {"vision"}}, {"warmup_steps", 10},
         {"text_mix", {"caption"}}, {"text_mix_batch_size", 16},
         {"eval_split", "none"}, {"lm_vocab", "workspace"}, {"checkpoint_every", 1000}},
        {{"batch_size", 32}, {"max_steps", steps(150)}, {"lr", 1e-3}, {"grad_clip", 5.0}, {"freeze", {"vision"}}, {"warmup_steps", 10},
         {"reasoning_text_weight", 0.0}, {"text_mix", {"answer", "caption"}}, {"text_mix_batch_size", 8},
         {"lm_vocab", "workspace"}, {"eval_split", "val"}, {"eval_batches", 5}, {"checkpoint_every", 1000}},
        {{"batch_size", 16}, {"max_steps", steps(400)}, {"lr", 1e-3}, {"phase", 2}, {"freeze", {"vision"}}, {"warmup_steps", 10},
         {"reasoning_text_weight", 1.0}, {"text_mix", {"answer", "caption"}}, {"text_mix_batch_size", 8},
         {"eval_split", "val"}, {"eval_batches", 5}, {"lm_vocab", "workspace"}, {"checkpoint_every", 1000}},
    };
    std::string init;
    std::vector<json> summary;
    for (int s = 1; s <= 4; ++s) {
        auto c = train::TrainConfig::forStage(s);
        c.applyJson(stages[s - 1].dump());
        if (!init.empty())
            c.init_checkpoint = init;
        train::TrainerOptions o;
        o.workspaceDir = ws;
        o.config = c;
        o.runName = "demo stage " + std::to_string(s);
        o.stop = &gStop;
        if (a.has("--quiet"))
            o.progress = [](const std::string&) {};
        else if (!jsonLines)
            o.progress = stageLine(s, kStageNames[s - 1]);
        const auto r = train::runTraining(o);
        if (r.status != "finished")
            return finish(r);
        init = r.lastCheckpoint;
        summary.push_back({{"stage", s}, {"run", r.runId}, {"steps", r.steps}, {"loss", r.finalLoss}, {"seconds", r.seconds}});
        if (jsonLines)
            std::cerr << "stage " << s << ": " << r.steps << " steps, loss " << r.finalLoss << ", " << r.seconds << " s (total "
                      << elapsed() << " s)\n";
    }
    train::EvalOptions e;
    e.workspaceDir = ws;
    e.checkpoint = init;
    e.split = "test";
    e.textSamples = static_cast<int>(a.getInt("--text-samples", 100, 0, 100000));
    if (!jsonLines && !a.has("--quiet"))
        e.progress = [](int64_t done, int64_t total) {
            std::printf("\r\033[Kevaluating on the test split: %lld/%lld", static_cast<long long>(done), static_cast<long long>(total));
            std::fflush(stdout);
            return true;
        };
    const auto rep = train::evaluateCheckpoint(e);
    if (jsonLines) {
        std::cout << json{{"event", "demo"}, {"checkpoint", init}, {"test_accuracy", rep.selection.accuracy},
                          {"macro_f1", rep.selection.macroF1}, {"metrics", rep.flatMetrics()}, {"seconds", elapsed()},
                          {"stages", summary}}
                         .dump()
                  << std::endl;
        std::cerr << rep.toTable();
    } else {
        std::printf("\r\033[K");
        std::cout << rep.toTable() << "checkpoint " << init << "\ndemo finished in " << clock(elapsed()) << "\n";
    }
    return 0;
}
