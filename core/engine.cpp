#include "engine.h"

#include "checkpoint.h"
#include "cpu_isa.h"
#include "dnnl_matmul.h"
#include "kernels.h"
#include "decoder.h"
#include "model.h"
#include "reparam.h"
#include "runtime.h"
#include "sampling.h"
#include "tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <numeric>
#include <mutex>
#include <stdexcept>

namespace ember {

namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Length of the longest prefix of s that is complete UTF-8 (a trailing partial sequence stays back).
size_t completeUtf8Prefix(const std::string& s)
{
    size_t i = s.size();
    size_t back = 0;
    while (i > 0 && back < 4) {
        const auto c = static_cast<unsigned char>(s[i - 1]);
        if ((c & 0xC0) != 0x80) {
            size_t need = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
            return (back + 1 >= need) ? s.size() : i - 1;
        }
        --i;
        ++back;
    }
    return s.size();   // only continuation bytes: invalid anyway, pass them through
}

// The k largest entries' indices, best first, in one pass (k is small next to the vocabulary).
std::vector<int> topIndices(const std::vector<float>& v, int k)
{
    k = std::max(0, std::min<int>(k, static_cast<int>(v.size())));
    std::vector<int> top;   // sorted best first
    top.reserve(static_cast<size_t>(k) + 1);
    for (int i = 0; i < static_cast<int>(v.size()) && k > 0; ++i) {
        if (std::isnan(v[i]) || (static_cast<int>(top.size()) == k && !(v[i] > v[top.back()])))
            continue;
        auto at = std::upper_bound(top.begin(), top.end(), i, [&](int a, int b) { return v[a] > v[b]; });
        top.insert(at, i);
        if (static_cast<int>(top.size()) > k)
            top.pop_back();
    }
    return top;
}

// sum(exp(l - mx)) over the vocabulary, once per generated token.
double softmaxDenominator(const std::vector<float>& logits, float mx)
{
    double z = kernels::sumExp(logits.data(), static_cast<int64_t>(logits.size()), mx);
    if (!std::isfinite(z)) {   // NaN or infinite logits: those terms count as impossible
        z = 0;
        for (float l : logits)
            if (l - mx > -40.f)
                z += std::exp(static_cast<double>(l - mx));
    }
    return z > 0 && std::isfinite(z) ? z : 1.0;
}

torch::Device pickDevice(const std::string& name)
{
    if (name.empty())
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    return torch::Device(name);
}

} // namespace

std::string askPrompt(const std::vector<std::pair<std::string, std::string>>& history, const std::string& question)
{
    std::string p;
    for (const auto& [q, a] : history)
        p += "Question: " + q + "\nAnswer: " + a + "\n";
    return p + "Question: " + question + "\nAnswer:";
}

std::string selectionPrompt(const std::string& task)
{
    return "<|robot_selection|>Task: " + task + "\n";
}

std::string reasoningPrompt(const std::string& task)
{
    return selectionPrompt(task) + "<|reasoning_start|>";
}

struct Engine::Impl {
    torch::Device device{torch::kCPU};
    std::shared_ptr<const Tokenizer> tokenizer;
    EmberVLM model{nullptr};
    FusedRepVit fusedVision;
    std::unique_ptr<FastDecoder> decoder;   // CPU one-token path; null on other devices
    WeightFormat weightFormat = WeightFormat::F32;
    ModelInfo info;
    mutable std::mutex mutex;   // one model call at a time
    std::atomic<uint64_t> cancelSeq{0};   // bumped by requestCancel(); a request stops when it moves
    PreparedImage image;
    torch::Tensor visualCache;   // [1, G, C] projected tokens for `image`

    void install(EmberVLM m, const std::string& name, const std::string& path, bool trained)
    {
        m->to(device);
        m->eval();
        FusedRepVit fused(*m->vision);
        model = m;
        fusedVision = std::move(fused);
        if (!image.empty() && image.size != m->cfg.image_size)
            image = PreparedImage{};   // prepared for another input size: the caller sets it again
        decoder.reset();
        if (device.is_cpu())
            decoder = std::make_unique<FastDecoder>(*m->language_model, weightFormat);
        visualCache = torch::Tensor();
        info = ModelInfo{};
        info.name = name;
        info.path = path;
        info.preset = m->cfg.preset;
        info.configJson = m->cfg.toJson();
        info.components = parameterCounts(*m);
        for (auto& c : info.components)
            info.parameters += c.second;
        info.trained = trained;
        info.threads = computeThreads();
        info.device = device.str();
        info.robotLabels = m->cfg.robot_labels;
        releaseFreeMemory();   // loading's temporary copies
    }

