#include "evaluate.h"

#include "batches.h"
#include "checkpoint.h"
#include "engine.h"
#include "split_filter.h"
#include "stage_loss.h"
#include "workspace.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ember::train {

using nlohmann::json;

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
           {"captions", {{"count", captionCount}, {"exact_match", captionExactMatch}, {"token_f1", captionTokenF1}}},
           {"answers", {{"count", answerCount}, {"exact_match", answerExactMatch}, {"token_f1", answerTokenF1}}},
           {"run", runId},
           {"seconds", seconds}};
    if (withSamples) {
        json s = json::array();
        for (const auto& x : samples)
            s.push_back({{"id", x.sampleId}, {"truth", x.truth}, {"predicted", x.predicted}, {"confidence", x.confidence},
                         {"loss", x.loss}, {"accepted_steps", x.acceptedSteps}, {"probs", x.probs}});
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
    std::snprintf(buf, sizeof buf, "captions: %d, exact match %.4f, token F1 %.4f\nanswers: %d, exact match %.4f, token F1 %.4f\n",
                  captionCount, captionExactMatch, captionTokenF1, answerCount, answerExactMatch, answerTokenF1);
    o << buf;
    return o.str();
}

EvalReport evaluateCheckpoint(const EvalOptions& o)
{
    const auto t0 = std::chrono::steady_clock::now();
    EvalReport rep;
    rep.checkpoint = o.checkpoint;
    rep.split = o.split;
    auto ws = data::Workspace::open(o.workspaceDir);
    CheckpointMeta meta;
    EmberVLM model = loadCheckpointFile(o.checkpoint, &meta);
    model->eval();
    const auto& mc = model->cfg;
    rep.labels = mc.robot_labels;
    const double threshold = o.threshold >= 0 ? o.threshold : mc.consistency_threshold;
    const int64_t S = mc.max_reasoning_steps;

    data::BatchOptions bo;
    bo.stage = data::Stage::Selection;
    bo.batchSize = o.batchSize;
    bo.shuffle = false;
    bo.imageSize = static_cast<int>(mc.image_size);
    bo.maxTokens = 256;
    bo.filter = data::SampleQuery{};
    bo.filter.split = splitFilter(o.split);
    std::vector<int> truth, predicted;
    std::vector<double> confidence;
    double scoreSum = 0;
    int64_t scoreCount = 0, early = 0;
    std::vector<long long> byStepCount(S + 1, 0), byStepCorrect(S + 1, 0);
    try {
        data::BatchBuilder batches(ws, bo);
        const int64_t n = batches.batchesPerEpoch();
        torch::NoGradGuard ng;
        for (int64_t bi = 0; bi < n; ++bi) {
            auto b = batches.next();
            const int64_t B = b.inputIds.size(0);
            auto vis = model->visualTokens(model->visionMap(b.images));
            const int64_t G = vis.size(1);
            auto h = model->language_model->forward(torch::cat({vis, model->language_model->embed(b.inputIds)}, 1), nullptr,
                                                    sequenceMask(b, G));
            auto hA = answerStates(h, b, G);
            auto chain = model->reasoning->run(hA, -1.0, S);   // whole chain; the threshold is applied per sample
            for (int64_t i = 0; i < B; ++i) {
                std::vector<ChainStep> steps;
                for (size_t k = 0; k < chain.steps.size(); ++k) {
                    ChainStep c;
                    c.hasScore = k > 0;
                    if (k > 0) {
                        c.score = chain.scores[k][i].item<float>();
                        scoreSum += c.score;
                        ++scoreCount;
                    }
                    auto p = torch::softmax(chain.answerLogits[k][i], -1).contiguous();
                    c.answerProbs.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
                    steps.push_back(std::move(c));
                }
                const auto trace = applyThreshold(steps, threshold, static_cast<int>(S));
                SampleResult sr;
                sr.sampleId = b.sampleIds[i].item<int64_t>();
                for (int r = 0; r < mc.num_robots; ++r)
                    if (b.robotTargets[i][r].item<float>() > 0)
                        sr.truth.push_back(r);
                sr.predicted = trace.answer;
                sr.confidence = trace.answerProbs[trace.answer];
                sr.probs.assign(trace.answerProbs.begin(), trace.answerProbs.end());
                double loss = 0;
                for (int r : sr.truth)
                    loss -= std::log(std::max(1e-12, static_cast<double>(trace.answerProbs[r]))) / sr.truth.size();
                sr.loss = loss;
                sr.acceptedSteps = trace.lastAccepted + 1;
                sr.stoppedEarly = static_cast<int64_t>(trace.steps.size()) < S || !trace.steps.back().accepted;
                const bool hit = std::find(sr.truth.begin(), sr.truth.end(), sr.predicted) != sr.truth.end();
                truth.push_back(hit ? sr.predicted : sr.truth.front());
                predicted.push_back(sr.predicted);
                confidence.push_back(sr.confidence);
                early += sr.stoppedEarly;
                byStepCount[sr.acceptedSteps]++;
                byStepCorrect[sr.acceptedSteps] += hit;
                rep.samples.push_back(std::move(sr));
            }
            if (o.progress && !o.progress(bi + 1, n))
                throw std::runtime_error("evaluation cancelled");
        }
    } catch (const std::invalid_argument&) {
        // No labelled samples in this split: the selection figures stay empty.
    }
    rep.selection = classificationReport(truth, predicted, confidence, static_cast<int>(mc.num_robots));
    rep.meanStepConsistency = scoreCount ? scoreSum / scoreCount : 0.0;
    rep.earlyStopRate = rep.samples.empty() ? 0.0 : double(early) / rep.samples.size();
    rep.countByAcceptedSteps = byStepCount;
    for (int64_t k = 0; k <= S; ++k)
        rep.accuracyByAcceptedSteps.push_back(byStepCount[k] ? double(byStepCorrect[k]) / byStepCount[k]
                                                             : std::numeric_limits<double>::quiet_NaN());

    // Captions and answers: greedy generation on a few samples with images.
    if (o.textSamples > 0) {
        Engine engine("cpu");
        engine.loadCheckpoint(o.checkpoint);
        data::SampleQuery q;
        q.split = splitFilter(o.split);
        q.limit = o.textSamples;
        GenerationOptions g;
        g.maxNewTokens = 32;
        g.alternatives = 0;
        double cem = 0, cf1 = 0, aem = 0, af1 = 0;
        for (const auto& row : ws.query(q)) {
            auto s = ws.get(row.id);
            if (!s || s->image.id == 0)
                continue;
            try {
                engine.setImage(engine.loadImage(ws.absolutePath(s->image.path)));
            } catch (const std::exception&) {
                continue;
            }
            if (!s->caption.empty()) {
                const auto out = engine.generate("", g).text;
                cem += exactMatch(out, s->caption);
                cf1 += tokenF1(out, s->caption);
                rep.captionCount++;
            }
            if (!s->qa.empty()) {
                const auto out = engine.generate(askPrompt({}, s->qa[0].question), g).text;
                aem += exactMatch(out, s->qa[0].answer);
                af1 += tokenF1(out, s->qa[0].answer);
                rep.answerCount++;
            }
        }
        if (rep.captionCount) {
            rep.captionExactMatch = cem / rep.captionCount;
            rep.captionTokenF1 = cf1 / rep.captionCount;
        }
        if (rep.answerCount) {
            rep.answerExactMatch = aem / rep.answerCount;
            rep.answerTokenF1 = af1 / rep.answerCount;
        }
    }
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    if (o.record) {
        data::RunInfo run;
        run.name = "eval " + o.checkpoint.substr(o.checkpoint.find_last_of('/') + 1) + " on " + o.split;
        run.stage = 0;
        run.config = json{{"kind", "eval"}, {"checkpoint", o.checkpoint}, {"split", o.split}, {"threshold", threshold}}.dump();
        run.status = "finished";
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
                       {"eval/answer_token_f1", rep.answerTokenF1}});
    }
    return rep;
}

} // namespace ember::train
