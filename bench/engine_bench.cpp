// Engine benchmark. Runs the engine and, back to back on the same weights and inputs, the eager
// PyTorch baseline (bench/eager_bench.py with Debian's python3-torch); checks that their outputs
// agree, then prints one JSON object with each figure, the eager figure and the ratio.
//   embervlm-bench [--preset base] [--repeats N] [--rounds N] [--threads N] [--no-eager] [--format f32|bf16|int8]
//   embervlm-bench --format int8 --agreement WORKSPACE CHECKPOINT   (top-1 agreement with f32)
#include "run_facts.h"
#include "checkpoint.h"
#include "decoder.h"
#include "engine.h"
#include "fused_ops.h"
#include "model.h"
#include "reparam.h"
#include "tokenizer.h"
#include "runtime.h"
#include "workspace.h"

#include <nlohmann/json.hpp>
#include "cpu_isa.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <functional>
#include <map>
#include <sys/wait.h>
#include <unistd.h>

using namespace ember;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

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
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            uint8_t* p = &rgb[(static_cast<size_t>(y) * size + x) * 3];
            p[0] = static_cast<uint8_t>(x * 255 / size);
            p[1] = static_cast<uint8_t>(y * 255 / size);
            p[2] = static_cast<uint8_t>(((x / 16 + y / 16) % 2) * 200);
        }
    return prepareImageRGB(rgb.data(), size, size, size * 3, size);
}

std::string joinIds(const std::vector<int>& ids)
{
    std::string s;
    for (size_t i = 0; i < ids.size(); ++i)
        s += (i ? "," : "") + std::to_string(ids[i]);
    return s;
}

std::string selfDir()
{
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
    return s.substr(0, s.find_last_of('/'));
}

// Top-1 next-token agreement of a reduced-precision decoder with f32, teacher-forced along the
// f32 greedy answer, over the demo world's question/answer pairs.
int agreement(const std::string& wsDir, const std::string& ckpt, const std::string& format, int samples, int tokens)
{
    auto ws = data::Workspace::open(wsDir);
    EmberVLM model = loadCheckpointFile(ckpt);
    model->eval();
    FusedRepVit fused(*model->vision);
    FastDecoder ref(*model->language_model, WeightFormat::F32), low(*model->language_model, weightFormatFromString(format));
    auto tok = Tokenizer::shared();
    torch::NoGradGuard ng;
    int64_t same = 0, total = 0, prompts = 0;
    data::SampleQuery q;
    q.split = data::Split::Test;
    for (const auto& row : ws.query(q)) {
        if (prompts >= samples)
            break;
        auto s = ws.get(row.id);
        if (!s || s->image.id == 0 || s->qa.empty())
            continue;
        const auto img = prepareImageFile(ws.absolutePath(s->image.path), static_cast<int>(model->cfg.image_size));
        auto x = torch::from_blob(const_cast<float*>(img.chw.data()), {1, 3, img.size, img.size}).clone();
        auto vis = model->visualTokens(fused.forward(x));
        std::vector<int64_t> ids;
        for (int id : tok->encode(askPrompt({}, s->qa[0].question)))
            ids.push_back(id);
        auto& lm = *model->language_model;
        KVCache a, b;
        auto h = lm.forward(torch::cat({vis, lm.embed(torch::tensor(ids).view({1, -1}))}, 1), &a);
        lm.forward(torch::cat({vis, lm.embed(torch::tensor(ids).view({1, -1}))}, 1), &b);
        auto lastA = h.select(1, h.size(1) - 1), lastB = lastA;
        for (int t = 0; t < tokens; ++t) {
            const int64_t ta = ref.logits(lastA).argmax().item<int64_t>();
            const int64_t tb = low.logits(lastB).argmax().item<int64_t>();
            same += ta == tb;
            ++total;
            auto e = lm.wte->weight[ta];   // both follow the f32 answer
            lastA = ref.step(e, a);
            lastB = low.step(e, b);
        }
        ++prompts;
    }
    nlohmann::json out{{"format", format}, {"prompts", prompts}, {"positions", total},
                       {"top1_agreement", total ? double(same) / total : 0.0}, {"checkpoint", ckpt}};
    std::cout << out.dump(2) << std::endl;
    return 0;
}

