#include "training_loop.h"

#include "trainer_protocol.h"

#include "atomic_file.h"
#include "checkpoint.h"
#include "seeded_model.h"
#include "split_filter.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <sys/file.h>
#include <fcntl.h>

namespace ember::train {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

TrainConfig validated(TrainConfig c)
{
    c.validate();
    return c;
}

// A torch archive written to memory first: torch::save straight to a file aborts the process
// (an exception from a destructor) when the disk fills; writeFileAtomic reports it instead.
template <typename T>
std::string serialized(const T& value)
{
    std::ostringstream os;
    torch::save(value, os);
    return os.str();
}

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string nonFinite(double v) { return std::isnan(v) ? "NaN" : "infinite"; }

json finiteOrNull(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string whatStageNeeds(int stage)
{
    return stage == 1 ? "an image and a caption" : stage == 2 ? "question/answer pairs" : stage == 3 ? "robot labels" : "robot labels and reasoning steps";
}

} // namespace

Trainer::Trainer(const TrainerOptions& o)
    : o_(o), cfg_(validated(o.config)), lead_(o.rank == 0), emit_(lead_ ? o.progress : [](const std::string&) {}),
      ws_(data::Workspace::open(o.workspaceDir, data::Workspace::Mode::Existing))
{
}

Trainer::~Trainer()
{
    if (lockFd_ >= 0)
        ::close(lockFd_);   // releases the run's lock (so does the process's end, however it ends)
}

TrainResult Trainer::run()
{
    t0_ = Clock::now();
    setUp();
    begin();
    try {
        while (state_.step < total_) {
            if (o_.stop && o_.stop->load())
                return stopHere();
            step();
        }
    } catch (const std::exception& e) {
        return fail(e);
    }
    return finish();
}

// --- set-up -------------------------------------------------------------------------------

void Trainer::setUp()
{
    openRun();
    // A set-up error (unreadable checkpoint, no data, teacher file) must not leave the new record
    // looking like a run that never ended.
    try {
        buildModel();
        buildData();
        buildSceneHead();
        buildOptimizer();
        buildLosses();
    } catch (...) {
        markSetUpFailed();
        throw;
    }
}

void Trainer::openRun()
{
    if (o_.resumeRunId) {
        auto existing = ws_.run(o_.resumeRunId);
        if (!existing)
            throw std::runtime_error("no run " + std::to_string(o_.resumeRunId) + " in " + o_.workspaceDir);
        run_ = *existing;
        cfg_ = TrainConfig();
        cfg_.applyJson(run_.config);   // a resumed run keeps its own configuration
        dir_ = runDirectory(o_.workspaceDir, run_.id);
        data::resolveInWorkspace(o_.workspaceDir, "runs/run-" + std::to_string(run_.id));
        if (lead_)
            lockRun();
        if (std::ifstream in(inRunDir("state.json")); in)
            state_ = RunState::fromJson(std::string(std::istreambuf_iterator<char>(in), {}));
    } else {
        run_.name = o_.runName.empty() ? "stage " + std::to_string(cfg_.stage) : o_.runName;
        run_.stage = cfg_.stage;
        run_.config = cfg_.toJson();
        run_.seed = static_cast<int64_t>(cfg_.seed);
        if (lead_)
            ws_.createRun(run_);
        dir_ = runDirectory(o_.workspaceDir, run_.id);
    }
    // The run's folder is checked before anything is read from it or written to it.
    data::resolveInWorkspace(o_.workspaceDir, "runs/run-" + std::to_string(run_.id));
    if (lead_) {
        fs::create_directories(dir_);
        lockRun();
    }
}

// One process trains a run at a time: a second `train --resume N` while the first runs is refused,
// naming the holder. The lock is the kernel's (flock), so a killed trainer leaves it free.
void Trainer::lockRun()
{
    if (lockFd_ >= 0)
        return;
    fs::create_directories(dir_);
    const std::string path = inRunDir("lock");
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error(path + ": cannot open the run's lock (" + std::string(std::strerror(errno)) + ")");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = {};
        const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
        ::close(fd);
        throw std::runtime_error("run " + std::to_string(run_.id) + " is being trained by process " +
                                 (n > 0 ? std::string(pid, static_cast<size_t>(n)) : std::string("(unknown)")) +
                                 "; refused (stop that one first)");
    }
    // The holder's pid for the message above; without it the lock still holds, naming no process.
    const std::string me = std::to_string(::getpid());
    const bool named = ::ftruncate(fd, 0) == 0 && ::pwrite(fd, me.data(), me.size(), 0) == static_cast<ssize_t>(me.size());
    (void)named;
    lockFd_ = fd;
}

