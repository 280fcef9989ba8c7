#include "evaluate.h"

#include "standard_text_metrics.h"

#include "batches.h"
#include "checkpoint.h"
#include "engine.h"
#include "split_filter.h"
#include "tokenizer.h"
#include "stage_loss.h"
#include "workspace.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace ember::train {

using nlohmann::json;

namespace {
json number(double v) { return std::isnan(v) ? json(nullptr) : json(v); }
} // namespace

nlohmann::json EvalReport::flatMetrics() const
{
    return {{"accuracy", selection.accuracy},
            {"blind_accuracy", number(blindAccuracy)},
            {"image_decided_count", imageDecidedCount},
            {"image_decided_accuracy", number(imageDecidedAccuracy)},
            {"image_decided_blind_accuracy", number(imageDecidedBlindAccuracy)},
            {"answer_count", answerCount},
            {"answer_exact_match", answerExactMatch},
            {"answer_token_f1", answerTokenF1},
            {"blind_answer_exact_match", number(blindAnswerExactMatch)},
            {"blind_answer_token_f1", number(blindAnswerTokenF1)},
            {"caption_count", captionCount},
            {"caption_token_f1", captionTokenF1},
            {"caption_bleu_4", number(captionBleu4)},
            {"caption_rouge_l", number(captionRougeL)},
            {"caption_cider", number(captionCider)},
            {"answer_vqa_accuracy", number(answerVqaAccuracy)},
            {"blind_answer_vqa_accuracy", number(blindAnswerVqaAccuracy)},
            {"reasoning_count", reasoningCount},
            {"reasoning_token_f1", reasoningTokenF1},
            {"distinct_2", distinct2}};
}

std::string EvalReport::toJson(bool withSamples) const
{
    const auto& r = selection;
    json perClass = json::object();
    for (int c = 0; c < r.classes; ++c)
        perClass[labels[c]] = {{"precision", r.precision[c]}, {"recall", r.recall[c]}, {"f1", r.f1[c]}};
    json byStep = json::array();
    for (size_t i = 0; i < accuracyByAcceptedSteps.size(); ++i)
        byStep.push_back({{"accepted_steps", i}, {"count", countByAcceptedSteps[i]},
                          {"accuracy", std::isnan(accuracyByAcceptedSteps[i]) ? json(nullptr) : json(accuracyByAcceptedSteps[i])}});
    json j{{"checkpoint", checkpoint},
           {"split", split},
           {"samples", r.total},
           {"labels", labels},
           {"robot_selection",
            {{"accuracy", r.accuracy}, {"macro_precision", r.macroPrecision}, {"macro_recall", r.macroRecall},
             {"macro_f1", r.macroF1}, {"per_class", perClass}, {"confusion", r.confusion}, {"ece", r.ece},
             {"reliability", {{"confidence", r.binConfidence}, {"accuracy", r.binAccuracy}, {"count", r.binCount}}}}},
           {"reasoning",
            {{"mean_step_consistency", meanStepConsistency}, {"early_stop_rate", earlyStopRate},
             {"accuracy_by_accepted_steps", byStep}}},
           {"captions", {{"count", captionCount}, {"exact_match", captionExactMatch}, {"token_f1", captionTokenF1},
                         {"Bleu_4", number(captionBleu4)}, {"ROUGE_L", number(captionRougeL)}, {"CIDEr", number(captionCider)}}},
           {"answers", {{"count", answerCount}, {"exact_match", answerExactMatch}, {"token_f1", answerTokenF1},
                        {"vqa_accuracy", number(answerVqaAccuracy)}}},
           {"metrics", flatMetrics()},
           {"run", runId},
           {"seconds", seconds}};
    if (withSamples) {
        json s = json::array();
        for (const auto& x : samples)
            s.push_back({{"id", x.sampleId}, {"truth", x.truth}, {"predicted", x.predicted}, {"confidence", x.confidence},
                         {"loss", x.loss}, {"accepted_steps", x.acceptedSteps}, {"probs", x.probs},
                         {"image_decided", x.imageDecided}, {"blind_predicted", x.blindPredicted}});
        j["per_sample"] = s;
    }
    return j.dump(2);
}

