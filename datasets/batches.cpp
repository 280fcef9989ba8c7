#include "batches.h"

#include "content_hash.h"
#include "demo_scenes.h"
#include "engine.h"
#include "tokenizer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace ember::data {

namespace {

void append(EncodedSample& e, const std::vector<int>& ids, bool loss)
{
    e.ids.insert(e.ids.end(), ids.begin(), ids.end());
    e.loss.insert(e.loss.end(), ids.size(), loss ? 1 : 0);
}

// Stage 1's texts: the reference captions, else the answers (LLaVA-Pretrain's layout).
std::vector<std::string> alignmentTexts(const Sample& s)
{
    auto texts = allCaptions(s);
    if (texts.empty())
        for (const auto& p : s.qa)
            if (!p.answer.empty()) texts.push_back(p.answer);
    return texts;
}

} // namespace

size_t textVariants(const Sample& s, Stage stage)
{
    if (stage == Stage::Alignment) return std::max<size_t>(1, alignmentTexts(s).size());
    if (stage == Stage::Instruction) return std::max<size_t>(1, s.qa.empty() ? allCaptions(s).size() : s.qa.size());
    return 1;
}

bool eligible(const Sample& s, Stage stage)
{
    switch (stage) {
    case Stage::Alignment: return s.image.id != 0 && !alignmentTexts(s).empty();
    case Stage::Instruction: return !s.qa.empty() || (s.image.id != 0 && !allCaptions(s).empty());
    case Stage::Selection: return !s.robots.empty() && !s.task.empty();
    case Stage::Reasoning: return !s.robots.empty() && !s.task.empty() && !s.reasoning.empty();
    }
    return false;
}

EncodedSample encodeSample(const Sample& s, Stage stage, uint64_t variant)
{
    if (!eligible(s, stage))
        throw std::invalid_argument("sample " + std::to_string(s.id) + " has no data for stage " +
                                    std::to_string(static_cast<int>(stage)));
    const auto tok = Tokenizer::shared();
    EncodedSample e;
    switch (stage) {
    case Stage::Alignment: {
        const auto texts = alignmentTexts(s);
        append(e, tok->encode(texts[variant % texts.size()]), true);
        append(e, {Tokenizer::kEndOfText}, true);
        break;
    }
    case Stage::Instruction: {
        QaPair qa;
        if (!s.qa.empty()) qa = s.qa[variant % s.qa.size()];
        else {
            const auto caps = allCaptions(s);
            qa = {kDescribeQuestion, caps[variant % caps.size()]};
        }
        append(e, tok->encode(askPrompt({}, qa.question)), false);
        append(e, tok->encode(" " + qa.answer), true);
        append(e, {Tokenizer::kEndOfText}, true);
        break;
    }
    case Stage::Selection:
        // Stage 3 also learns the reasoning text where a sample has it; the reasoning module
        // still reads the end of the selection prompt (the token before <|reasoning_start|>).
        if (s.reasoning.empty()) {
            append(e, tok->encode(selectionPrompt(s.task)), false);
            break;
        }
        [[fallthrough]];
    case Stage::Reasoning:
        append(e, tok->encode(reasoningPrompt(s.task)), false);
        append(e, tok->encode(formatReasoning(s.reasoning)), true);
        append(e, {Tokenizer::kReasoningEnd}, true);
        break;
    }
    return e;
}

std::vector<int64_t> tokenVocabulary(const Workspace& ws, const SampleQuery& filter)
{
    std::set<int64_t> ids;
    auto add = [&](const EncodedSample& e) { ids.insert(e.ids.begin(), e.ids.end()); };
    for (auto id : ws.ids(filter)) {
        const auto s = ws.get(id);
        if (!s) continue;
        for (Stage st : {Stage::Alignment, Stage::Instruction, Stage::Selection, Stage::Reasoning})
            if (eligible(*s, st))
                for (size_t v = 0; v < textVariants(*s, st); ++v) add(encodeSample(*s, st, v));
    }
    return std::vector<int64_t>(ids.begin(), ids.end());
}

