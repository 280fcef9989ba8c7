// Where the engine's time goes: runs one path under LibTorch's profiler and prints the operators
// by total time (inclusive, so nested ops appear under their callers too). A developer's tool.
//   embervlm-profile vision|vision8|prefill|select|train [--repeats N] [--preset base]
#include "checkpoint.h"
#include "decoder.h"
#include "engine.h"
#include "fused_ops.h"
#include "model.h"
#include "reparam.h"
#include "runtime.h"

#include <torch/csrc/autograd/profiler_legacy.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

using namespace ember;

int main(int argc, char** argv)
{
    ensureFastRuntime(argc, argv);
    setComputeThreads(0);
    std::string what = argc > 1 ? argv[1] : "vision", preset = "base";
    int repeats = 10;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--repeats") repeats = std::atoi(argv[i + 1]);
        else if (a == "--preset") preset = argv[i + 1];
    }
    const ModelConfig cfg = ModelConfig::preset_named(preset);
    EmberVLM model(cfg);
    initWeights(*model, 0);
    model->eval();
    FusedRepVit fused(*model->vision);
    const int64_t S = cfg.image_size;
    auto x1 = torch::randn({1, 3, S, S});
    auto ids = torch::randint(0, 50000, {1, 64}, torch::kLong);
    std::function<void()> fn;
    torch::optim::AdamW* opt = nullptr;
    // One training step as embervlm-bench takes it (batch 8 x 64 tokens); fusedOps: the trainer's
    // loss and optimizer (training/fused_ops.h), else LibTorch's.
    const auto trainImages = x1.repeat({8, 1, 1, 1});
    const auto trainIds = torch::randint(0, 50000, {8, 64}, torch::kLong);
    const auto trainRobots = torch::randint(0, cfg.num_robots, {8}, torch::kLong);
    auto trainStep = [&](torch::optim::AdamW& o, bool fusedOps) {
        if (fusedOps)
            static_cast<train::FusedAdamW&>(o).clearGradients();
        else
            o.zero_grad();
        auto vis = model->visualTokens(model->visionMap(trainImages));
        auto h = model->language_model->forward(torch::cat({vis, model->language_model->embed(trainIds)}, 1));
        auto logits = model->language_model->logits(h.narrow(1, vis.size(1), 63));
        auto flat = logits.reshape({-1, logits.size(-1)});
        auto targets = trainIds.narrow(1, 1, 63).reshape({-1});
        auto lm = fusedOps ? train::tokenCrossEntropy(flat, targets) : torch::nn::functional::cross_entropy(flat, targets);
        auto tr = model->reasoning->run(h.select(1, h.size(1) - 1), 0.0, cfg.max_reasoning_steps);
        (lm + torch::nn::functional::cross_entropy(tr.finalLogits, trainRobots)).backward();
        o.step();
    };
    Engine engine("cpu");
    if (what == "generate") {
        engine.initRandom(cfg, 0);
        if (std::getenv("PROFILE_RELOAD")) {
            engine.saveCheckpoint("/tmp/profile.safetensors");
            engine.loadCheckpoint("/tmp/profile.safetensors");
        }
        std::string prompt;
        for (int i = 0; i < 12; ++i)
            prompt += "which robot should inspect the basement ";
        fn = [&, prompt] {
            GenerationOptions g;
            g.maxNewTokens = 64;
            g.stopAtEndOfText = false;
            std::printf("%.1f tok/s\n", engine.generate(prompt, g).tokensPerSecond);
        };
    } else if (what == "selectcached") {
        // Selection with the visual tokens already computed: everything but the encoder.
        engine.initRandom(cfg, 0);
        PreparedImage img;
        img.size = static_cast<int>(S);
        img.chw.assign(static_cast<size_t>(3 * S * S), 0.1f);
        engine.setImage(img);
        fn = [&] { engine.selectRobot("Inspect the exterior of a high-rise building for cracks"); };
    } else if (what == "selectrobot") {
        engine.initRandom(cfg, 0);
        PreparedImage img;
        img.size = static_cast<int>(S);
        img.chw.assign(static_cast<size_t>(3 * S * S), 0.1f);
        fn = [&, img] {
            engine.setImage(img);   // drops the cached visual tokens
            engine.selectRobot("Inspect the exterior of a high-rise building for cracks");
        };
    } else if (what == "vision" || what == "vision8") {
        auto x = what == "vision" ? x1 : x1.repeat({8, 1, 1, 1});
        fn = [&, x] { torch::NoGradGuard ng; model->visualTokens(fused.forward(x)); };
    } else if (what == "prefill" || what == "select") {
        auto tids = what == "prefill" ? ids : ids.narrow(1, 0, 15);
        fn = [&, tids] {
            torch::NoGradGuard ng;
            auto vis = model->visualTokens(fused.forward(x1));
            auto h = model->language_model->forward(torch::cat({vis, model->language_model->embed(tids)}, 1));
            if (what == "prefill")
                model->language_model->logits(h.select(1, h.size(1) - 1));
            else
                model->reasoning->run(h.select(1, h.size(1) - 1), -1.0, cfg.max_reasoning_steps);
        };
    } else if (what == "decode" || what == "step" || what == "head" || what == "screen") {
        // 32 tokens after a 16-position prompt; "step", "head" and "screen" time one part alone.
        auto dec = std::make_shared<FastDecoder>(*model->language_model, WeightFormat::F32);
        fn = [&, dec, ids] {
            torch::NoGradGuard ng;
            KVCache cache;
            auto h = model->language_model->forward(model->language_model->embed(ids.narrow(1, 0, 16)), &cache);
            auto last = h.select(1, 15)[0].contiguous();
            for (int t = 0; t < 32; ++t) {
                int64_t id = 7;
                if (what != "step")
                    id = (what == "head" ? dec->logits(last) : dec->screenedLogits(last, 5)).argmax().item<int64_t>();
                if (what == "decode" || what == "step")
                    last = dec->step(model->language_model->wte->weight[id], cache);
            }
        };
    } else if (what == "prefill16" || what == "forward16" || what == "prefill64" || what == "forward64") {
        auto dec = std::make_shared<FastDecoder>(*model->language_model, WeightFormat::F32);
        auto x = model->language_model->embed(ids.narrow(1, 0, what.substr(what.size() - 2) == "16" ? 16 : 64));
        fn = [&, dec, x] {
            torch::NoGradGuard ng;
            KVCache cache;
            if (what.rfind("prefill", 0) == 0)
                dec->prefill(x[0], cache);
            else
                model->language_model->forward(x, &cache);
        };
    } else if (what == "trainab") {
        // The trainer's fused loss and optimizer against LibTorch's, alternating step by step.
        model->train();
        train::FusedAdamW fusedOpt(model->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
        torch::optim::AdamW torchOpt(model->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
        std::vector<double> a, b;
        for (int i = 0; i < repeats + 1; ++i)
            for (int v = 0; v < 2; ++v) {
                const auto t0 = std::chrono::steady_clock::now();
                if (v == 0)
                    trainStep(fusedOpt, true);
                else
                    trainStep(torchOpt, false);
                const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                if (i > 0)
                    (v == 0 ? a : b).push_back(ms);
            }
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        std::printf("train step: fused %.1f ms, LibTorch's %.1f ms (medians of %d alternating steps)\n", a[a.size() / 2],
                    b[b.size() / 2], repeats);
        return 0;
    } else if (what == "train") {
        // PROFILE_TORCH_OPS=1: LibTorch's cross-entropy and AdamW instead of the trainer's.
        model->train();
        const bool fusedOps = !std::getenv("PROFILE_TORCH_OPS");
        if (fusedOps)
            opt = new train::FusedAdamW(model->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
        else
            opt = new torch::optim::AdamW(model->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
        fn = [&, fusedOps] { trainStep(*opt, fusedOps); };
    } else {
        std::cerr << "unknown path " << what << "\n";
        return 1;
    }
    fn();
    fn();
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    const double plainMs = times[times.size() / 2], minMs = times[0];
    if (std::getenv("PROFILE_SUMMARY_ONLY")) {
        std::printf("%s: median %.2f ms, fastest %.2f ms per run\n", what.c_str(), plainMs, minMs);
        return 0;
    }
    std::stringstream trace;
    {
        torch::autograd::profiler::RecordProfile guard(trace);
        for (int i = 0; i < repeats; ++i)
            fn();
    }
    std::map<std::string, std::pair<double, int>> byName;
    for (const auto& e : nlohmann::json::parse(trace.str()))
        if (e.value("ph", "") == "X") {
            auto& s = byName[e["name"].get<std::string>()];
            s.first += e["dur"].get<double>() / 1000.0 / repeats;
            s.second += 1;
        }
    std::vector<std::pair<double, std::string>> rows;
    for (auto& [n, s] : byName)
        rows.push_back({s.first, n});
    std::sort(rows.rbegin(), rows.rend());
    std::printf("%s: median %.2f ms, fastest %.2f ms per run without the profiler\n", what.c_str(), plainMs, minMs);
    if (std::getenv("PROFILE_SUMMARY_ONLY"))
        return 0;
    for (size_t i = 0; i < rows.size() && i < 40; ++i)
        std::printf("%9.3f ms %6d  %s\n", rows[i].first, byName[rows[i].second].second / repeats, rows[i].second.c_str());
    delete opt;
    return 0;
}