std::string EvalReport::toTable() const
{
    std::ostringstream o;
    char buf[256];
    const auto& r = selection;
    o << "checkpoint " << checkpoint << ", split " << split << ", " << r.total << " samples\n";
    std::snprintf(buf, sizeof buf, "accuracy %.4f   macro P/R/F1 %.4f / %.4f / %.4f   ECE %.4f\n", r.accuracy,
                  r.macroPrecision, r.macroRecall, r.macroF1, r.ece);
    o << buf;
    std::snprintf(buf, sizeof buf, "%-20s %9s %9s %9s\n", "class", "precision", "recall", "F1");
    o << buf;
    for (int c = 0; c < r.classes; ++c) {
        std::snprintf(buf, sizeof buf, "%-20s %9.4f %9.4f %9.4f\n", labels[c].c_str(), r.precision[c], r.recall[c], r.f1[c]);
        o << buf;
    }
    o << "confusion (rows true, columns predicted):\n";
    for (int a = 0; a < r.classes; ++a) {
        std::snprintf(buf, sizeof buf, "  %-18s", labels[a].c_str());
        o << buf;
        for (int b = 0; b < r.classes; ++b) {
            std::snprintf(buf, sizeof buf, " %6lld", r.confusion[a][b]);
            o << buf;
        }
        o << "\n";
    }
    std::snprintf(buf, sizeof buf, "reasoning: mean step consistency %.4f, early-stop rate %.4f\n", meanStepConsistency,
                  earlyStopRate);
    o << buf;
    for (size_t i = 1; i < accuracyByAcceptedSteps.size(); ++i)
        if (countByAcceptedSteps[i]) {
            std::snprintf(buf, sizeof buf, "  %zu accepted step(s): %lld samples, accuracy %.4f\n", i,
                          countByAcceptedSteps[i], accuracyByAcceptedSteps[i]);
            o << buf;
        }
    std::snprintf(buf, sizeof buf,
                  "captions: %d, exact match %.4f, token F1 %.4f, BLEU-4 %.4f, ROUGE-L %.4f, CIDEr %.4f\n"
                  "answers: %d, exact match %.4f, token F1 %.4f, VQA accuracy %.2f\n",
                  captionCount, captionExactMatch, captionTokenF1, captionBleu4, captionRougeL, captionCider, answerCount,
                  answerExactMatch, answerTokenF1, answerVqaAccuracy);
    o << buf;
    std::snprintf(buf, sizeof buf, "reasoning text: %d, token F1 %.4f, distinct-2 %.4f\n", reasoningCount, reasoningTokenF1, distinct2);
    o << buf;
    auto cell = [](double v) {
        char b[24];
        if (std::isnan(v))
            std::snprintf(b, sizeof b, " %9s", "-");
        else
            std::snprintf(b, sizeof b, " %9.4f", v);
        return std::string(b);
    };
    o << "what the image contributes (blind: every image replaced by uniform grey)\n";
    std::snprintf(buf, sizeof buf, "  %-34s %9s %9s\n", "", "image", "blind");
    o << buf;
    std::snprintf(buf, sizeof buf, "  %-34s", "robot selection, all samples");
    o << buf << cell(selection.accuracy) << cell(blindAccuracy) << "\n";
    std::snprintf(buf, sizeof buf, "  %-34s", ("image-decided (" + std::to_string(imageDecidedCount) + " samples)").c_str());
    o << buf << cell(imageDecidedAccuracy) << cell(imageDecidedBlindAccuracy) << "\n";
    std::snprintf(buf, sizeof buf, "  %-34s", "answers, exact match");
    o << buf << cell(answerCount ? answerExactMatch : std::nan("")) << cell(blindAnswerExactMatch) << "\n";
    std::snprintf(buf, sizeof buf, "  %-34s", "answers, token F1");
    o << buf << cell(answerCount ? answerTokenF1 : std::nan("")) << cell(blindAnswerTokenF1) << "\n";
    std::snprintf(buf, sizeof buf, "  %-34s", "answers, VQA accuracy (%)");
    o << buf << cell(answerVqaAccuracy) << cell(blindAnswerVqaAccuracy) << "\n";
    return o.str();
}