void Trainer::markSetUpFailed() noexcept
{
    if (!lead_ || !run_.id)
        return;
    try {
        run_.status = data::RunStatus::Failed;
        run_.finished = data::nowMs();
        run_.notes = "set-up failed before the first step (see the trainer's message)";
        ws_.updateRun(run_);
    } catch (...) {
    }
}

void Trainer::buildModel()
{
    if (!state_.last.empty()) {
        model_ = loadCheckpointFile(inRunDir(state_.last));
    } else if (!cfg_.init_checkpoint.empty()) {
        model_ = loadCheckpointFile(cfg_.init_checkpoint);
    } else {
        model_ = newSeededModel(cfg_.preset, cfg_.model_overrides, cfg_.seed);
    }
    if (cfg_.stage == 2 && !cfg_.teacher_checkpoint.empty()) {
        teacher_ = loadCheckpointFile(cfg_.teacher_checkpoint);
        teacher_->eval();
        for (auto& p : teacher_->parameters())
            p.set_requires_grad(false);
    }
    if (cfg_.stage == 2 && !cfg_.teacher_logits.empty())
        teacherFile_ = std::make_unique<TeacherFile>(TeacherFile::load(cfg_.teacher_logits, ws_));
    logitScale_ = torch::tensor(state_.logitScaleLog, torch::kFloat32).requires_grad_(cfg_.stage == 1);
    if (o_.worldSize > 1) {
        dp_ = std::make_unique<DataParallel>(o_.worldSize, o_.rank, o_.master);
        std::vector<torch::Tensor> all;
        for (auto& [name, t] : stateDict(*model_))
            all.push_back(t);
        dp_->broadcast(all);   // every rank starts from rank 0's weights
    }
}

void Trainer::buildData()
{
    auto& bo = batchOptions_;
    bo.stage = static_cast<data::Stage>(cfg_.stage);
    bo.batchSize = cfg_.batch_size * std::max(1, o_.worldSize);   // one global batch, sliced per rank
    bo.seed = cfg_.seed;
    bo.imageSize = cfg_.image_size ? cfg_.image_size : static_cast<int>(model_->cfg.image_size);
    bo.maxTokens = cfg_.max_tokens;
    bo.shuffle = true;
    bo.dropLast = o_.worldSize > 1;   // every rank needs a slice of every global batch
    bo.filter = data::SampleQuery{};
    bo.filter.split = splitFilter(cfg_.split);
    batches_ = std::make_unique<data::BatchBuilder>(ws_, bo);
    if (batches_->sampleCount() == 0)
        throw std::runtime_error("no samples in split '" + cfg_.split + "' have what stage " + std::to_string(cfg_.stage) +
                                 " needs (" + whatStageNeeds(cfg_.stage) + ")");
    const int64_t perEpoch = std::max<int64_t>(1, batches_->batchesPerEpoch() / cfg_.accumulation);
    total_ = cfg_.max_steps > 0 ? cfg_.max_steps : perEpoch * cfg_.epochs;
    if (state_.started()) {
        state_.checkAgainst(total_, batches_->batchesPerEpoch());
        batches_->seek(state_.epoch, state_.index);
    }
    schedule_ = Schedule{cfg_.lr, std::min(cfg_.warmup_steps, total_ / 2), total_, cfg_.min_lr_ratio};
}

// The auxiliary scene classifier: trained with the vision tower, never part of the model's
// checkpoint (it lives beside it as ckpt-STEP.scene.pt, for resuming).
void Trainer::buildSceneHead()
{
    const auto frozenLater = cfg_.frozenParts(cfg_.stage == 4 ? 2 : 0);
    const bool visionTrains = std::find(frozenLater.begin(), frozenLater.end(), "vision") == frozenLater.end();
    const auto& vocabulary = batches_->sceneVocabulary();
    if (cfg_.scene_weight <= 0 || !visionTrains || vocabulary.empty())
        return;
    int64_t classes = 0;
    for (const auto& v : vocabulary.values) {
        sceneClasses_.push_back(static_cast<int64_t>(v.size()));
        classes += static_cast<int64_t>(v.size());
    }
    torch::manual_seed(cfg_.seed * 31 + 7);
    sceneHead_ = torch::nn::Linear(model_->cfg.visionDim(), classes);
    if (!state_.last.empty()) {
        const std::string scenePath = inRunDir(siblingFile(state_.last, ".scene.pt"));
        if (fs::exists(scenePath))
            torch::load(sceneHead_, scenePath);
    }
}