    void requireModel() const
    {
        if (!model)
            throw std::runtime_error("no model loaded: open a checkpoint or create one with `embervlm init`");
    }

    torch::Tensor imageTensor() const
    {
        const int s = image.size;
        return torch::from_blob(const_cast<float*>(image.chw.data()), {1, 3, s, s}, torch::kFloat32).to(device);
    }

    torch::Tensor visualTokens()
    {
        if (image.empty())
            return {};
        if (!visualCache.defined())
            visualCache = model->visualTokens(fusedVision.forward(imageTensor()));
        return visualCache;
    }

    torch::Tensor idsTensor(const std::vector<int>& ids) const
    {
        std::vector<int64_t> v(ids.begin(), ids.end());
        return torch::tensor(v, torch::kLong).view({1, -1}).to(device);
    }

    // [1, G + T, C] inputs: visual tokens then token embeddings.
    torch::Tensor inputs(const std::vector<int>& ids)
    {
        auto vis = visualTokens();
        torch::Tensor txt;
        if (!ids.empty())
            txt = model->language_model->embed(idsTensor(ids));
        if (vis.defined() && txt.defined())
            return torch::cat({vis, txt}, 1);
        if (vis.defined())
            return vis;
        if (txt.defined())
            return txt;
        throw std::runtime_error("empty input: give an image, a prompt, or both");
    }

    std::vector<ChainStep> chain(const torch::Tensor& hLast, int maxSteps)
    {
        auto t = model->reasoning->run(hLast, -1.0, maxSteps);   // threshold -1: the whole chain
        std::vector<ChainStep> out;
        for (size_t i = 0; i < t.steps.size(); ++i) {
            ChainStep s;
            s.hasScore = i > 0;
            if (i > 0)
                s.score = t.scores[i][0].item<float>();
            auto p = torch::softmax(t.answerLogits[i][0], -1).to(torch::kCPU).contiguous();
            s.answerProbs.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
            out.push_back(std::move(s));
        }
        return out;
    }

    // [1, C] hidden state after the last input position; `cache` (optional) keeps the keys/values.
    torch::Tensor lastHidden(const torch::Tensor& x, KVCache* cache = nullptr)
    {
        if (decoder && decoder->canPrefill()) {
            KVCache local;
            return decoder->prefill(x[0], cache ? *cache : local).unsqueeze(0);
        }
        auto h = model->language_model->forward(x, cache);
        return h.select(1, h.size(1) - 1);
    }

    // Logits after `last` ([1, C]); with `topOnly` only the `exactTop` largest need be exact.
    torch::Tensor nextLogits(const torch::Tensor& last, bool topOnly, int exactTop)
    {
        if (decoder)
            return topOnly ? decoder->screenedLogits(last, exactTop) : decoder->logits(last);
        return model->language_model->logits(last)[0].to(torch::kCPU).contiguous();
    }

    // Runs one generated token through the model; returns the new [1, C] last hidden state.
    torch::Tensor feedToken(int id, KVCache& cache)
    {
        auto& lm = *model->language_model;
        if (decoder)
            return decoder->step(lm.wte->weight[id], cache);
        auto h = lm.forward(
            lm.embed(torch::tensor({static_cast<int64_t>(id)}, torch::kLong).view({1, 1}).to(device)), &cache);
        return h.select(1, 0);
    }

    RobotSelection select(const std::vector<int>& ids, int maxSteps)
    {
        torch::NoGradGuard ng;
        const auto t0 = Clock::now();
        const int steps = maxSteps > 0 ? maxSteps : static_cast<int>(model->cfg.max_reasoning_steps);
        RobotSelection r;
        r.chain = chain(lastHidden(inputs(ids)), steps);
        r.trace = applyThreshold(r.chain, model->cfg.consistency_threshold, steps);
        r.labels = model->cfg.robot_labels;
        r.ms = msSince(t0);
        return r;
    }
};

Engine::Engine(const std::string& device) : d(std::make_unique<Impl>())
{
    d->device = pickDevice(device);
    d->tokenizer = Tokenizer::shared();
}

Engine::~Engine() = default;