namespace {

std::set<int64_t> imageDecidedIds(data::Workspace& ws)
{
    std::set<int64_t> ids;
    auto st = ws.database().prepare("SELECT id FROM samples WHERE image_decided <> 0");
    while (st.step())
        ids.insert(st.getInt(0));
    return ids;
}

// The reasoning chain of every sample of `batches`, in order. With `grey` defined, each image is
// replaced by it (samples without an image stay without).
template <typename OnSample>
void runSelection(EmberVLM& model, data::BatchBuilder& batches, const torch::Tensor& grey, OnSample onSample,
                  const std::function<bool()>& tick)
{
    const int64_t S = model->cfg.max_reasoning_steps;
    const int64_t n = batches.batchesPerEpoch();
    torch::NoGradGuard ng;
    for (int64_t bi = 0; bi < n; ++bi) {
        auto b = batches.next();
        if (grey.defined())
            b.images = torch::where(b.hasImage.view({-1, 1, 1, 1}), grey.unsqueeze(0).expand_as(b.images), b.images);
        const int64_t B = b.inputIds.size(0);
        auto vis = model->visualTokens(model->visionMap(b.images));
        const int64_t G = vis.size(1);
        auto h = model->language_model->forward(torch::cat({vis, model->language_model->embed(b.inputIds)}, 1), nullptr,
                                                sequenceMask(b, G));
        auto chain = model->reasoning->run(answerStates(h, b, G), -1.0, S);   // whole chain; threshold per sample
        for (int64_t i = 0; i < B; ++i) {
            std::vector<ChainStep> steps;
            for (size_t k = 0; k < chain.steps.size(); ++k) {
                ChainStep c;
                c.hasScore = k > 0;
                if (k > 0)
                    c.score = chain.scores[k][i].item<float>();
                auto p = torch::softmax(chain.answerLogits[k][i], -1).contiguous();
                c.answerProbs.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
                steps.push_back(std::move(c));
            }
            std::vector<int> truth;
            for (int r = 0; r < model->cfg.num_robots; ++r)
                if (b.robotTargets[i][r].item<float>() > 0)
                    truth.push_back(r);
            onSample(b.sampleIds[i].item<int64_t>(), std::move(truth), steps);
        }
        if (tick && !tick())
            throw std::runtime_error("evaluation cancelled");
    }
}

bool hits(const std::vector<int>& truth, int predicted)
{
    return std::find(truth.begin(), truth.end(), predicted) != truth.end();
}

// The steps of a reasoning text as one string of words, for token F1.
std::string joinedSteps(const std::vector<std::string>& steps)
{
    std::string out;
    for (const auto& s : steps)
        out += (out.empty() ? "" : " ") + s;
    return out;
}

// Sums of the text figures over the samples scored so far.
struct TextTally {
    double captionEm = 0, captionF1 = 0, answerEm = 0, answerF1 = 0, blindEm = 0, blindF1 = 0, reasoningF1 = 0, distinct2 = 0;
    int blindCount = 0;
};

// Two sums over the same n samples into their means; with n == 0 the report keeps its
// defaults (NaN for the blind figures: "not measured").
void averagePair(double sumA, double sumB, int n, double& meanA, double& meanB)
{
    if (!n)
        return;
    meanA = sumA / n;
    meanB = sumB / n;
}

// Every generated text with its reference and F1 (EvalOptions::textsOut), one JSON line each.
class TextLog {
public:
    explicit TextLog(const std::string& path)
    {
        if (path.empty())
            return;
        out_.open(path, std::ios::trunc);
        if (!out_)
            throw std::runtime_error("cannot write " + path);
    }
    void operator()(int64_t id, const char* kind, const std::string& prompt, const std::string& ref, const std::string& out,
                    double f1)
    {
        if (out_.is_open())
            out_ << json{{"sample", id}, {"kind", kind}, {"prompt", prompt}, {"reference", ref}, {"output", out}, {"token_f1", f1}}
                        .dump(-1, ' ', false, json::error_handler_t::replace)
                 << "\n";
    }

private:
    std::ofstream out_;
};

// Greedy generation of one sample's caption, answers, reasoning and (blind) answers on a grey
// image, with the sample's image already set in the engine.
class TextScorer {
public:
    TextScorer(Engine& engine, const EvalOptions& o, EvalReport& rep)
        : engine_(engine), o_(o), rep_(rep), log_(o.textsOut),
          grey_(greyImage(static_cast<int>(engine.config().image_size)))
    {
        short_.maxNewTokens = 32;
        short_.alternatives = 0;
        reasoning_ = short_;
        reasoning_.maxNewTokens = 200;
        reasoning_.stopIds = {Tokenizer::kReasoningEnd};
    }