void Trainer::buildOptimizer()
{
    groups_ = ParameterGroups::build(*model_, cfg_, sceneHead_, logitScale_);
    optimizer_ = std::make_unique<FusedAdamW>(groups_.optimizerGroups, torch::optim::AdamWOptions(cfg_.lr));
    if (!state_.last.empty())
        torch::load(*optimizer_, inRunDir(siblingFile(state_.last, ".optim.pt")));
}

void Trainer::buildLosses()
{
    stageLoss_ = std::make_unique<StageLoss>(*model_, cfg_, teacher_ ? teacher_.get() : nullptr, logitScale_, teacherFile_.get());
    rehearsals_ = Rehearsal::forConfig(cfg_, batchOptions_, o_.worldSize, state_.step, ws_, *model_, logitScale_);
    if (sceneHead_)
        stageLoss_->setSceneHead(sceneHead_, sceneClasses_);
    vocabulary_ = model_->cfg.vocab_size;
    if (cfg_.lm_vocab == "workspace") {
        const auto ids = data::tokenVocabulary(ws_, batchOptions_.filter);
        vocabulary_ = static_cast<int64_t>(ids.size());
        stageLoss_->setVocabulary(ids);
        for (auto& m : rehearsals_)
            m.loss->setVocabulary(ids);
    }
    // Validation loss on the eval split (first eval_batches batches, no shuffling).
    if (cfg_.eval_split == "none")
        return;
    data::BatchOptions vo = batchOptions_;
    vo.batchSize = cfg_.batch_size;
    vo.shuffle = false;
    vo.filter = data::SampleQuery{};
    vo.filter.split = splitFilter(cfg_.eval_split);
    try {
        auto vb = std::make_unique<data::BatchBuilder>(ws_, vo);
        if (vb->sampleCount() > 0)
            valBatches_ = std::move(vb);
    } catch (const std::exception&) {
    }
}

void Trainer::begin()
{
    run_.status = data::RunStatus::Running;
    if (!run_.started)
        run_.started = data::nowMs();
    if (lead_) {
        ws_.updateRun(run_);
        emit_.logTo(inRunDir("train.log"));
    }
    emit_({{"event", protocol::name(protocol::Event::Started)}, {"run", run_.id}, {"stage", cfg_.stage}, {"total_steps", total_},
           {"start_step", state_.step}, {"samples", batches_->sampleCount()}, {"lm_vocabulary", vocabulary_}, {"dir", dir_}});
    tLoop_ = Clock::now();
    startStep_ = state_.step;
}

// --- the loop -----------------------------------------------------------------------------

int Trainer::phaseAt(int64_t step) const
{
    if (cfg_.stage != 4) return 0;
    return cfg_.phase ? cfg_.phase : (step < total_ / 2 ? 1 : 2);
}

// One optimizer step: its micro-batches (each with its rehearsal batches), the gradients averaged
// across ranks and clipped, the update, the progress line and metrics, then validation and the
// checkpoint when they are due.
void Trainer::step()
{
    const int phase = phaseAt(state_.step);
    const bool frozenVision = applyFreezing(*model_, cfg_, phase);
    for (size_t g = 0; g < groups_.groups.size(); ++g)
        static_cast<torch::optim::AdamWOptions&>(optimizer_->param_groups()[g].options())
            .lr(schedule_.at(state_.step) * groups_.groups[g].scale);
    // Dropout masks depend only on (seed, step): a resumed run draws the same ones.
    torch::manual_seed(cfg_.seed * 1000003ULL + static_cast<uint64_t>(state_.step) * 7919ULL + o_.rank);
    optimizer_->clearGradients();
    StepTotals t;
    for (int a = 0; a < cfg_.accumulation; ++a)
        microBatch(phase, frozenVision, t);
    t.gradNorm = clipGradients(t);
    const auto tOptim = Clock::now();
    optimizer_->step();
    t.optimizerMs = msSince(tOptim);
    state_.logitScaleLog = logitScale_.item<double>();
    state_.step += 1;
    lastLoss_ = t.loss;
    report(t, phase);

    const bool end = state_.step == total_;
    bool best = false;
    if (end || (cfg_.eval_every > 0 && state_.step % cfg_.eval_every == 0)) {
        const double v = validate(phase, frozenVision);
        const double key = std::isnan(v) ? t.loss : v;
        if (key < state_.bestLoss) {
            state_.bestLoss = key;
            best = true;
        }
    }
    if (lead_ && (end || state_.step % cfg_.checkpoint_every == 0 || best))
        saveCheckpoint(best);
}