// A child process spoken to in lines of JSON: request(name) writes the name, reads one line back.
class EagerServer {
public:
    bool start(const std::vector<std::string>& args)
    {
        int in[2], out[2];
        if (pipe(in) != 0 || pipe(out) != 0)
            return false;
        pid_ = fork();
        if (pid_ < 0)
            return false;
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            close(in[1]);
            close(out[0]);
            std::vector<char*> argv;
            for (const auto& a : args)
                argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        to_ = fdopen(in[1], "w");
        from_ = fdopen(out[0], "r");
        return to_ && from_;
    }
    // An empty name reads the first line (the outputs) without sending anything.
    json request(const std::string& name)
    {
        if (!to_ || !from_)
            return json();
        if (!name.empty()) {
            std::fprintf(to_, "%s\n", name.c_str());
            std::fflush(to_);
        }
        char* line = nullptr;
        size_t cap = 0;
        const ssize_t n = getline(&line, &cap, from_);
        json j = n > 0 ? json::parse(std::string(line, static_cast<size_t>(n)), nullptr, false) : json();
        std::free(line);
        return j.is_discarded() ? json() : j;
    }
    ~EagerServer()
    {
        if (to_)
            std::fclose(to_);
        if (from_)
            std::fclose(from_);
        if (pid_ > 0)
            waitpid(pid_, nullptr, 0);
    }

private:
    pid_t pid_ = -1;
    FILE* to_ = nullptr;
    FILE* from_ = nullptr;
};

} // namespace