    void score(const data::Sample& s)
    {
        if (!s.caption.empty()) {
            const auto out = engine_.generate("", short_).text;
            t_.captionEm += exactMatch(out, s.caption);
            t_.captionF1 += tokenF1(out, s.caption);
            rep_.captionCount++;
            log_(s.id, "caption", "", s.caption, out, tokenF1(out, s.caption));
            standard_.addCaption(s, out);
        }
        answers(s, t_.answerEm, t_.answerF1, rep_.answerCount, "answer", false);
        if (!s.reasoning.empty() && !s.task.empty()) {
            const auto out = engine_.generate(reasoningPrompt(s.task), reasoning_).text;
            const double f1 = tokenF1(joinedSteps(data::parseReasoning(out)), joinedSteps(s.reasoning));
            t_.reasoningF1 += f1;
            log_(s.id, "reasoning", s.task, joinedSteps(s.reasoning), out, f1);
            t_.distinct2 += distinct2(out);
            rep_.reasoningCount++;
        }
        if (o_.blind && !s.qa.empty()) {
            engine_.setImage(grey_);
            answers(s, t_.blindEm, t_.blindF1, t_.blindCount, "blind_answer", true);
        }
    }

    void averageInto(EvalReport& rep) const
    {
        averagePair(t_.captionEm, t_.captionF1, rep.captionCount, rep.captionExactMatch, rep.captionTokenF1);
        averagePair(t_.answerEm, t_.answerF1, rep.answerCount, rep.answerExactMatch, rep.answerTokenF1);
        averagePair(t_.blindEm, t_.blindF1, t_.blindCount, rep.blindAnswerExactMatch, rep.blindAnswerTokenF1);
        averagePair(t_.reasoningF1, t_.distinct2, rep.reasoningCount, rep.reasoningTokenF1, rep.distinct2);
        const auto f = standard_.figures();
        rep.captionBleu4 = f.bleu4;
        rep.captionRougeL = f.rougeL;
        rep.captionCider = f.cider;
        rep.answerVqaAccuracy = f.vqaAccuracy;
        rep.blindAnswerVqaAccuracy = f.blindVqaAccuracy;
        standard_.writeCaptionResults(o_.captionResultsOut);
        standard_.writeAnswerResults(o_.answerResultsOut);
    }

private:
    // Every question/answer pair about the image now set, into (exact match, F1, count).
    void answers(const data::Sample& s, double& em, double& f1, int& count, const char* kind, bool blind)
    {
        for (size_t k = 0; k < s.qa.size(); ++k) {
            const auto& qa = s.qa[k];
            const auto out = engine_.generate(askPrompt({}, qa.question), short_).text;
            standard_.addAnswer(s, k, out, blind);
            em += exactMatch(out, qa.answer);
            f1 += tokenF1(out, qa.answer);
            ++count;
            log_(s.id, kind, qa.question, qa.answer, out, tokenF1(out, qa.answer));
        }
    }