void Engine::loadCheckpoint(const std::string& path)
{
    CheckpointMeta meta;
    EmberVLM m = loadCheckpointFile(path, &meta);   // throws; the current model is untouched
    std::lock_guard<std::mutex> lock(d->mutex);
    const auto slash = path.find_last_of('/');
    d->install(m, slash == std::string::npos ? path : path.substr(slash + 1), path, meta.trained);
    d->info.warnings = meta.warnings;
}

void Engine::initRandom(const ModelConfig& cfg, uint64_t seed)
{
    EmberVLM m(cfg);
    initWeights(*m, seed);
    std::lock_guard<std::mutex> lock(d->mutex);
    d->install(m, "random " + cfg.preset, "", false);
}

void Engine::saveCheckpoint(const std::string& path) const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    d->requireModel();
    saveCheckpointFile(path, *d->model, {{"trained", d->info.trained ? "true" : "false"}});
}

void Engine::setWeightFormat(const std::string& format)
{
    const auto f = weightFormatFromString(format);
    std::lock_guard<std::mutex> lock(d->mutex);
    d->weightFormat = f;
    if (d->model && d->device.is_cpu())
        d->decoder = std::make_unique<FastDecoder>(*d->model->language_model, f);
}

bool Engine::hasModel() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    return static_cast<bool>(d->model);
}

ModelInfo Engine::info() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    return d->info;
}

ComputePath Engine::computePath()
{
    std::lock_guard<std::mutex> lock(d->mutex);
    d->requireModel();
    torch::NoGradGuard ng;
    const int64_t S = d->model->cfg.image_size, C = d->model->cfg.n_embd;
    if (d->device.is_cpu() && !d->fusedVision.chainInUse() && d->fusedVision.usesOneDnn())
        d->fusedVision.forward(torch::zeros({1, 3, S, S}));
    if (d->device.is_cpu()) {
        // One product of a robot selection's shape: oneDNN picks (or refuses) its kernel here.
        std::vector<float> x(17 * C, 0.f), w(3 * C * C, 0.f), y(17 * 3 * C);
        dnnlLinearRows(x.data(), w.data(), nullptr, y.data(), 17, C, 3 * C);
    }
    ComputePath p;
    p.isa = isaSummary();
    p.onednn = dnnlIsa();
    const char* blas = std::getenv("OPENBLAS_CORETYPE");
    p.openblas = blas ? blas : "auto";
    p.vision = d->device.is_cpu() ? d->fusedVision.path() : "LibTorch ops on " + d->device.str();
    p.promptProducts = d->device.is_cpu() ? dnnlMatmulPath() : "LibTorch on " + d->device.str();
    return p;
}

ModelConfig Engine::config() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    d->requireModel();
    return d->model->cfg;
}

PreparedImage Engine::loadImage(const std::string& path, ResizeMode mode) const
{
    int size = 224;
    {
        std::lock_guard<std::mutex> lock(d->mutex);
        if (d->model)
            size = static_cast<int>(d->model->cfg.image_size);
    }
    return prepareImageFile(path, size, mode);
}

void Engine::setImage(PreparedImage image)
{
    std::lock_guard<std::mutex> lock(d->mutex);
    if (d->model && image.size != d->model->cfg.image_size)
        throw ImageError("image was prepared at " + std::to_string(image.size) + " px, the model needs " +
                         std::to_string(d->model->cfg.image_size));
    d->image = std::move(image);
    d->visualCache = torch::Tensor();
}

void Engine::clearImage()
{
    std::lock_guard<std::mutex> lock(d->mutex);
    d->image = PreparedImage{};
    d->visualCache = torch::Tensor();
}

bool Engine::hasImage() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    return !d->image.empty();
}

std::vector<int> Engine::tokenize(const std::string& text) const { return d->tokenizer->encode(text); }

std::string Engine::detokenize(const std::vector<int>& ids) const { return d->tokenizer->decode(ids); }

void Engine::requestCancel() { d->cancelSeq.fetch_add(1); }