void Trainer::microBatch(int phase, bool frozenVision, StepTotals& t)
{
    const auto tData = Clock::now();
    auto batch = batches_->next();
    t.dataMs += msSince(tData);
    state_.epoch = batch.epoch;
    state_.index = batch.index + 1;
    if (state_.index >= batches_->batchesPerEpoch()) {
        state_.index = 0;
        state_.epoch += 1;
    }
    if (!sliceForRank(batch))
        return;
    const auto tForward = Clock::now();
    auto r = stageLoss_->compute(batch, phase, frozenVision);
    t.forwardMs += msSince(tForward);
    if (o_.injectNanAtStep == state_.step + 1)
        r.loss = r.loss * std::numeric_limits<float>::quiet_NaN();
    const double v = r.loss.item<double>();
    if (!std::isfinite(v))
        throw std::runtime_error("loss became " + nonFinite(v) + " at step " + std::to_string(state_.step + 1));
    const auto tBackward = Clock::now();
    (r.loss / cfg_.accumulation).backward();
    t.backwardMs += msSince(tBackward);
    t.loss += v / cfg_.accumulation;
    for (auto& [k, x] : r.parts)
        t.parts[k] += x / cfg_.accumulation;
    rehearse(frozenVision, t);
    t.answered += r.answered;
    t.correct += r.correct;
    t.samples += r.samples;
}

void Trainer::rehearse(bool frozenVision, StepTotals& t)
{
    if (rehearsals_.empty())
        return;
    const auto tMix = Clock::now();
    for (auto& m : rehearsals_) {
        auto mb = m.batches->next();
        sliceForRank(mb);
        auto mr = m.loss->compute(mb, 2, frozenVision);
        const double mv = mr.loss.item<double>();
        if (!std::isfinite(mv))
            throw std::runtime_error("loss became " + nonFinite(mv) + " at step " + std::to_string(state_.step + 1) + " (" +
                                     m.kind + " rehearsal)");
        if (mr.loss.requires_grad())   // stage 4 phase 1 trains nothing the text reaches
            (mr.loss * (cfg_.text_mix_weight / cfg_.accumulation)).backward();
        t.loss += cfg_.text_mix_weight * mv / cfg_.accumulation;
        t.parts["mix_" + m.kind] += mv / cfg_.accumulation;
    }
    t.rehearsalMs += msSince(tMix);
}

// Gradients averaged across ranks and clipped; the norm before clipping.
double Trainer::clipGradients(StepTotals& t)
{
    std::vector<torch::Tensor> withGrad;
    for (auto& p : groups_.trainable)
        if (p.requires_grad())
            withGrad.push_back(p);
    densifyGradients(withGrad);
    if (dp_) {
        dp_->averageGradients(withGrad);
        t.loss = dp_->averageScalar(t.loss);
    }
    std::vector<torch::Tensor> g;
    for (auto& p : withGrad)
        if (p.grad().defined())
            g.push_back(p);
    const double norm = torch::nn::utils::clip_grad_norm_(g, cfg_.grad_clip > 0 ? cfg_.grad_clip : std::numeric_limits<double>::max());
    if (!std::isfinite(norm))
        throw std::runtime_error("gradient norm became " + nonFinite(norm) + " at step " + std::to_string(state_.step + 1));
    return norm;
}