BatchBuilder::BatchBuilder(const Workspace& ws, const BatchOptions& opts) : opts_(opts), workspaceDir_(ws.dir())
{
    if (opts_.batchSize < 1) throw std::invalid_argument("batch size must be at least 1");
    if (opts_.maxTokens < 2) throw std::invalid_argument("maxTokens must be at least 2");
    for (auto id : ws.ids(opts_.filter)) {
        auto s = ws.get(id);
        if (s && eligible(*s, opts_.stage)) samples_.push_back(std::move(*s));
    }
    if (samples_.empty())
        throw std::invalid_argument("no samples for stage " + std::to_string(static_cast<int>(opts_.stage)) +
                                    " in workspace " + ws.dir());
    // Samples with one text are encoded once; the others pick a caption or pair per epoch.
    for (const auto& s : samples_)
        encoded_.push_back(textVariants(s, opts_.stage) == 1 ? encodeSample(s, opts_.stage) : EncodedSample{});
    std::map<std::string, std::set<std::string>> seen;
    for (const auto& s : samples_)
        for (const auto& [k, v] : s.scene) seen[k].insert(v);
    for (const auto& [k, vs] : seen) {
        scene_.attributes.push_back(k);
        scene_.values.emplace_back(vs.begin(), vs.end());
    }
    startWorker(0, 0);
}

BatchBuilder::~BatchBuilder() { stopWorker(); }

int64_t BatchBuilder::batchesPerEpoch() const
{
    const auto n = sampleCount();
    return opts_.dropLast ? std::max<int64_t>(1, n / opts_.batchSize) : (n + opts_.batchSize - 1) / opts_.batchSize;
}

std::vector<int64_t> BatchBuilder::epochOrder(int64_t epoch) const
{
    std::vector<int64_t> order(samples_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    if (!opts_.shuffle) return order;
    demo::Rng rng(hash64(std::to_string(opts_.seed) + ":epoch:" + std::to_string(epoch)));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);   // Fisher–Yates
    return order;
}