namespace {

// The stop reason a sampled id ends generation with, or null when generation goes on.
const char* stopReasonFor(int id, const GenerationOptions& opt)
{
    if (opt.stopAtEndOfText && id == Tokenizer::kEndOfText)
        return "end_of_text";
    if (std::find(opt.stopIds.begin(), opt.stopIds.end(), id) != opt.stopIds.end())
        return "stop_token";
    return nullptr;
}

// A sampled token with its softmax statistics over the full vocabulary at temperature 1.
StreamedToken streamedToken(int step, int id, const std::vector<float>& logits, int alternatives,
                            const Tokenizer& tokenizer)
{
    StreamedToken tok;
    tok.index = step;
    tok.id = id;
    tok.piece = tokenizer.tokenBytes(id);
    tok.logit = logits[id];
    const auto idx = topIndices(logits, alternatives);
    const float mx = idx.empty() ? *std::max_element(logits.begin(), logits.end()) : logits[idx[0]];
    const double z = softmaxDenominator(logits, mx);
    tok.p = static_cast<float>(std::exp(static_cast<double>(tok.logit - mx)) / z);
    for (int i : idx)
        tok.alternatives.push_back({i, tokenizer.tokenBytes(i), logits[i],
                                    static_cast<float>(std::exp(static_cast<double>(logits[i] - mx)) / z)});
    return tok;
}

// Moves the complete UTF-8 part of pending + tok.piece into tok.text and `text`.
void takeCompleteText(StreamedToken& tok, std::string& pending, std::string& text)
{
    pending += tok.piece;
    const size_t n = completeUtf8Prefix(pending);
    tok.text = pending.substr(0, n);
    pending.erase(0, n);
    text += tok.text;
}

void finishTiming(GenerationResult& res, Clock::time_point t0, Clock::time_point tFirst)
{
    res.totalMs = msSince(t0);
    if (res.tokens.size() > 1) {
        const double decodeMs = std::chrono::duration<double, std::milli>(Clock::now() - tFirst).count();
        res.tokensPerSecond = (res.tokens.size() - 1) * 1000.0 / std::max(decodeMs, 1e-6);
    }
}

} // namespace

GenerationResult Engine::generate(const std::string& prompt, const GenerationOptions& opt,
                                  const std::function<void(const StreamedToken&)>& onToken)
{
    // Taken before the lock: a cancel sent while this call waits for the engine still counts.
    const uint64_t cancelAtStart = d->cancelSeq.load();
    std::lock_guard<std::mutex> lock(d->mutex);
    d->requireModel();
    torch::NoGradGuard ng;
    const auto t0 = Clock::now();
    const auto ids = d->tokenizer->encode(prompt);
    GenerationResult res;
    res.promptTokens = static_cast<int>(ids.size());

    auto x = d->inputs(ids);
    const int64_t limit = d->model->cfg.n_positions;
    if (x.size(1) >= limit)
        throw std::runtime_error("prompt of " + std::to_string(x.size(1)) + " positions leaves no room in the " +
                                 std::to_string(limit) + "-position context");
    KVCache cache;
    cache.capacity = 0;
    std::mt19937_64 rng(opt.seed);
    const SamplingParams sp{opt.temperature, opt.topK, opt.topP};
    std::string pending;   // bytes not yet emitted as text (incomplete UTF-8)
    Clock::time_point tFirst;

    torch::Tensor last = d->lastHidden(x, &cache);   // [1, C]
    // Greedy and top-k choices, and the shown alternatives, need only the largest logits exactly.
    const bool topOnly = opt.temperature <= 0.f || opt.topK > 0;
    const int exactTop = std::max({1, opt.alternatives, opt.temperature > 0.f ? opt.topK : 1});
    res.stopReason = "max_tokens";
    for (int step = 0; step < opt.maxNewTokens; ++step) {
        if (d->cancelSeq.load() != cancelAtStart) {
            res.stopReason = "cancelled";
            break;
        }
        auto logitsT = d->nextLogits(last, topOnly, exactTop);
        std::vector<float> logits(logitsT.data_ptr<float>(), logitsT.data_ptr<float>() + logitsT.numel());
        const int id = sampleToken(logits, sp, rng);
        if (const char* stop = stopReasonFor(id, opt)) {
            res.stopReason = stop;
            break;
        }
        StreamedToken tok = streamedToken(step, id, logits, opt.alternatives, *d->tokenizer);
        takeCompleteText(tok, pending, res.text);
        if (step == 0) {
            tFirst = Clock::now();
            res.msToFirstToken = msSince(t0);
        }
        res.tokens.push_back(tok);
        if (onToken)
            onToken(res.tokens.back());
        if (cache.length + 1 > limit) {
            res.stopReason = "context_full";
            break;
        }
        if (step + 1 == opt.maxNewTokens)
            break;   // no need to run the model for a token nobody will read
        last = d->feedToken(id, cache);
    }
    res.text += pending;
    finishTiming(res, t0, tFirst);
    return res;
}