    Engine& engine_;
    const EvalOptions& o_;
    EvalReport& rep_;
    TextLog log_;
    const PreparedImage grey_;
    GenerationOptions short_, reasoning_;
    TextTally t_;
    StandardTextTally standard_;
};

// Captions, answers (every pair) and reasoning text, greedy, on up to o.textSamples samples with an
// image; answers again on grey images when o.blind.
void textMetrics(data::Workspace& ws, const EvalOptions& o, EvalReport& rep, int64_t offset, int64_t total)
{
    Engine engine("cpu");
    engine.loadCheckpoint(o.checkpoint);
    TextScorer scorer(engine, o, rep);
    data::SampleQuery q;
    q.split = splitFilter(o.split);
    int done = 0;
    for (const auto& row : ws.query(q)) {
        if (done >= o.textSamples)
            break;
        auto s = ws.get(row.id);
        if (!s || s->image.id == 0)
            continue;
        try {
            engine.setImage(engine.loadImage(ws.absolutePath(s->image.path)));
        } catch (const std::exception&) {
            continue;
        }
        ++done;
        scorer.score(*s);
        if (o.progress && !o.progress(offset + done, total))
            throw std::runtime_error("evaluation cancelled");
    }
    scorer.averageInto(rep);
}

// The selection figures gathered sample by sample.
struct SelectionTally {
    std::vector<int> truth, predicted;
    std::vector<double> confidence;
    double scoreSum = 0;
    int64_t scoreCount = 0, early = 0;
    std::vector<long long> byStepCount, byStepCorrect;
};

SampleResult sampleResult(int64_t id, std::vector<int> truth, const std::vector<ChainStep>& steps, double threshold, int64_t S)
{
    const auto trace = applyThreshold(steps, threshold, static_cast<int>(S));
    SampleResult sr;
    sr.sampleId = id;
    sr.truth = std::move(truth);
    sr.predicted = trace.answer;
    sr.confidence = trace.answerProbs[trace.answer];
    sr.probs.assign(trace.answerProbs.begin(), trace.answerProbs.end());
    double loss = 0;
    for (int r : sr.truth)
        loss -= std::log(std::max(1e-12, static_cast<double>(trace.answerProbs[r]))) / sr.truth.size();
    sr.loss = loss;
    sr.acceptedSteps = trace.lastAccepted + 1;
    sr.stoppedEarly = static_cast<int64_t>(trace.steps.size()) < S || !trace.steps.back().accepted;
    return sr;
}

void tally(SelectionTally& t, const SampleResult& sr, const std::vector<ChainStep>& steps)
{
    for (size_t k = 1; k < steps.size(); ++k) {
        t.scoreSum += steps[k].score;
        ++t.scoreCount;
    }
    const bool hit = hits(sr.truth, sr.predicted);
    t.truth.push_back(hit ? sr.predicted : sr.truth.front());
    t.predicted.push_back(sr.predicted);
    t.confidence.push_back(sr.confidence);
    t.early += sr.stoppedEarly;
    t.byStepCount[sr.acceptedSteps]++;
    t.byStepCorrect[sr.acceptedSteps] += hit;
}

data::BatchOptions selectionBatches(const EvalOptions& o, const ModelConfig& mc)
{
    data::BatchOptions bo;
    bo.stage = data::Stage::Selection;
    bo.batchSize = o.batchSize;
    bo.shuffle = false;
    bo.imageSize = static_cast<int>(mc.image_size);
    bo.maxTokens = 256;
    bo.filter = data::SampleQuery{};
    bo.filter.split = splitFilter(o.split);
    return bo;
}

// Every labelled sample's chain (and, with o.blind, its prediction on a grey image); the number of
// progress ticks it takes. No labelled samples: nothing, 0.
int64_t selectionPasses(data::Workspace& ws, EmberVLM& model, const EvalOptions& o, double threshold, EvalReport& rep,
                        SelectionTally& t)
{
    const auto& mc = model->cfg;
    const int64_t S = mc.max_reasoning_steps;
    const auto decided = imageDecidedIds(ws);
    int64_t n = 0;
    try {
        data::BatchBuilder batches(ws, selectionBatches(o, mc));
        n = batches.batchesPerEpoch() * (o.blind ? 2 : 1);
        const int64_t total = n + std::max(0, o.textSamples);
        int64_t ticks = 0;
        auto tick = [&] { return !o.progress || o.progress(++ticks, total); };
        runSelection(model, batches, {}, [&](int64_t id, std::vector<int> truth, const std::vector<ChainStep>& steps) {
            SampleResult sr = sampleResult(id, std::move(truth), steps, threshold, S);
            sr.imageDecided = decided.count(id) > 0;
            tally(t, sr, steps);
            rep.samples.push_back(std::move(sr));
        }, tick);
        if (o.blind) {
            const auto g = greyImage(static_cast<int>(mc.image_size));
            auto grey = torch::from_blob(const_cast<float*>(g.chw.data()), {3, mc.image_size, mc.image_size}, torch::kFloat32).clone();
            batches.seek(0, 0);
            size_t k = 0;
            runSelection(model, batches, grey, [&](int64_t, std::vector<int>, const std::vector<ChainStep>& steps) {
                if (k < rep.samples.size())
                    rep.samples[k++].blindPredicted = applyThreshold(steps, threshold, static_cast<int>(S)).answer;
            }, tick);
        }
    } catch (const std::invalid_argument&) {
        // No labelled samples in this split: the selection figures stay empty.
    }
    return n;
}

void summariseSelection(const SelectionTally& t, int64_t S, int robots, EvalReport& rep)
{
    rep.selection = classificationReport(t.truth, t.predicted, t.confidence, robots);
    rep.meanStepConsistency = t.scoreCount ? t.scoreSum / t.scoreCount : 0.0;
    rep.earlyStopRate = rep.samples.empty() ? 0.0 : double(t.early) / rep.samples.size();
    rep.countByAcceptedSteps = t.byStepCount;
    for (int64_t k = 0; k <= S; ++k)
        rep.accuracyByAcceptedSteps.push_back(t.byStepCount[k] ? double(t.byStepCorrect[k]) / t.byStepCount[k]
                                                               : std::numeric_limits<double>::quiet_NaN());
}

// What the image contributes: accuracy on grey images, overall and on the image-decided samples.
void blindFigures(bool blind, EvalReport& rep)
{
    long long blindHits = 0, decidedHits = 0, decidedBlindHits = 0;
    for (const auto& sr : rep.samples) {
        blindHits += hits(sr.truth, sr.blindPredicted);
        if (sr.imageDecided) {
            ++rep.imageDecidedCount;
            decidedHits += hits(sr.truth, sr.predicted);
            decidedBlindHits += hits(sr.truth, sr.blindPredicted);
        }
    }
    const bool blindRun = blind && !rep.samples.empty();
    if (blindRun)
        rep.blindAccuracy = double(blindHits) / rep.samples.size();
    if (rep.imageDecidedCount) {
        rep.imageDecidedAccuracy = double(decidedHits) / rep.imageDecidedCount;
        if (blindRun)
            rep.imageDecidedBlindAccuracy = double(decidedBlindHits) / rep.imageDecidedCount;
    }
}

// The evaluation as a finished stage-0 run, its report in the notes and its figures as metrics.
void recordEvaluation(data::Workspace& ws, const EvalOptions& o, double threshold, EvalReport& rep)
{
    data::RunInfo run;
    run.name = "eval " + o.checkpoint.substr(o.checkpoint.find_last_of('/') + 1) + " on " + o.split;
    run.stage = 0;
    run.config = json{{"kind", "eval"}, {"checkpoint", o.checkpoint}, {"split", o.split}, {"threshold", threshold}}.dump();
    run.status = data::RunStatus::Finished;
    run.started = data::nowMs();
    run.finished = run.started;
    ws.createRun(run);
    rep.runId = run.id;
    run.notes = rep.toJson(true);
    ws.updateRun(run);
    ws.addMetrics(run.id, 0,
                  {{"eval/accuracy", rep.selection.accuracy}, {"eval/macro_f1", rep.selection.macroF1},
                   {"eval/ece", rep.selection.ece}, {"eval/mean_step_consistency", rep.meanStepConsistency},
                   {"eval/early_stop_rate", rep.earlyStopRate}, {"eval/caption_token_f1", rep.captionTokenF1},
                   {"eval/answer_token_f1", rep.answerTokenF1}, {"eval/answer_exact_match", rep.answerExactMatch},
                   {"eval/reasoning_token_f1", rep.reasoningTokenF1}, {"eval/distinct_2", rep.distinct2}});
    for (const auto& [name, value] : {std::pair{"eval/blind_accuracy", rep.blindAccuracy},
                                      std::pair{"eval/image_decided_accuracy", rep.imageDecidedAccuracy},
                                      std::pair{"eval/image_decided_blind_accuracy", rep.imageDecidedBlindAccuracy}})
        if (!std::isnan(value))
            ws.addMetrics(run.id, 0, {{name, value}});
}

} // namespace

