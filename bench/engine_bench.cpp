// Engine benchmark: prints one JSON object of medians (issue "engine" point 9).
//   embervlm-bench [--preset base] [--repeats N] [--threads N]
#include "checkpoint.h"
#include "engine.h"
#include "model.h"
#include "reparam.h"
#include "runtime.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>

using namespace ember;
using Clock = std::chrono::steady_clock;

namespace {

template <typename F>
double medianMs(int repeats, F&& f)
{
    f();   // warm-up
    std::vector<double> t;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = Clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

PreparedImage syntheticImage(int size)
{
    std::vector<uint8_t> rgb(static_cast<size_t>(size) * size * 3);
    for (size_t i = 0; i < rgb.size(); ++i)
        rgb[i] = static_cast<uint8_t>((i * 37) % 251);
    return prepareImageRGB(rgb.data(), size, size, size * 3, size);
}

} // namespace

int main(int argc, char** argv)
{
    ensureFastRuntime(argc, argv);
    std::string preset = "base";
    int repeats = 10, threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--preset")) preset = argv[i + 1];
        else if (!std::strcmp(argv[i], "--repeats")) repeats = std::max(1, std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    }
    setComputeThreads(threads);
    const ModelConfig cfg = ModelConfig::preset_named(preset);
    nlohmann::json out{{"preset", preset}, {"threads", computeThreads()}, {"repeats", repeats}};

    EmberVLM model(cfg);
    initWeights(*model, 0);
    model->eval();
    FusedRepVit fused(*model->vision);
    {
        torch::NoGradGuard ng;
        for (int b : {1, 8}) {
            auto x = torch::randn({b, 3, cfg.image_size, cfg.image_size});
            out["vision_projection_b" + std::to_string(b) + "_ms"] =
                medianMs(repeats, [&] { model->visualTokens(fused.forward(x)); });
        }
        auto x1 = torch::randn({1, 3, cfg.image_size, cfg.image_size});
        out["vision_training_form_b1_ms"] = medianMs(repeats, [&] { model->visualTokens(model->vision->forward(x1)); });
        auto vis = model->visualTokens(fused.forward(x1));
        auto ids = torch::randint(0, 50000, {1, 64}, torch::kLong);
        out["prefill_64_ms"] = medianMs(repeats, [&] {
            KVCache cache;
            auto h = model->language_model->forward(torch::cat({vis, model->language_model->embed(ids)}, 1), &cache);
            model->language_model->logits(h.select(1, h.size(1) - 1));
        });
    }

    Engine engine("cpu");
    engine.initRandom(cfg, 0);
    engine.setImage(syntheticImage(static_cast<int>(cfg.image_size)));
    GenerationOptions g;
    g.maxNewTokens = 64;
    g.stopAtEndOfText = false;
    g.alternatives = 5;
    std::vector<double> rates;
    for (int i = 0; i < std::max(3, repeats / 3); ++i)
        rates.push_back(engine.generate("Question: what is in the picture?\nAnswer:", g).tokensPerSecond);
    std::sort(rates.begin(), rates.end());
    out["decode_tokens_per_s"] = rates[rates.size() / 2];
    // KV cache: time per token must not grow with the prompt.
    std::string longPrompt;
    for (int i = 0; i < 100; ++i)
        longPrompt += "the robot walks up the stairs. ";
    rates.clear();
    for (int i = 0; i < 3; ++i)
        rates.push_back(engine.generate(longPrompt, g).tokensPerSecond);
    std::sort(rates.begin(), rates.end());
    out["decode_tokens_per_s_after_700_token_prompt"] = rates[1];

    const auto image = syntheticImage(static_cast<int>(cfg.image_size));
    out["robot_selection_end_to_end_ms"] = medianMs(repeats, [&] {
        engine.setImage(image);   // drops the cached visual tokens: the vision encoder runs again
        engine.selectRobot("Inspect the exterior of a high-rise building for cracks");
    });

    // One training step: batch 8 × 64 tokens, AdamW over every parameter.
    {
        EmberVLM train(cfg);
        initWeights(*train, 1);
        train->train();
        torch::optim::AdamW opt(train->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
        auto images = torch::randn({8, 3, cfg.image_size, cfg.image_size});
        auto ids = torch::randint(0, 50000, {8, 64}, torch::kLong);
        auto robots = torch::randint(0, cfg.num_robots, {8}, torch::kLong);
        out["train_step_b8_t64_ms"] = medianMs(std::max(3, repeats / 3), [&] {
            opt.zero_grad();
            auto vis = train->visualTokens(train->visionMap(images));
            auto x = torch::cat({vis, train->language_model->embed(ids)}, 1);
            auto h = train->language_model->forward(x);
            const int64_t G = vis.size(1);
            auto logits = train->language_model->logits(h.narrow(1, G, 63));
            auto lm = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                           ids.narrow(1, 1, 63).reshape({-1}));
            auto tr = train->reasoning->run(h.select(1, h.size(1) - 1), 0.0, cfg.max_reasoning_steps);
            auto answer = torch::nn::functional::cross_entropy(tr.finalLogits, robots);
            (lm + answer).backward();
            opt.step();
        });
    }
    std::cout << out.dump(2) << std::endl;
    return 0;
}