int main(int argc, char** argv)
{
    ensureFastRuntime(argc, argv);
    std::string preset = "base", format = "f32";
    int repeats = 10, threads = 0, rounds = 3;
    bool eager = true, quick = false;
    std::string agreeWs, agreeCkpt;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--preset") preset = next();
        else if (a == "--repeats") repeats = std::max(1, std::atoi(next().c_str()));
        else if (a == "--threads") threads = std::atoi(next().c_str());
        else if (a == "--rounds") rounds = std::max(1, std::atoi(next().c_str()));
        else if (a == "--format") format = next();
        else if (a == "--no-eager") eager = false;
        else if (a == "--quick") quick = true;
        else if (a == "--agreement") { agreeWs = next(); agreeCkpt = next(); }
        else {
            std::cerr << "embervlm-bench: unknown option " << a << "\n";
            return 1;
        }
    }
    if (quick)   // every figure once: seconds, for CI and a first look; the agreement check is the same
        repeats = rounds = 1;
    setComputeThreads(threads);
    if (!agreeWs.empty())
        return agreement(agreeWs, agreeCkpt, format, 100, 16);
    const ModelConfig cfg = ModelConfig::preset_named(preset);
    const int S = static_cast<int>(cfg.image_size);
    json engineFig, eagerFig, out{{"preset", preset}, {"threads", computeThreads()}, {"repeats", repeats}, {"format", format}, {"quick", quick}};

    char tmpl[] = "/tmp/embervlm-bench-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    const std::string ckpt = dir + "/bench.safetensors";
    {
        Engine e("cpu");
        e.initRandom(cfg, 0);
        e.saveCheckpoint(ckpt);
    }
    Engine engine("cpu");
    engine.setWeightFormat(format);
    engine.loadCheckpoint(ckpt);
    const auto image = syntheticImage(S);
    {
        std::ofstream f(dir + "/image.f32", std::ios::binary);
        f.write(reinterpret_cast<const char*>(image.chw.data()), static_cast<std::streamsize>(image.chw.size() * 4));
    }
    engine.setImage(image);

    // Prompt of 64 text tokens after the visual token.
    std::string prompt = "Question: which robot should inspect the flooded basement of the old factory, and why";
    auto ids = engine.tokenize(prompt);
    while (ids.size() < 64) {
        prompt += " please";
        ids = engine.tokenize(prompt);
    }
    while (ids.size() > 64) {
        prompt.pop_back();
        ids = engine.tokenize(prompt);
    }
    const std::string task = "Inspect the exterior of a high-rise building for cracks";
    const auto taskIds = engine.tokenize(selectionPrompt(task));

    const auto probe = engine.forward(prompt);
    GenerationOptions greedy;
    greedy.maxNewTokens = 64;
    greedy.stopAtEndOfText = false;
    const auto gen = engine.generate(prompt, greedy);
    std::vector<int> greedyIds;
    for (const auto& t : gen.tokens)
        greedyIds.push_back(t.id);
    const auto selection = engine.selectRobot(task);

    // The eager side: a Python process that loads the same checkpoint, prints its outputs, then
    // times one figure per request, so the two sides take turns figure by figure.
    EagerServer server;
    json eagerOut;
    if (eager) {
        // Beside the vocabulary, with the reference model it imports: in an install and in the
        // build's share/ alike (never the source tree, which an install does not have).
        const std::string script = selfDir() + "/../share/embervlm/eager_bench.py";
        if (access(script.c_str(), R_OK) != 0) {
            std::cerr << "embervlm-bench: " << script << " is missing (install EmberVLM Studio again, or --no-eager)\n";
            return 1;
        }
        const std::vector<std::string> args = {"/usr/bin/python3", script,
                                               "--serve", "--checkpoint", ckpt, "--ids", joinIds(ids), "--task-ids",
                                               joinIds(taskIds), "--image-f32", dir + "/image.f32", "--threads",
                                               std::to_string(computeThreads()), "--repeats", std::to_string(repeats)};
        if (!server.start(args) || (eagerOut = server.request("")).is_null()) {
            std::cerr << "embervlm-bench: the eager PyTorch baseline failed (is python3-torch installed?)\n";
            return 1;
        }
        // Agreement before any time is reported.
        json agree;
        agree["vision_mean_abs_diff"] = std::abs(eagerOut["vision_mean"].get<double>() - probe.visionMean);
        bool topOk = true;
        double topDiff = 0;
        for (int i = 0; i < 10; ++i) {
            topOk = topOk && eagerOut["top10"][i][0].get<int>() == probe.top10[i].first;
            topDiff = std::max(topDiff, std::abs(eagerOut["top10"][i][1].get<double>() - probe.top10[i].second));
        }
        agree["top10_ids_equal"] = topOk;
        agree["top10_max_logit_diff"] = topDiff;
        const auto eg = eagerOut["greedy_ids"].get<std::vector<int>>();
        size_t same = 0;
        while (same < eg.size() && same < greedyIds.size() && eg[same] == greedyIds[same])
            ++same;
        agree["greedy_tokens_equal"] = std::to_string(same) + "/" + std::to_string(eg.size());
        agree["selection_answer_equal"] = eagerOut["selection_answer"].get<int>() == selection.trace.answer;
        out["agreement"] = agree;
        const bool ok = topOk && topDiff < (format == "f32" ? 1e-3 : 0.5) &&
                        (format != "f32" || same == eg.size()) && agree["selection_answer_equal"].get<bool>();
        if (!ok) {
            std::cout << out.dump(2) << std::endl;
            std::cerr << "embervlm-bench: engine and eager outputs disagree; no timings reported\n";
            return 1;
        }
        out["eager_prefill_positions"] = eagerOut["prefill_positions"];
        out["eager_torch"] = eagerOut.value("torch", json());
    }

    // Engine figures. Vision uses the engine's own folded encoder; prefill the packed decoder's
    // multi-position path (f32) or the module's forward, then the next token's logits as
    // generation takes them.
    EmberVLM model = loadCheckpointFile(ckpt);
    model->eval();
    FusedRepVit fused(*model->vision);
    FastDecoder dec(*model->language_model, weightFormatFromString(format));
    auto x1 = torch::from_blob(const_cast<float*>(image.chw.data()), {1, 3, S, S}).clone();
    auto x8 = x1.repeat({8, 1, 1, 1});
    torch::Tensor vis;
    {
        torch::NoGradGuard ng;
        vis = model->visualTokens(fused.forward(x1));
    }
    std::vector<int64_t> ids64(ids.begin(), ids.end());
    auto idsT = torch::tensor(ids64).view({1, -1});
    EmberVLM train = loadCheckpointFile(ckpt);
    train->train();
    // The trainer's own loss and optimizer (training/fused_ops.h).
    train::FusedAdamW opt(train->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
    auto images = x1.repeat({8, 1, 1, 1});
    torch::manual_seed(0);
    auto tids = torch::randint(0, 50000, {8, 64}, torch::kLong);
    auto robots = torch::randint(0, cfg.num_robots, {8}, torch::kLong);
    std::string longPrompt;
    for (int i = 0; i < 100; ++i)
        longPrompt += "the robot walks up the stairs. ";
    auto medianRate = [&](const std::string& p) {
        std::vector<double> rates;
        for (int i = 0; i < (quick ? 1 : 3); ++i)
            rates.push_back(engine.generate(p, greedy).tokensPerSecond);
        std::sort(rates.begin(), rates.end());
        return rates[rates.size() / 2];
    };
    const std::vector<std::pair<std::string, std::function<double()>>> figures = {
        {"vision_projection_b1_ms",
         [&] {
             torch::NoGradGuard ng;
             return medianMs(repeats, [&] { model->visualTokens(fused.forward(x1)); });
         }},
        {"vision_projection_b8_ms",
         [&] {
             torch::NoGradGuard ng;
             return medianMs(repeats, [&] { model->visualTokens(fused.forward(x8)); });
         }},
        {"prefill_ms",
         [&] {
             torch::NoGradGuard ng;
             return medianMs(repeats, [&] {
                 KVCache cache;
                 auto x = torch::cat({vis, model->language_model->embed(idsT)}, 1);
                 if (dec.canPrefill()) {
                     dec.screenedLogits(dec.prefill(x[0], cache), 10);
                 } else {
                     auto h = model->language_model->forward(x, &cache);
                     dec.logits(h.select(1, h.size(1) - 1));
                 }
             });
         }},
        {"decode_tokens_per_s", [&] { return medianRate(prompt); }},
        {"robot_selection_ms",
         [&] {
             return medianMs(repeats, [&] {
                 engine.setImage(image);   // drops the cached visual tokens: the encoder runs again
                 engine.selectRobot(task);
             });
         }},
        {"train_step_ms",
         [&] {
             return medianMs(std::max(3, repeats / 3), [&] {
                 opt.clearGradients();
                 auto v = train->visualTokens(train->visionMap(images));
                 auto h = train->language_model->forward(torch::cat({v, train->language_model->embed(tids)}, 1));
                 const int64_t G = v.size(1);
                 auto logits = train->language_model->logits(h.narrow(1, G, 63));
                 auto lm = train::tokenCrossEntropy(logits.reshape({-1, logits.size(-1)}),
                                                    tids.narrow(1, 1, 63).reshape({-1}));
                 auto tr = train->reasoning->run(h.select(1, h.size(1) - 1), 0.0, cfg.max_reasoning_steps);
                 (lm + torch::nn::functional::cross_entropy(tr.finalLogits, robots)).backward();
                 opt.step();
             });
         }},
    };

    // The machine's speed drifts by up to 2x within minutes (shared memory bandwidth), so each
    // figure is taken engine, then eager, back to back, over several rounds; the ratio is the
    // median of the rounds' ratios.
    std::map<std::string, std::vector<double>> engineTimes, eagerTimes, ratios;
    for (int r = 0; r < rounds; ++r)
        for (const auto& [name, measure] : figures) {
            const double e = measure();
            engineTimes[name].push_back(e);
            if (!eager)
                continue;
            const json reply = server.request(name);
            if (reply.is_null()) {
                std::cerr << "embervlm-bench: the eager PyTorch baseline stopped answering\n";
                return 1;
            }
            const double p = reply["value"].get<double>();
            eagerTimes[name].push_back(p);
            ratios[name].push_back(e / p);
        }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    json cmp;
    for (const auto& [name, measure] : figures) {
        engineFig[name] = median(engineTimes[name]);
        if (eager)
            cmp[name] = {{"engine", median(engineTimes[name])}, {"eager", median(eagerTimes[name])},
                         {"ratio", median(ratios[name])}};
    }
    out["rounds"] = rounds;
    out["engine_decode_tokens_per_s_after_700_token_prompt"] = medianRate(longPrompt);
    {
        const double bytes = static_cast<double>(dec.weightBytes()), fullBytes = static_cast<double>(dec.fullWeightBytes());
        out["decode_weight_mb"] = bytes / 1e6;            // read per token by this format's decoder
        out["decode_f32_weight_mb"] = fullBytes / 1e6;    // every f32 weight once
        // Copy bandwidth, to state the bound of reading the weights once per token.
        auto src = torch::rand({static_cast<int64_t>(64e6 / 4)}), dst = torch::empty_like(src);
        const double copyMs = medianMs(5, [&] { dst.copy_(src); });
        const double gbps = 2 * 64e6 / (copyMs / 1000.0) / 1e9;   // read + write
        out["copy_bandwidth_gb_s"] = gbps;
        out["decode_bound_tokens_per_s"] = gbps * 1e9 / bytes;
        out["decode_f32_bound_tokens_per_s"] = gbps * 1e9 / fullBytes;
    }
    out["engine"] = engineFig;
    out["run"] = ember::runFacts();
    if (eager)
        out["comparison"] = cmp;
    // The machine and the code that ran: every figure belongs to one CPU path.
    {
        const ComputePath path = engine.computePath();
        const char* aten = std::getenv("ATEN_CPU_CAPABILITY");
        out["machine"] = {{"cpu", cpuModelName()},         {"isa", path.isa},
                          {"onednn_isa", path.onednn},     {"openblas_coretype", path.openblas},
                          {"aten_cpu_capability", aten ? aten : "auto"},
                          {"vision", path.vision},         {"prompt_products", path.promptProducts},
                          {"decode_kernels", std::string("own (") + isaName(activeIsa()) + ")"}};
        if (engineFig.contains("decode_tokens_per_s") && out.contains("decode_bound_tokens_per_s"))
            out["decode_fraction_of_bound"] =
                engineFig["decode_tokens_per_s"].get<double>() / out["decode_bound_tokens_per_s"].get<double>();
    }
    std::remove(ckpt.c_str());
    std::remove((dir + "/image.f32").c_str());
    rmdir(dir.c_str());
    std::cout << out.dump(2) << std::endl;
    return 0;
}