void Trainer::report(const StepTotals& t, int phase)
{
    const double elapsed = std::chrono::duration<double>(Clock::now() - tLoop_).count();
    const double perStep = elapsed / double(state_.step - startStep_);
    const double lr = schedule_.at(state_.step - 1);
    const double samplesPerS = t.samples * o_.worldSize / std::max(1e-9, perStep);
    const double etaS = perStep * double(total_ - state_.step);
    json line{{"event", protocol::name(protocol::Event::Step)}, {"step", state_.step}, {"total", total_}, {"epoch", state_.epoch},
              {"phase", phase}, {"loss", t.loss}, {"lr", lr}, {"grad_norm", t.gradNorm},
              {"samples_per_s", samplesPerS}, {"eta_s", etaS},
              {"ms", {{"data", t.dataMs}, {"forward", t.forwardMs}, {"backward", t.backwardMs}, {"rehearsal", t.rehearsalMs},
                      {"optimizer", t.optimizerMs}}}};
    std::vector<std::pair<std::string, double>> values{
        {"train/loss", t.loss}, {"lr", lr}, {"grad_norm", t.gradNorm}, {"samples_per_s", samplesPerS}, {"eta_s", etaS}};
    for (auto& [k, v] : t.parts) {
        line["parts"][k] = v;
        values.emplace_back("train/" + k, v);
    }
    if (t.answered) {
        line["accuracy"] = double(t.correct) / t.answered;
        values.emplace_back("train/accuracy", double(t.correct) / t.answered);
    }
    if (lead_ && o_.recordMetrics)
        ws_.addMetrics(run_.id, state_.step, values);
    emit_(line);
}

// This rank's slice of a global batch; false when the slice is empty.
bool Trainer::sliceForRank(data::Batch& batch) const
{
    if (o_.worldSize <= 1)
        return true;
    const int64_t B = batch.inputIds.size(0), per = (B + o_.worldSize - 1) / o_.worldSize;
    const int64_t from = std::min<int64_t>(B, per * o_.rank), len = std::min<int64_t>(per, B - from);
    if (len <= 0)
        return false;
    for (torch::Tensor* t : {&batch.images, &batch.hasImage, &batch.inputIds, &batch.attentionMask, &batch.lossMask,
                             &batch.robotTargets, &batch.reasoningSteps, &batch.sampleIds, &batch.qaIndex, &batch.sceneTargets})
        *t = t->narrow(0, from, len);
    return true;
}

// Validation loss on the first eval_batches batches of the eval split; NaN without one.
double Trainer::validate(int phase, bool frozenVision)
{
    if (!valBatches_)
        return std::numeric_limits<double>::quiet_NaN();
    torch::NoGradGuard ng;
    model_->eval();
    valBatches_->seek(0, 0);
    double sum = 0;
    int64_t n = 0, answered = 0, correct = 0;
    std::map<std::string, double> parts;
    const int64_t count = std::min<int64_t>(cfg_.eval_batches, valBatches_->batchesPerEpoch());
    for (int64_t i = 0; i < count; ++i, ++n) {
        auto r = stageLoss_->compute(valBatches_->next(), phase, frozenVision);
        sum += r.loss.item<double>();
        for (auto& [k, v] : r.parts)
            parts[k] += v;
        answered += r.answered;
        correct += r.correct;
    }
    if (n == 0)
        return std::numeric_limits<double>::quiet_NaN();
    const double loss = sum / n;
    std::vector<std::pair<std::string, double>> values{{"val/loss", loss}};
    json j{{"event", protocol::name(protocol::Event::Eval)}, {"step", state_.step}, {"loss", loss}};
    for (auto& [k, v] : parts) {
        values.emplace_back("val/" + k, v / n);
        j["parts"][k] = v / n;
    }
    if (answered) {
        values.emplace_back("val/accuracy", double(correct) / answered);
        j["accuracy"] = double(correct) / answered;
    }
    if (lead_ && o_.recordMetrics)
        ws_.addMetrics(run_.id, state_.step, values);
    emit_(j);
    return loss;
}