RobotSelection Engine::selectRobot(const std::string& task, int maxSteps)
{
    return selectRobotRaw(selectionPrompt(task), maxSteps);
}

RobotSelection Engine::selectRobotRaw(const std::string& prompt, int maxSteps)
{
    std::lock_guard<std::mutex> lock(d->mutex);
    d->requireModel();
    return d->select(d->tokenizer->encode(prompt), maxSteps);
}

ForwardProbe Engine::forward(const std::string& prompt)
{
    std::lock_guard<std::mutex> lock(d->mutex);
    d->requireModel();
    torch::NoGradGuard ng;
    ForwardProbe probe;
    const auto ids = d->tokenizer->encode(prompt);
    if (!d->image.empty()) {
        auto map = d->fusedVision.forward(d->imageTensor());
        probe.hasVision = true;
        probe.visionMean = map.mean().item<double>();
        probe.visionStd = map.std(false).item<double>();
    }
    auto h = d->model->language_model->forward(d->inputs(ids));
    auto last = h.select(1, h.size(1) - 1);
    auto logits = d->model->language_model->logits(last)[0];
    auto top = logits.topk(10);
    auto vals = std::get<0>(top).to(torch::kCPU), idx = std::get<1>(top).to(torch::kCPU);
    for (int i = 0; i < 10; ++i)
        probe.top10.emplace_back(static_cast<int>(idx[i].item<int64_t>()), vals[i].item<float>());
    const int steps = static_cast<int>(d->model->cfg.max_reasoning_steps);
    probe.selection.chain = d->chain(last, steps);
    probe.selection.trace = applyThreshold(probe.selection.chain, d->model->cfg.consistency_threshold, steps);
    probe.selection.labels = d->model->cfg.robot_labels;
    return probe;
}

std::vector<float> Engine::gradCam(const std::string& task, int robot, int* rows, int* cols)
{
    std::lock_guard<std::mutex> lock(d->mutex);
    d->requireModel();
    if (d->image.empty())
        throw std::runtime_error("Grad-CAM needs an image");
    if (robot < 0 || robot >= d->model->cfg.num_robots)
        throw std::invalid_argument("robot index out of range");
    // Gradients of the chosen robot's answer logit with respect to a stage's map: the deepest one
    // with at least 7 × 7 cells (the last stage at 224 px; at 64 px the last is 2 × 2 and shows
    // nothing, so the 8 × 8 one before). The trained-form tower runs here: autograd needs it.
    torch::AutoGradMode grad(true);
    auto& tower = *d->model->vision;
    std::vector<torch::Tensor> outs;
    auto f = tower.stem->forward(d->imageTensor());
    for (auto& st : *tower.stages)
        outs.push_back(f = st->as<RepVitStageImpl>()->forward(f));
    size_t k = 0;
    for (size_t i = 0; i < outs.size(); ++i)
        if (std::min(outs[i].size(2), outs[i].size(3)) >= 7) k = i;
    auto map = outs[k];
    auto vis = d->model->visualTokens(outs.back());
    const auto ids = d->tokenizer->encode(selectionPrompt(task));
    auto x = torch::cat({vis, d->model->language_model->embed(d->idsTensor(ids))}, 1);
    auto h = d->model->language_model->forward(x);
    auto t = d->model->reasoning->run(h.select(1, h.size(1) - 1), d->model->cfg.consistency_threshold,
                                      d->model->cfg.max_reasoning_steps);
    auto score = t.finalLogits[0][robot];
    auto grads = torch::autograd::grad({score}, {map})[0];   // [1, C, h, w]
    auto weights = grads.mean({2, 3}, true);
    auto cam = torch::relu((weights * map).sum(1))[0].detach();   // [h, w]
    const float mx = cam.max().item<float>();
    if (mx > 0)
        cam = cam / mx;
    cam = cam.to(torch::kCPU).contiguous();
    *rows = static_cast<int>(cam.size(0));
    *cols = static_cast<int>(cam.size(1));
    return std::vector<float>(cam.data_ptr<float>(), cam.data_ptr<float>() + cam.numel());
}

} // namespace ember