EvalReport evaluateCheckpoint(const EvalOptions& o)
{
    const auto t0 = std::chrono::steady_clock::now();
    EvalReport rep;
    rep.checkpoint = o.checkpoint;
    rep.split = o.split;
    auto ws = data::Workspace::open(o.workspaceDir, data::Workspace::Mode::Existing);
    EmberVLM model = loadCheckpointFile(o.checkpoint);
    model->eval();
    const auto& mc = model->cfg;
    rep.labels = mc.robot_labels;
    const double threshold = o.threshold >= 0 ? o.threshold : mc.consistency_threshold;
    const int64_t S = mc.max_reasoning_steps;

    SelectionTally t;
    t.byStepCount.assign(S + 1, 0);
    t.byStepCorrect.assign(S + 1, 0);
    const int64_t selectionTicks = selectionPasses(ws, model, o, threshold, rep, t);
    summariseSelection(t, S, static_cast<int>(mc.num_robots), rep);
    blindFigures(o.blind, rep);
    if (o.textSamples > 0)
        textMetrics(ws, o, rep, selectionTicks, selectionTicks + o.textSamples);
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (o.record && !ws.readOnly())   // a read-only workspace is evaluated, not written
        recordEvaluation(ws, o, threshold, rep);
    return rep;
}

} // namespace ember::train
