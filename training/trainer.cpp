#include "trainer.h"

#include "fused_ops.h"

#include "batches.h"
#include "atomic_file.h"
#include "checkpoint.h"
#include "distributed.h"
#include "runtime.h"
#include "schedule.h"
#include "split_filter.h"
#include "stage_loss.h"
#include "teacher_file.h"
#include "workspace.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace ember::train {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string runDirectory(const std::string& workspaceDir, int64_t runId)
{
    return workspaceDir + "/runs/run-" + std::to_string(runId);
}

namespace {

// "ckpt-<step>.safetensors" or "best.safetensors": a plain file name inside the run's folder.
bool isCheckpointName(const std::string& n)
{
    if (n == "best.safetensors") return true;
    const std::string pre = "ckpt-", suf = ".safetensors";
    if (n.size() <= pre.size() + suf.size() || n.compare(0, pre.size(), pre) || n.compare(n.size() - suf.size(), suf.size(), suf))
        return false;
    const std::string digits = n.substr(pre.size(), n.size() - pre.size() - suf.size());
    return digits.size() <= 18 && std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Optimizer steps, data position and the stage-1 temperature: what a resume needs beyond weights.
struct RunState {
    int64_t step = 0;                 // optimizer steps done
    int64_t epoch = 0, index = 0;     // next batch
    double logitScaleLog = std::log(1.0 / 0.07);
    double bestLoss = std::numeric_limits<double>::infinity();
    std::string last, best;           // checkpoint file names inside the run directory
    json toJson() const
    {
        return {{"step", step}, {"epoch", epoch}, {"index", index}, {"logit_scale_log", logitScaleLog},
                {"best_loss", std::isfinite(bestLoss) ? json(bestLoss) : json(nullptr)}, {"last", last}, {"best", best}};
    }
    static RunState fromJson(const json& j)
    {
        RunState s;
        s.step = j.at("step");
        s.epoch = j.at("epoch");
        s.index = j.at("index");
        s.logitScaleLog = j.at("logit_scale_log");
        s.bestLoss = j.at("best_loss").is_null() ? std::numeric_limits<double>::infinity() : j.at("best_loss").get<double>();
        s.last = j.value("last", "");
        s.best = j.value("best", "");
        // The names come from a file anyone could edit: only this run's own checkpoint names are
        // loaded (and later deleted), never a path that leads elsewhere.
        for (const std::string* name : {&s.last, &s.best})
            if (!name->empty() && !isCheckpointName(*name))
                throw std::runtime_error("state.json names '" + *name + "', which is not a checkpoint of this run; refused");
        return s;
    }
};

// A torch archive written to memory first: torch::save straight to a file aborts the process
// (an exception from a destructor) when the disk fills; writeFileAtomic reports it instead.
template <typename T>
std::string serialized(const T& value)
{
    std::ostringstream os;
    torch::save(value, os);
    return os.str();
}

bool startsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

std::string partOf(const std::string& name)
{
    for (const char* p : {"vision", "projection", "language_model", "reasoning"})
        if (startsWith(name, std::string(p) + "."))
            return p;
    return "";
}

class Emitter {
public:
    explicit Emitter(std::function<void(const std::string&)> f) : f_(std::move(f)), log_(std::make_shared<std::ofstream>()) {}
    void operator()(json j) const
    {
        const auto line = j.dump();
        if (log_->is_open())
            *log_ << line << std::endl;   // flushed: the log must hold what a killed run did
        if (f_)
            f_(line);
        else
            std::cout << line << std::endl;
    }
    // From now on every line is also appended to this file (the run's train.log; a resumed run
    // continues it).
    // Shared by the copies the loop's helpers hold.
    void logTo(const std::string& path) { log_->open(path, std::ios::app); }

private:
    std::function<void(const std::string&)> f_;
    std::shared_ptr<std::ofstream> log_;
};

} // namespace

TrainResult runTraining(const TrainerOptions& o)
{
    const auto t0 = Clock::now();
    TrainConfig cfg = o.config;
    cfg.validate();
    const bool lead = o.rank == 0;
    Emitter emit(lead ? o.progress : [](const std::string&) {});
    auto ws = data::Workspace::open(o.workspaceDir, data::Workspace::Mode::Existing);

    // --- the run record ----------------------------------------------------------------
    data::RunInfo run;
    RunState state;
    std::string dir;
    if (o.resumeRunId) {
        auto existing = ws.run(o.resumeRunId);
        if (!existing)
            throw std::runtime_error("no run " + std::to_string(o.resumeRunId) + " in " + o.workspaceDir);
        run = *existing;
        cfg = TrainConfig();
        cfg.applyJson(run.config);   // a resumed run keeps its own configuration
        dir = runDirectory(o.workspaceDir, run.id);
        std::ifstream in(dir + "/state.json");
        if (in) {
            state = RunState::fromJson(json::parse(in));
        }
    } else {
        run.name = o.runName.empty() ? "stage " + std::to_string(cfg.stage) : o.runName;
        run.stage = cfg.stage;
        run.config = cfg.toJson();
        run.seed = static_cast<int64_t>(cfg.seed);
        if (lead)
            ws.createRun(run);
        dir = runDirectory(o.workspaceDir, run.id);
    }
    if (lead)
        fs::create_directories(dir);
    // A set-up error below (unreadable checkpoint, no data, teacher file) must not leave the new
    // record looking like a run that never ended.
    struct SetupGuard {
        data::Workspace& ws;
        data::RunInfo& run;
        bool lead;
        bool done = false;
        ~SetupGuard()
        {
            if (done || !lead || !run.id)
                return;
            try {
                run.status = "failed";
                run.finished = data::nowMs();
                run.notes = "set-up failed before the first step (see the trainer's message)";
                ws.updateRun(run);
            } catch (...) {
            }
        }
    } setupGuard{ws, run, lead};

    // --- model, teacher, optimizer --------------------------------------------------------
    EmberVLM model{nullptr};
    if (!state.last.empty()) {
        model = loadCheckpointFile(dir + "/" + state.last);
    } else if (!cfg.init_checkpoint.empty()) {
        model = loadCheckpointFile(cfg.init_checkpoint);
    } else {
        ModelConfig mc = ModelConfig::preset_named(cfg.preset);
        if (!cfg.model_overrides.empty())
            mc.applyOverrides(cfg.model_overrides);
        model = EmberVLM(mc);
        initWeights(*model, cfg.seed);
    }
    EmberVLM teacher{nullptr};
    if (cfg.stage == 2 && !cfg.teacher_checkpoint.empty()) {
        teacher = loadCheckpointFile(cfg.teacher_checkpoint);
        teacher->eval();
        for (auto& p : teacher->parameters())
            p.set_requires_grad(false);
    }
    std::unique_ptr<TeacherFile> teacherFile;
    if (cfg.stage == 2 && !cfg.teacher_logits.empty())
        teacherFile = std::make_unique<TeacherFile>(TeacherFile::load(cfg.teacher_logits, ws));
    auto logitScale = torch::tensor(state.logitScaleLog, torch::kFloat32).requires_grad_(cfg.stage == 1);

    std::unique_ptr<DataParallel> dp;
    if (o.worldSize > 1) {
        dp = std::make_unique<DataParallel>(o.worldSize, o.rank, o.master);
        std::vector<torch::Tensor> all;
        for (auto& [name, t] : stateDict(*model))
            all.push_back(t);
        dp->broadcast(all);   // every rank starts from rank 0's weights
    }

    // --- data ------------------------------------------------------------------------------
    const auto stageKind = static_cast<data::Stage>(cfg.stage);
    data::BatchOptions bo;
    bo.stage = stageKind;
    bo.batchSize = cfg.batch_size * std::max(1, o.worldSize);   // one global batch, sliced per rank
    bo.seed = cfg.seed;
    bo.imageSize = cfg.image_size ? cfg.image_size : static_cast<int>(model->cfg.image_size);
    bo.maxTokens = cfg.max_tokens;
    bo.shuffle = true;
    bo.dropLast = o.worldSize > 1;   // every rank needs a slice of every global batch
    bo.filter = data::SampleQuery{};
    bo.filter.split = splitFilter(cfg.split);
    data::BatchBuilder batches(ws, bo);
    if (batches.sampleCount() == 0)
        throw std::runtime_error("no samples in split '" + cfg.split + "' have what stage " + std::to_string(cfg.stage) +
                                 " needs (" + (cfg.stage == 1 ? "an image and a caption" : cfg.stage == 2 ? "question/answer pairs"
                                                                   : cfg.stage == 3 ? "robot labels" : "robot labels and reasoning steps") +
                                 ")");
    const int64_t perEpoch = std::max<int64_t>(1, batches.batchesPerEpoch() / cfg.accumulation);
    const int64_t total = cfg.max_steps > 0 ? cfg.max_steps : perEpoch * cfg.epochs;
    if (state.step > 0 || state.index > 0 || state.epoch > 0)
        batches.seek(state.epoch, state.index);
    const Schedule schedule{cfg.lr, std::min(cfg.warmup_steps, total / 2), total, cfg.min_lr_ratio};

    // The auxiliary scene classifier: trained with the vision tower, never part of the model's
    // checkpoint (it lives beside it as ckpt-STEP.scene.pt, for resuming).
    torch::nn::Linear sceneHead{nullptr};
    std::vector<int64_t> sceneClasses;
    const auto frozenLater = cfg.frozenParts(cfg.stage == 4 ? 2 : 0);
    const bool visionTrains = std::find(frozenLater.begin(), frozenLater.end(), "vision") == frozenLater.end();
    if (cfg.scene_weight > 0 && visionTrains && !batches.sceneVocabulary().empty()) {
        int64_t total = 0;
        for (const auto& v : batches.sceneVocabulary().values) {
            sceneClasses.push_back(static_cast<int64_t>(v.size()));
            total += static_cast<int64_t>(v.size());
        }
        torch::manual_seed(cfg.seed * 31 + 7);
        sceneHead = torch::nn::Linear(model->cfg.visionDim(), total);
        if (!state.last.empty()) {
            const std::string scenePath = dir + "/" + state.last.substr(0, state.last.find('.')) + ".scene.pt";
            if (fs::exists(scenePath))
                torch::load(sceneHead, scenePath);
        }
    }

    // Per-group learning rates; no weight decay on biases and normalisation weights.
    struct Group {
        std::string part;
        bool decay;
        double scale;
    };
    std::vector<Group> groups;
    std::vector<torch::optim::OptimizerParamGroup> paramGroups;
    std::vector<torch::Tensor> allTrainable;
    for (const char* part : {"vision", "projection", "language_model", "reasoning"}) {
        for (bool decay : {true, false}) {
            std::vector<torch::Tensor> ps;
            for (auto& [name, t] : stateDict(*model))
                if (partOf(name) == part && t.is_floating_point() && t.requires_grad() == true &&
                    name.find("running_") == std::string::npos && (t.dim() >= 2) == decay)
                    ps.push_back(t);
            if (ps.empty())
                continue;
            const double scale = std::string(part) == "vision"       ? (cfg.stage == 1 && !cfg.alignment_trains_vision ? 0.0 : cfg.vision_lr_scale)
                                 : std::string(part) == "projection" ? cfg.projection_lr_scale
                                                                     : 1.0;
            auto opts = std::make_unique<torch::optim::AdamWOptions>(cfg.lr * scale);
            opts->weight_decay(decay ? cfg.weight_decay : 0.0);
            paramGroups.emplace_back(ps, std::move(opts));
            groups.push_back({part, decay, scale});
            allTrainable.insert(allTrainable.end(), ps.begin(), ps.end());
        }
    }
    if (sceneHead) {
        auto opts = std::make_unique<torch::optim::AdamWOptions>(cfg.lr);
        opts->weight_decay(0.0);
        paramGroups.emplace_back(sceneHead->parameters(), std::move(opts));
        groups.push_back({"scene", false, 1.0});
        for (auto& p : sceneHead->parameters())
            allTrainable.push_back(p);
    }
    if (cfg.stage == 1) {
        auto opts = std::make_unique<torch::optim::AdamWOptions>(cfg.lr);
        opts->weight_decay(0.0);
        paramGroups.emplace_back(std::vector<torch::Tensor>{logitScale}, std::move(opts));
        groups.push_back({"temperature", false, 1.0});
        allTrainable.push_back(logitScale);
    }
    FusedAdamW optimizer(paramGroups, torch::optim::AdamWOptions(cfg.lr));
    if (!state.last.empty()) {
        const std::string optPath = dir + "/" + state.last.substr(0, state.last.find('.')) + ".optim.pt";
        torch::load(optimizer, optPath);
    }

    StageLoss stageLoss(*model, cfg, teacher ? teacher.get() : nullptr, logitScale, teacherFile.get());
    // Rehearsal (text_mix): one batch of each earlier kind of text per micro-batch, its own data
    // order, its position a function of the step (so a resumed run sees the same batches).
    struct Mix {
        std::string kind;
        std::unique_ptr<TrainConfig> cfg;
        std::unique_ptr<data::BatchBuilder> batches;
        std::unique_ptr<StageLoss> loss;
    };
    std::vector<Mix> mixes;
    for (const auto& kind : cfg.text_mix) {
        Mix m;
        m.kind = kind;
        m.cfg = std::make_unique<TrainConfig>(cfg);
        auto& mc = *m.cfg;
        mc.stage = kind == "caption" ? 1 : kind == "answer" ? 2 : 4;
        mc.contrastive_weight = 0;
        mc.caption_weight = 1;
        mc.sft_weight = 1;
        mc.answer_weight = 0;
        mc.consistency_weight = 0;
        mc.reasoning_text_weight = 1;
        mc.scene_weight = 0;
        data::BatchOptions mo = bo;
        mo.stage = static_cast<data::Stage>(mc.stage);
        mo.batchSize = (cfg.text_mix_batch_size ? cfg.text_mix_batch_size : std::max(1, cfg.batch_size / 2)) * std::max(1, o.worldSize);
        mo.seed = cfg.seed * 7919 + static_cast<uint64_t>(mc.stage);
        m.batches = std::make_unique<data::BatchBuilder>(ws, mo);
        const int64_t drawn = state.step * cfg.accumulation, per = m.batches->batchesPerEpoch();
        if (drawn > 0)
            m.batches->seek(drawn / per, drawn % per);
        m.loss = std::make_unique<StageLoss>(*model, mc, nullptr, logitScale, nullptr);
        mixes.push_back(std::move(m));
    }
    if (sceneHead)
        stageLoss.setSceneHead(sceneHead, sceneClasses);
    int64_t vocabulary = model->cfg.vocab_size;
    if (cfg.lm_vocab == "workspace") {
        const auto ids = data::tokenVocabulary(ws, bo.filter);
        vocabulary = static_cast<int64_t>(ids.size());
        stageLoss.setVocabulary(ids);
        for (auto& m : mixes)
            m.loss->setVocabulary(ids);
    }

    setupGuard.done = true;
    run.status = "running";
    if (!run.started)
        run.started = data::nowMs();
    if (lead)
        ws.updateRun(run);
    if (lead)
        emit.logTo(dir + "/train.log");
    emit({{"event", "started"}, {"run", run.id}, {"stage", cfg.stage}, {"total_steps", total},
          {"start_step", state.step}, {"samples", batches.sampleCount()}, {"lm_vocabulary", vocabulary}, {"dir", dir}});

    TrainResult result;
    result.runId = run.id;

    auto saveCheckpoint = [&](bool best) {
        const std::string stem = "ckpt-" + std::to_string(state.step);
        const std::string name = stem + ".safetensors";
        const std::string previous = state.last;
        // A failure (a full disk) removes this step's files again and leaves the previous
        // checkpoint as the run's last: nothing half-written stays behind.
        try {
            saveCheckpointFile(dir + "/" + name, *model,
                               {{"trained", "true"}, {"stage", std::to_string(cfg.stage)}, {"run", std::to_string(run.id)},
                                {"step", std::to_string(state.step)}});
            writeFileAtomic(dir + "/" + stem + ".optim.pt", serialized(optimizer));
            if (sceneHead)
                writeFileAtomic(dir + "/" + stem + ".scene.pt", serialized(sceneHead));
            state.last = name;
            if (best) {
                // The best weights get their own file so that "last" can move on.
                saveCheckpointFile(dir + "/best.safetensors", *model,
                                   {{"trained", "true"}, {"stage", std::to_string(cfg.stage)}, {"run", std::to_string(run.id)},
                                    {"step", std::to_string(state.step)}});
                state.best = "best.safetensors";
            }
            // The state file names the new checkpoint only once it is complete on disk.
            writeFileAtomic(dir + "/state.json", state.toJson().dump(2));
        } catch (...) {
            state.last = previous;
            if (name != previous) {
                std::error_code ec;
                for (const char* ext : {".safetensors", ".optim.pt", ".scene.pt"})
                    fs::remove(dir + "/" + stem + ext, ec);
            }
            throw;
        }
        if (!previous.empty() && previous != name) {
            std::error_code ec;
            fs::remove(dir + "/" + previous, ec);
            fs::remove(dir + "/" + previous.substr(0, previous.find('.')) + ".optim.pt", ec);
            fs::remove(dir + "/" + previous.substr(0, previous.find('.')) + ".scene.pt", ec);
        }
        data::CheckpointInfo ci;
        ci.runId = run.id;
        ci.step = state.step;
        ci.path = fs::relative(dir + "/" + (best ? "best.safetensors" : name), o.workspaceDir).string();
        ci.isBest = best;
        ci.metrics = json{{"best_loss", std::isfinite(state.bestLoss) ? json(state.bestLoss) : json(nullptr)}}.dump();
        ws.addCheckpoint(ci);
        emit({{"event", "checkpoint"}, {"step", state.step}, {"path", dir + "/" + name}, {"best", best}});
    };

    // Validation loss on the eval split (first eval_batches batches, no shuffling).
    std::unique_ptr<data::BatchBuilder> valBatches;
    {
        data::BatchOptions vo = bo;
        vo.batchSize = cfg.batch_size;
        vo.shuffle = false;
        vo.filter = data::SampleQuery{};
        if (cfg.eval_split != "none") {
            vo.filter.split = splitFilter(cfg.eval_split);
            try {
                auto vb = std::make_unique<data::BatchBuilder>(ws, vo);
                if (vb->sampleCount() > 0)
                    valBatches = std::move(vb);
            } catch (const std::exception&) {
            }
        }
    }
    auto validate = [&](int phase, bool frozenVision) -> double {
        if (!valBatches)
            return std::numeric_limits<double>::quiet_NaN();
        torch::NoGradGuard ng;
        model->eval();
        valBatches->seek(0, 0);
        double sum = 0;
        int64_t n = 0, answered = 0, correct = 0;
        std::map<std::string, double> parts;
        const int64_t count = std::min<int64_t>(cfg.eval_batches, valBatches->batchesPerEpoch());
        for (int64_t i = 0; i < count; ++i) {
            auto r = stageLoss.compute(valBatches->next(), phase, frozenVision);
            sum += r.loss.item<double>();
            for (auto& [k, v] : r.parts)
                parts[k] += v;
            answered += r.answered;
            correct += r.correct;
            ++n;
        }
        if (n == 0)
            return std::numeric_limits<double>::quiet_NaN();
        const double loss = sum / n;
        std::vector<std::pair<std::string, double>> values{{"val/loss", loss}};
        json j{{"event", "eval"}, {"step", state.step}, {"loss", loss}};
        for (auto& [k, v] : parts) {
            values.emplace_back("val/" + k, v / std::max<int64_t>(1, n));
            j["parts"][k] = v / std::max<int64_t>(1, n);
        }
        if (answered) {
            values.emplace_back("val/accuracy", double(correct) / answered);
            j["accuracy"] = double(correct) / answered;
        }
        if (lead && o.recordMetrics)
            ws.addMetrics(run.id, state.step, values);
        emit(j);
        return loss;
    };

    auto setPhase = [&](int phase) {
        const auto frozen = cfg.frozenParts(phase);
        for (auto& [name, t] : stateDict(*model)) {
            if (!t.is_floating_point() || name.find("running_") != std::string::npos)
                continue;
            const bool freeze = std::find(frozen.begin(), frozen.end(), partOf(name)) != frozen.end();
            t.set_requires_grad(!freeze);
            if (freeze && t.grad().defined())
                t.mutable_grad().reset();
        }
        model->train();
        if (std::find(frozen.begin(), frozen.end(), "vision") != frozen.end())
            model->vision->eval();   // frozen BatchNorm keeps its statistics
        return std::find(frozen.begin(), frozen.end(), "vision") != frozen.end();
    };

    // This rank's slice of a global batch; false when the slice is empty.
    auto sliceForRank = [&](data::Batch& batch) {
        if (o.worldSize <= 1)
            return true;
        const int64_t B = batch.inputIds.size(0), per = (B + o.worldSize - 1) / o.worldSize;
        const int64_t from = std::min<int64_t>(B, per * o.rank), len = std::min<int64_t>(per, B - from);
        if (len <= 0)
            return false;
        for (torch::Tensor* t : {&batch.images, &batch.hasImage, &batch.inputIds, &batch.attentionMask, &batch.lossMask,
                                 &batch.robotTargets, &batch.reasoningSteps, &batch.sampleIds, &batch.qaIndex,
                                 &batch.sceneTargets})
            *t = t->narrow(0, from, len);
        return true;
    };

    // --- the loop ------------------------------------------------------------------------
    double lastLoss = 0;
    auto tLoop = Clock::now();
    const int64_t startStep = state.step;
    try {
        while (state.step < total) {
            if (o.stop && o.stop->load()) {
                if (lead) {
                    saveCheckpoint(false);
                    run.status = "paused";
                    ws.updateRun(run);
                }
                emit({{"event", "stopped"}, {"step", state.step}, {"message", "stopped; resume to continue"}});
                result.status = "stopped";
                result.steps = state.step;
                result.lastCheckpoint = dir + "/" + state.last;
                return result;
            }
            const int phase = cfg.stage == 4 ? (cfg.phase ? cfg.phase : (state.step < total / 2 ? 1 : 2)) : 0;
            const bool frozenVision = setPhase(phase);
            for (size_t g = 0; g < groups.size(); ++g)
                static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[g].options())
                    .lr(schedule.at(state.step) * groups[g].scale);
            // Dropout masks depend only on (seed, step): a resumed run draws the same ones.
            torch::manual_seed(cfg.seed * 1000003ULL + static_cast<uint64_t>(state.step) * 7919ULL + o.rank);
            optimizer.clearGradients();
            double loss = 0;
            std::map<std::string, double> parts;
            int64_t answered = 0, correct = 0, samples = 0;
            double dataMs = 0, forwardMs = 0, backwardMs = 0, mixMs = 0;
            auto since = [](Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); };
            for (int a = 0; a < cfg.accumulation; ++a) {
                auto tData = Clock::now();
                auto batch = batches.next();
                dataMs += since(tData);
                state.epoch = batch.epoch;
                state.index = batch.index + 1;
                if (state.index >= batches.batchesPerEpoch()) {
                    state.index = 0;
                    state.epoch += 1;
                }
                if (!sliceForRank(batch))
                    continue;
                auto tForward = Clock::now();
                auto r = stageLoss.compute(batch, phase, frozenVision);
                forwardMs += since(tForward);
                if (o.injectNanAtStep == state.step + 1)
                    r.loss = r.loss * std::numeric_limits<float>::quiet_NaN();
                const double v = r.loss.item<double>();
                if (!std::isfinite(v))
                    throw std::runtime_error("loss became " + std::string(std::isnan(v) ? "NaN" : "infinite") + " at step " +
                                             std::to_string(state.step + 1));
                auto tBackward = Clock::now();
                (r.loss / cfg.accumulation).backward();
                backwardMs += since(tBackward);
                loss += v / cfg.accumulation;
                for (auto& [k, x] : r.parts)
                    parts[k] += x / cfg.accumulation;
                const auto tMix = Clock::now();
                for (auto& m : mixes) {
                    auto mb = m.batches->next();
                    sliceForRank(mb);
                    auto mr = m.loss->compute(mb, 2, frozenVision);
                    const double mv = mr.loss.item<double>();
                    if (!std::isfinite(mv))
                        throw std::runtime_error("loss became " + std::string(std::isnan(mv) ? "NaN" : "infinite") + " at step " +
                                                 std::to_string(state.step + 1) + " (" + m.kind + " rehearsal)");
                    if (mr.loss.requires_grad())   // stage 4 phase 1 trains nothing the text reaches
                        (mr.loss * (cfg.text_mix_weight / cfg.accumulation)).backward();
                    loss += cfg.text_mix_weight * mv / cfg.accumulation;
                    parts["mix_" + m.kind] += mv / cfg.accumulation;
                }
                if (!mixes.empty())
                    mixMs += since(tMix);
                answered += r.answered;
                correct += r.correct;
                samples += r.samples;
            }
            std::vector<torch::Tensor> withGrad;
            for (auto& p : allTrainable)
                if (p.requires_grad())
                    withGrad.push_back(p);
            densifyGradients(withGrad);
            if (dp) {
                dp->averageGradients(withGrad);
                loss = dp->averageScalar(loss);
            }
            double gradNorm = 0;
            {
                std::vector<torch::Tensor> g;
                for (auto& p : withGrad)
                    if (p.grad().defined())
                        g.push_back(p);
                gradNorm = cfg.grad_clip > 0 ? torch::nn::utils::clip_grad_norm_(g, cfg.grad_clip)
                                             : torch::nn::utils::clip_grad_norm_(g, std::numeric_limits<double>::max());
            }
            if (!std::isfinite(gradNorm))
                throw std::runtime_error("gradient norm became " + std::string(std::isnan(gradNorm) ? "NaN" : "infinite") +
                                         " at step " + std::to_string(state.step + 1));
            auto tOptim = Clock::now();
            optimizer.step();
            const double optimMs = since(tOptim);
            state.logitScaleLog = logitScale.item<double>();
            state.step += 1;
            lastLoss = loss;

            const double elapsed = std::chrono::duration<double>(Clock::now() - tLoop).count();
            const double perStep = elapsed / double(state.step - startStep);
            json line{{"event", "step"}, {"step", state.step}, {"total", total}, {"epoch", state.epoch},
                      {"phase", phase}, {"loss", loss}, {"lr", schedule.at(state.step - 1)}, {"grad_norm", gradNorm},
                      {"samples_per_s", samples * o.worldSize / std::max(1e-9, perStep)},
                      {"eta_s", perStep * double(total - state.step)},
                      {"ms", {{"data", dataMs}, {"forward", forwardMs}, {"backward", backwardMs}, {"rehearsal", mixMs}, {"optimizer", optimMs}}}};
            std::vector<std::pair<std::string, double>> values{{"train/loss", loss},
                                                               {"lr", schedule.at(state.step - 1)},
                                                               {"grad_norm", gradNorm},
                                                               {"samples_per_s", line["samples_per_s"].get<double>()}};
            for (auto& [k, v] : parts) {
                line["parts"][k] = v;
                values.emplace_back("train/" + k, v);
            }
            if (answered) {
                line["accuracy"] = double(correct) / answered;
                values.emplace_back("train/accuracy", double(correct) / answered);
            }
            if (lead && o.recordMetrics)
                ws.addMetrics(run.id, state.step, values);
            emit(line);

            const bool end = state.step == total;
            const bool evalNow = end || (cfg.eval_every > 0 && state.step % cfg.eval_every == 0);
            bool best = false;
            if (evalNow) {
                const double v = validate(phase, frozenVision);
                const double key = std::isnan(v) ? loss : v;
                if (key < state.bestLoss) {
                    state.bestLoss = key;
                    best = true;
                }
            }
            if (lead && (end || state.step % cfg.checkpoint_every == 0 || best))
                saveCheckpoint(best);
        }
    } catch (const std::exception& e) {
        std::string msg = e.what();
        if (auto nl = msg.find('\n'); nl != std::string::npos)
            msg = msg.substr(0, nl);
        run.notes = msg + (state.last.empty() ? "" : "; last good checkpoint: " + dir + "/" + state.last);
        if (lead) {
            run.status = "failed";
            run.finished = data::nowMs();
            try {
                ws.updateRun(run);
            } catch (const std::exception&) {
                // The database is unavailable: the message below still reaches the caller.
            }
        }
        emit({{"event", "failed"}, {"step", state.step}, {"message", run.notes.empty() ? msg : run.notes}});
        result.status = "failed";
        result.message = run.notes.empty() ? msg : run.notes;
        result.steps = state.step;
        result.lastCheckpoint = state.last.empty() ? "" : dir + "/" + state.last;
        return result;
    }
    if (lead) {
        run.status = "finished";
        run.finished = data::nowMs();
        ws.updateRun(run);
    }
    result.status = "finished";
    result.steps = state.step;
    result.finalLoss = lastLoss;
    result.lastCheckpoint = dir + "/" + state.last;
    result.bestCheckpoint = state.best.empty() ? "" : dir + "/" + state.best;
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    emit({{"event", "finished"}, {"step", state.step}, {"loss", lastLoss}, {"last", result.lastCheckpoint},
          {"best", result.bestCheckpoint}, {"seconds", result.seconds}});
    return result;
}

} // namespace ember::train