Batch BatchBuilder::build(int64_t epoch, int64_t index) const
{
    const auto order = epochOrder(epoch);
    const int64_t begin = index * opts_.batchSize;
    const int64_t end = std::min<int64_t>(begin + opts_.batchSize, static_cast<int64_t>(order.size()));
    const int64_t B = std::max<int64_t>(0, end - begin);
    std::vector<EncodedSample> texts;
    std::vector<int64_t> qaIndex(static_cast<size_t>(B), 0);
    texts.reserve(static_cast<size_t>(B));
    size_t T = 1;
    for (int64_t b = 0; b < B; ++b) {
        const auto k = static_cast<size_t>(order[static_cast<size_t>(begin + b)]);
        const uint64_t variant = hash64(std::to_string(opts_.seed) + ":" + std::to_string(epoch) + ":" + samples_[k].uid);
        EncodedSample e = encoded_[k].ids.empty() ? encodeSample(samples_[k], opts_.stage, variant) : encoded_[k];
        if (opts_.stage == Stage::Instruction && !samples_[k].qa.empty())
            qaIndex[static_cast<size_t>(b)] = static_cast<int64_t>(variant % samples_[k].qa.size());
        if (e.ids.size() > static_cast<size_t>(opts_.maxTokens)) {
            e.ids.resize(static_cast<size_t>(opts_.maxTokens));
            e.loss.resize(static_cast<size_t>(opts_.maxTokens));
        }
        T = std::max(T, e.ids.size());
        texts.push_back(std::move(e));
    }
    const int64_t R = robotCount(), S = opts_.imageSize;
    Batch out;
    out.epoch = epoch;
    out.index = index;
    out.inputIds = torch::full({B, static_cast<int64_t>(T)}, Tokenizer::kEndOfText, torch::kInt64);
    out.attentionMask = torch::zeros({B, static_cast<int64_t>(T)}, torch::kInt64);
    out.lossMask = torch::zeros({B, static_cast<int64_t>(T)}, torch::kFloat32);
    out.robotTargets = torch::zeros({B, R}, torch::kFloat32);
    out.reasoningSteps = torch::zeros({B}, torch::kInt64);
    out.sampleIds = torch::zeros({B}, torch::kInt64);
    out.qaIndex = torch::tensor(qaIndex, torch::kInt64);
    out.hasImage = torch::zeros({B}, torch::kBool);
    out.images = torch::zeros({B, 3, S, S}, torch::kFloat32);
    const auto A = static_cast<int64_t>(scene_.attributes.size());
    out.sceneTargets = torch::full({B, A}, -1, torch::kInt64);
    auto sceneT = out.sceneTargets.accessor<int64_t, 2>();
    auto ids = out.inputIds.accessor<int64_t, 2>();
    auto att = out.attentionMask.accessor<int64_t, 2>();
    auto loss = out.lossMask.accessor<float, 2>();
    auto rob = out.robotTargets.accessor<float, 2>();
    for (int64_t b = 0; b < B; ++b) {
        const auto& s = samples_[static_cast<size_t>(order[static_cast<size_t>(begin + b)])];
        const auto& e = texts[static_cast<size_t>(b)];
        for (size_t t = 0; t < e.ids.size(); ++t) {
            ids[b][static_cast<int64_t>(t)] = e.ids[t];
            att[b][static_cast<int64_t>(t)] = 1;
            loss[b][static_cast<int64_t>(t)] = e.loss[t];
        }
        for (int r : s.robots) rob[b][r] = 1.f;
        out.reasoningSteps[b] = static_cast<int64_t>(s.reasoning.size());
        out.sampleIds[b] = s.id;
        for (int64_t a = 0; a < A; ++a) {
            auto it = s.scene.find(scene_.attributes[static_cast<size_t>(a)]);
            if (it == s.scene.end()) continue;
            const auto& vs = scene_.values[static_cast<size_t>(a)];
            sceneT[b][a] = std::lower_bound(vs.begin(), vs.end(), it->second) - vs.begin();
        }
        if (s.image.id) {
            try {
                // Through the workspace's containment check: a stored "../outside.png" is not read.
                const auto img = prepareImageFile(resolveInWorkspace(workspaceDir_, s.image.path), opts_.imageSize, opts_.resize);
                std::memcpy(out.images[b].data_ptr<float>(), img.chw.data(), img.chw.size() * sizeof(float));
                out.hasImage[b] = true;
            } catch (const std::exception&) {
                // A missing or corrupt file trains as a text-only sample rather than stopping the run.
            }
        }
    }
    return out;
}

void BatchBuilder::startWorker(int64_t epoch, int64_t index)
{
    stop_ = false;
    error_ = nullptr;
    queue_.clear();
    worker_ = std::thread([this, epoch, index] {
        int64_t e = epoch, i = index;
        const int64_t perEpoch = batchesPerEpoch();
        try {
            while (true) {
                {
                    std::unique_lock<std::mutex> lock(mutex_);
                    cv_.wait(lock, [&] { return stop_ || static_cast<int>(queue_.size()) < std::max(1, opts_.prefetch); });
                    if (stop_) return;
                }
                Batch b = build(e, i);
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    if (stop_) return;
                    queue_.push_back(std::move(b));
                }
                cv_.notify_all();
                if (++i >= perEpoch) {
                    i = 0;
                    ++e;
                }
            }
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            error_ = std::current_exception();
            cv_.notify_all();
        }
    });
}

void BatchBuilder::stopWorker()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

Batch BatchBuilder::next()
{
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !queue_.empty() || error_; });
    if (queue_.empty() && error_) std::rethrow_exception(error_);
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    cv_.notify_all();
    return b;
}

void BatchBuilder::seek(int64_t epoch, int64_t index)
{
    if (epoch < 0 || index < 0 || index >= batchesPerEpoch()) throw std::out_of_range("batch position out of range");
    stopWorker();
    startWorker(epoch, index);
}

} // namespace ember::data
