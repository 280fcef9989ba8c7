#include "train_commands.h"

#include "cli_args.h"
#include "demo_world.h"
#include "evaluate.h"
#include "runtime.h"
#include "trainer.h"
#include "workspace.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

using ember::cli::Args;
using ember::cli::UsageError;
using nlohmann::json;
namespace train = ember::train;

namespace {

std::atomic<bool> gStop{false};

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
    o.worldSize = static_cast<int>(a.getInt("--world-size", 1));
    o.rank = static_cast<int>(a.getInt("--rank", 0));
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
    ember::setComputeThreads(static_cast<int>(a.getInt("--threads", 0)));
    installStopHandler();
    if (a.has("--resume"))
        return finish(runStage(ws, {}, a.getInt("--resume", 0), a));
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
    Args a(args, {"-w", "--workspace", "--checkpoint", "--split", "--text-samples", "--threshold", "--threads"},
           {"--json", "--per-sample", "--no-record"});
    train::EvalOptions o;
    o.workspaceDir = a.has("-w") ? a.get("-w") : a.require("--workspace");
    o.checkpoint = a.require("--checkpoint");
    o.split = a.get("--split", "val");
    o.textSamples = static_cast<int>(a.getInt("--text-samples", 40));
    ember::setComputeThreads(static_cast<int>(a.getInt("--threads", 0)));
    o.threshold = a.getDouble("--threshold", -1);
    o.record = !a.has("--no-record");
    const auto rep = train::evaluateCheckpoint(o);
    std::cout << (a.has("--json") ? rep.toJson(a.has("--per-sample")) + "\n" : rep.toTable());
    return 0;
}

int runDemoCommand(const std::vector<std::string>& args)
{
    Args a(args, {"-w", "--workspace", "--samples", "--seed", "--threads", "--steps-scale"}, {"--quiet"});
    const std::string ws = a.has("-w") ? a.get("-w") : a.require("--workspace");
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    ember::setComputeThreads(static_cast<int>(a.getInt("--threads", 0)));
    installStopHandler();
    {
        auto w = ember::data::Workspace::open(ws);
        if (w.count() == 0) {
            ember::data::DemoOptions d;
            d.count = a.getInt("--samples", 2000);
            d.seed = static_cast<uint64_t>(a.getInt("--seed", 1));
            ember::data::generateDemoWorld(w, d, {});
        }
        std::cerr << "demo world: " << w.count() << " samples (" << elapsed() << " s)\n";
    }
    const double scale = a.getDouble("--steps-scale", 1.0);
    // The demo recipe (docs/training.md): lite at 128 px; vision frozen until stage 3.
    const std::string model = R"({"image_size":128})";
    // Vision stays frozen (its pooled features are computed once per image), and stage 3 leaves
    // the reasoning text to stage 4: the demo world's tasks and scenes need the heads more than
    // a re-trained encoder, and this keeps the whole pipeline within minutes on two cores.
    auto steps = [&](int n) { return std::max(1, static_cast<int>(n * scale)); };
    const json stages[4] = {
        {{"preset", "lite"}, {"model_overrides", model}, {"batch_size", 32}, {"max_steps", steps(40)}, {"lr", 2e-3},
         {"warmup_steps", 5}, {"eval_split", "none"}, {"lm_max_positions", 128}},
        {{"batch_size", 32}, {"max_steps", steps(30)}, {"lr", 1e-3}, {"freeze", {"vision"}}, {"warmup_steps", 5},
         {"eval_split", "none"}, {"lm_max_positions", 128}},
        {{"batch_size", 32}, {"max_steps", steps(450)}, {"lr", 1e-3}, {"grad_clip", 5.0}, {"freeze", {"vision"}}, {"warmup_steps", 10},
         {"reasoning_text_weight", 0.0}, {"eval_split", "val"}, {"eval_batches", 5}, {"eval_every", steps(150)}},
        {{"batch_size", 32}, {"max_steps", steps(40)}, {"lr", 5e-4}, {"freeze", {"vision"}}, {"warmup_steps", 5},
         {"reasoning_text_weight", 0.2}, {"eval_split", "val"}, {"eval_batches", 5}, {"lm_max_positions", 128}},
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
        const auto r = train::runTraining(o);
        if (r.status != "finished")
            return finish(r);
        init = r.lastCheckpoint;
        summary.push_back({{"stage", s}, {"run", r.runId}, {"steps", r.steps}, {"loss", r.finalLoss}, {"seconds", r.seconds}});
        std::cerr << "stage " << s << ": " << r.steps << " steps, loss " << r.finalLoss << ", " << r.seconds << " s (total "
                  << elapsed() << " s)\n";
    }
    train::EvalOptions e;
    e.workspaceDir = ws;
    e.checkpoint = init;
    e.split = "test";
    e.textSamples = 20;
    const auto rep = train::evaluateCheckpoint(e);
    std::cout << rep.toTable();
    std::cout << json{{"checkpoint", init}, {"test_accuracy", rep.selection.accuracy}, {"macro_f1", rep.selection.macroF1},
                      {"seconds", elapsed()}, {"stages", summary}}
                     .dump()
              << std::endl;
    return 0;
}