// The weights, optimizer state (and scene head) of this step, then state.json naming them. A
// failure (a full disk) removes this step's files again and leaves the previous checkpoint as
// the run's last: nothing half-written stays behind.
void Trainer::saveCheckpoint(bool best)
{
    const std::string name = "ckpt-" + std::to_string(state_.step) + ".safetensors";
    const std::string previous = state_.last;
    const std::map<std::string, std::string> meta{
        {"trained", "true"}, {"stage", std::to_string(cfg_.stage)}, {"run", std::to_string(run_.id)}, {"step", std::to_string(state_.step)}};
    try {
        saveCheckpointFile(inRunDir(name), *model_, meta);
        writeFileAtomic(inRunDir(siblingFile(name, ".optim.pt")), serialized(*optimizer_));
        if (sceneHead_)
            writeFileAtomic(inRunDir(siblingFile(name, ".scene.pt")), serialized(sceneHead_));
        state_.last = name;
        if (best) {
            // The best weights get their own file so that "last" can move on.
            saveCheckpointFile(inRunDir("best.safetensors"), *model_, meta);
            state_.best = "best.safetensors";
        }
        // The state file names the new checkpoint only once it is complete on disk.
        writeFileAtomic(inRunDir("state.json"), state_.toJson());
    } catch (...) {
        state_.last = previous;
        if (name != previous)
            removeCheckpointFiles(name);
        throw;
    }
    if (!previous.empty() && previous != name) {
        removeCheckpointFiles(previous);
        ws_.removeCheckpoint(run_.id, workspacePath(previous));
    }
    recordCheckpoint(best, name);
}

void Trainer::removeCheckpointFiles(const std::string& name) const
{
    std::error_code ec;
    fs::remove(inRunDir(name), ec);
    for (const char* ext : {".optim.pt", ".scene.pt"})
        fs::remove(inRunDir(siblingFile(name, ext)), ec);
}

// How the workspace records a file of this run's folder.
std::string Trainer::workspacePath(const std::string& name) const
{
    return fs::relative(inRunDir(name), o_.workspaceDir).string();
}

void Trainer::recordCheckpoint(bool best, const std::string& name)
{
    data::CheckpointInfo ci;
    ci.runId = run_.id;
    ci.step = state_.step;
    ci.path = workspacePath(best ? "best.safetensors" : name);
    ci.isBest = best;
    ci.metrics = json{{"best_loss", finiteOrNull(state_.bestLoss)}}.dump();
    ws_.addCheckpoint(ci);
    emit_({{"event", protocol::name(protocol::Event::Checkpoint)}, {"step", state_.step}, {"path", inRunDir(name)}, {"best", best}});
}

// --- the end ------------------------------------------------------------------------------

TrainResult Trainer::stopHere()
{
    if (lead_) {
        saveCheckpoint(false);
        run_.status = data::RunStatus::Paused;
        ws_.updateRun(run_);
    }
    emit_({{"event", protocol::name(protocol::Event::Stopped)}, {"step", state_.step}, {"message", "stopped; resume to continue"}});
    TrainResult result;
    result.runId = run_.id;
    result.status = data::RunStatus::Paused;
    result.steps = state_.step;
    result.lastCheckpoint = inRunDir(state_.last);
    return result;
}

TrainResult Trainer::fail(const std::exception& e)
{
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos)
        msg = msg.substr(0, nl);
    run_.notes = msg + (state_.last.empty() ? "" : "; last good checkpoint: " + inRunDir(state_.last));
    if (lead_) {
        run_.status = data::RunStatus::Failed;
        run_.finished = data::nowMs();
        try {
            ws_.updateRun(run_);
        } catch (const std::exception&) {
            // The database is unavailable: the message below still reaches the caller.
        }
    }
    emit_({{"event", protocol::name(protocol::Event::Failed)}, {"step", state_.step}, {"message", run_.notes}});
    TrainResult result;
    result.runId = run_.id;
    result.status = data::RunStatus::Failed;
    result.message = run_.notes;
    result.steps = state_.step;
    result.lastCheckpoint = state_.last.empty() ? "" : inRunDir(state_.last);
    return result;
}

TrainResult Trainer::finish()
{
    if (lead_) {
        run_.status = data::RunStatus::Finished;
        run_.finished = data::nowMs();
        ws_.updateRun(run_);
    }
    TrainResult result;
    result.runId = run_.id;
    result.status = data::RunStatus::Finished;
    result.steps = state_.step;
    result.finalLoss = lastLoss_;
    result.lastCheckpoint = inRunDir(state_.last);
    result.bestCheckpoint = state_.best.empty() ? "" : inRunDir(state_.best);
    result.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
    emit_({{"event", protocol::name(protocol::Event::Finished)}, {"step", state_.step}, {"loss", lastLoss_}, {"last", result.lastCheckpoint},
           {"best", result.bestCheckpoint}, {"seconds", result.seconds}});
    return result;
}

} // namespace ember::train
