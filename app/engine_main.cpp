// `embervlm-engine`: every `embervlm` command in one process, the model's included. The light
// `embervlm` front end (embervlm_main.cpp) hands the model commands to this program, with the
// environment already set (so it starts once); run directly it sets that environment itself.
#include "cli_commands.h"
#include "train_commands.h"
#include "convert.h"
#include "describe.h"
#include "engine.h"
#include "printable.h"
#include "flops.h"
#include "runtime.h"
#include "tokenizer.h"

#include <limits>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

using namespace ember;
using cli::Args;
using cli::UsageError;
using nlohmann::json;

namespace {

ModelConfig configFrom(const Args& a)
{
    ModelConfig cfg = ModelConfig::preset_named(a.get("--preset", "base"));
    if (a.has("--config"))
        cfg.applyOverrides(a.get("--config"));
    return cfg;
}

std::unique_ptr<Engine> engineFrom(const Args& a, bool needImageOptional = true)
{
    setComputeThreads(threadsOption(a));
    auto engine = std::make_unique<Engine>(a.get("--device"));
    engine->loadCheckpoint(a.require("--checkpoint"));
    for (const auto& w : engine->info().warnings)
        std::cerr << "warning: " << w << "\n";
    if (needImageOptional && a.has("--image"))
        engine->setImage(engine->loadImage(a.get("--image"), resizeModeFromString(a.get("--resize", "resize"))));
    return engine;
}

std::string fmtCount(int64_t n)
{
    std::ostringstream s;
    s << std::fixed << std::setprecision(2) << n / 1e6 << "M";
    return s.str();
}

int cmdInfo(const Args& a)
{
    ModelConfig cfg;
    std::vector<std::pair<std::string, int64_t>> counts;
    std::string name;
    setComputeThreads(threadsOption(a));
    Engine engine(a.get("--device", "cpu"));
    if (a.has("--checkpoint")) {
        engine.loadCheckpoint(a.get("--checkpoint"));
        cfg = engine.config();
        counts = engine.info().components;
        name = engine.info().name + (engine.info().trained ? " (trained)" : " (random weights)");
    } else {
        cfg = configFrom(a);
        counts = componentParameters(cfg);
        name = "preset " + cfg.preset;
        engine.initRandom(cfg, 0);
    }
    // What this CPU runs for this model: the kernels' level, oneDNN's, and the chosen paths.
    const ComputePath path = engine.computePath();
    const auto flops = componentFlops(cfg);
    if (a.has("--json")) {
        json j{{"name", name}, {"config", json::parse(cfg.toJson())}};
        int64_t total = 0;
        double totalF = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
            j["components"][counts[i].first] = {{"parameters", counts[i].second}, {"flops", flops[i].second}};
            total += counts[i].second;
            totalF += flops[i].second;
        }
        j["total"] = {{"parameters", total}, {"flops", totalF}};
        j["compute"] = {{"isa", path.isa},         {"onednn_isa", path.onednn}, {"openblas", path.openblas},
                        {"vision", path.vision},   {"prompt_products", path.promptProducts},
                        {"threads", computeThreads()}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "EmberVLM " << name << " — image " << cfg.image_size << "×" << cfg.image_size << ", "
              << cfg.visualTokens() << " visual token(s)\n";
    std::printf("%-16s %14s %12s %14s\n", "component", "parameters", "", "GFLOPs/image");
    int64_t total = 0;
    double totalF = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        std::printf("%-16s %14lld %12s %14.3f\n", counts[i].first.c_str(), static_cast<long long>(counts[i].second),
                    fmtCount(counts[i].second).c_str(), flops[i].second / 1e9);
        total += counts[i].second;
        totalF += flops[i].second;
    }
    std::printf("%-16s %14lld %12s %14.3f\n", "total", static_cast<long long>(total), fmtCount(total).c_str(), totalF / 1e9);
    std::cout << "\ncpu path         " << path.isa << ", " << computeThreads() << " threads\n"
              << "oneDNN           " << path.onednn << "\n"
              << "OpenBLAS         " << path.openblas << "\n"
              << "vision encoder   " << path.vision << "\n"
              << "prompt products  " << path.promptProducts << "\n";
    return 0;
}

int cmdParams(const Args& a)
{
    for (const auto& line : parameterListing(configFrom(a)))
        std::cout << line << "\n";
    return 0;
}

int cmdInit(const Args& a)
{
    const auto out = a.require("-o");
    ModelConfig cfg = configFrom(a);
    Engine engine("cpu");
    engine.initRandom(cfg, static_cast<uint64_t>(a.getInt("--seed", 0, 0, std::numeric_limits<long long>::max())));
    engine.saveCheckpoint(out);
    std::cerr << "wrote " << out << " (" << cfg.preset << ", " << fmtCount(engine.info().parameters) << " parameters)\n";
    return 0;
}

int cmdConvert(const Args& a)
{
    ConvertOptions o;
    o.timmVision = a.get("--timm");
    o.hfGpt2 = a.get("--gpt2");
    o.base = a.get("--base");
    o.preset = a.get("--preset", "base");
    o.configOverrides = a.get("--config");
    o.seed = static_cast<unsigned long long>(a.getInt("--seed", 0, 0, std::numeric_limits<long long>::max()));
    o.output = a.require("-o");
    for (const auto& line : convertCheckpoint(o))
        std::cerr << line << "\n";
    return 0;
}

GenerationOptions generationFrom(const Args& a)
{
    GenerationOptions g;
    g.maxNewTokens = static_cast<int>(a.getInt("--max-tokens", 64, 1, 4096));
    g.temperature = static_cast<float>(a.getDouble("--temperature", 0.0, 0.0, 100.0));
    g.topK = static_cast<int>(a.getInt("--top-k", 0, 0, 1000000));
    g.topP = static_cast<float>(a.getDouble("--top-p", 1.0, 0.0, 1.0));
    g.seed = static_cast<uint64_t>(a.getInt("--seed", 0, 0, std::numeric_limits<long long>::max()));
    if (g.maxNewTokens < 1)
        throw UsageError("--max-tokens must be at least 1");
    if (g.topP <= 0.f || g.topP > 1.f)
        throw UsageError("--top-p must be in (0, 1]");
    return g;
}

int cmdAsk(const Args& a)
{
    const auto question = a.get("--prompt");   // required by the parser; "" is a question too
    const auto opts = generationFrom(a);
    auto engine = engineFrom(a);
    const std::string prompt = a.has("--raw") ? question : askPrompt({}, question);
    // Generated text is shown, not obeyed: a control byte (an ANSI escape) prints as U+FFFD.
    auto res = engine->generate(prompt, opts, [](const StreamedToken& t) { std::cout << printableText(t.text) << std::flush; });
    std::cout << "\n";
    std::cerr << res.tokens.size() << " tokens, first after " << std::fixed << std::setprecision(1) << res.msToFirstToken
              << " ms, " << res.tokensPerSecond << " tokens/s (" << res.stopReason << ")\n";
    return 0;
}

json traceJson(const RobotSelection& s)
{
    json steps = json::array();
    for (const auto& st : s.trace.steps)
        steps.push_back({{"score", st.hasScore ? json(st.score) : json(nullptr)},
                         {"accepted", st.accepted},
                         {"answer_probs", st.answerProbs}});
    return {{"steps", steps},
            {"answer", s.trace.answer},
            {"answer_label", s.trace.answer >= 0 ? s.labels[s.trace.answer] : ""},
            {"answer_probs", s.trace.answerProbs},
            {"threshold", s.trace.threshold}};
}

int cmdSelect(const Args& a)
{
    const auto task = a.get("--task");   // required by the parser; "" is a task too
    auto engine = engineFrom(a);
    const int maxSteps = static_cast<int>(a.getInt("--max-steps", 0, 0, 64));
    auto sel = engine->selectRobot(task, maxSteps);
    if (a.has("--threshold")) {
        const double th = a.getDouble("--threshold", 0.5, 0.0, 1.0);
        if (th < 0 || th > 1)
            throw UsageError("--threshold must be in [0, 1]");
        sel.trace = applyThreshold(sel.chain, th, maxSteps > 0 ? maxSteps : static_cast<int>(sel.chain.size()));
    }
    if (a.has("--json")) {
        auto j = traceJson(sel);
        j["labels"] = sel.labels;
        j["ms"] = sel.ms;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%-5s %-8s %-9s", "step", "score", "accepted");
    for (const auto& l : sel.labels)
        std::printf(" %18s", l.c_str());
    std::printf("\n");
    for (const auto& st : sel.trace.steps) {
        std::printf("%-5d %-8s %-9s", st.index, st.hasScore ? std::to_string(st.score).substr(0, 6).c_str() : "-",
                    st.accepted ? "yes" : "no");
        for (float p : st.answerProbs)
            std::printf(" %18.4f", p);
        std::printf("\n");
    }
    std::printf("answer: %s (p = %.4f) after %d accepted step(s), threshold %.2f, %.1f ms\n",
                sel.labels[sel.trace.answer].c_str(), sel.trace.answerProbs[sel.trace.answer], sel.trace.lastAccepted + 1,
                sel.trace.threshold, sel.ms);
    return 0;
}

int cmdForward(const Args& a)
{
    const auto prompt = a.get("--prompt");
    auto engine = engineFrom(a);
    auto probe = engine->forward(prompt);
    json top = json::array();
    for (const auto& [id, logit] : probe.top10)
        top.push_back({id, logit});
    json j{{"vision_mean", probe.hasVision ? json(probe.visionMean) : json(nullptr)},
           {"vision_std", probe.hasVision ? json(probe.visionStd) : json(nullptr)},
           {"top10", top},
           {"trace", traceJson(probe.selection)}};
    std::cout << j.dump(a.has("--json") ? -1 : 2) << "\n";
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    ensureFastRuntime(argc, argv);
    setComputeThreads(0);   // one thread per core unless --threads says otherwise
    cli::Program p;
    p.name = "embervlm";
    p.description = cli::kDescription;
    p.version = EMBERVLM_VERSION;
    p.footer = cli::kFooter;
    p.commands = cli::commandTree();
    for (const auto& [name, run] : std::initializer_list<std::pair<const char*, int (*)(const Args&)>>{
             {"info", cmdInfo}, {"params", cmdParams}, {"init", cmdInit}, {"convert", cmdConvert}, {"ask", cmdAsk},
             {"select", cmdSelect}, {"forward", cmdForward}, {"train", cmdTrain}, {"eval", cmdEval}, {"demo", cmdDemo}})
        cli::bindRun(p.commands, name, run);
    p.describe = [](const std::exception& e) {
        if (const auto* c = dynamic_cast<const c10::Error*>(&e))
            return std::string(c->what_without_backtrace());
        std::string msg = e.what();
        return msg.substr(0, msg.find('\n'));
    };
    return cli::run(p, argc, argv);
}
