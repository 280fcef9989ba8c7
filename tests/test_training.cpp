// The trainer: freezing rules per stage, exact resume, NaN and crash handling, data parallelism.
#include "batches.h"
#include "checkpoint.h"
#include "datasets_test_util.h"
#include "importers.h"
#include "seeded_model.h"
#include "trainer.h"
#include "workspace.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <tuple>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/resource.h>
#include <sys/types.h>

using namespace ember;
using nlohmann::json;

namespace {

const char* kTinyModel =
    R"({"image_size":64,"vision_widths":[8,16,24,32],"vision_depths":[1,1,1,1],"n_embd":32,"n_head":2,"n_layer":1,)"
    R"("n_inner":64,"proj_hidden":32,"reasoning_hidden":32,"validator_hidden":16,"answer_hidden":16})";

train::TrainConfig tinyConfig(int stage, int steps)
{
    auto c = train::TrainConfig::forStage(stage);
    c.preset = "lite";
    c.model_overrides = kTinyModel;
    c.batch_size = 4;
    c.max_steps = steps;
    c.warmup_steps = 1;
    c.eval_split = "none";
    c.checkpoint_every = 100;
    c.max_tokens = 64;
    return c;
}

std::map<std::string, torch::Tensor> weights(const std::string& path)
{
    std::map<std::string, torch::Tensor> m;
    auto model = loadCheckpointFile(path);
    for (auto& [k, v] : stateDict(*model))
        m[k] = v.clone();
    return m;
}

bool partChanged(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b,
                 const std::string& prefix)
{
    for (const auto& [k, v] : a)
        if (k.rfind(prefix, 0) == 0 && v.is_floating_point() && k.find("running_") == std::string::npos &&
            !torch::equal(v, b.at(k)))
            return true;
    return false;
}

} // namespace

class TestTraining final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        ws_ = dir_.path() + "/ws";
        testutil::makeDemoWorkspace(ws_.toStdString(), 3);
        // A starting checkpoint every test shares.
        init_ = (dir_.path() + "/init.safetensors").toStdString();
        saveCheckpointFile(init_, *newSeededModel("lite", kTinyModel, 1));
    }

    // Each stage's defaults are the data file's (resources/recipes/stage-defaults.json), which
    // the command line and the Train view both read through forStage.
    void stageDefaultsComeFromTheDataFile()
    {
        std::ifstream f(EMBERVLM_SOURCE_DIR "/resources/recipes/stage-defaults.json");
        QVERIFY(f.good());
        const json j = json::parse(f);
        QCOMPARE(int(j["stages"].size()), 4);
        for (const auto& s : j["stages"]) {
            const auto c = train::TrainConfig::forStage(s["stage"].get<int>());
            QCOMPARE(c.stage, s["stage"].get<int>());
            QCOMPARE(c.lr, s["lr"].get<double>());
            QCOMPARE(c.phase, s.value("phase", train::TrainConfig{}.phase));
        }
        QCOMPARE(train::TrainConfig::forStage(7).lr, train::TrainConfig{}.lr);
    }

    void freezingRules_data()
    {
        QTest::addColumn<int>("stage");
        QTest::addColumn<int>("phase");
        QTest::addColumn<QStringList>("changed");
        QTest::addColumn<QStringList>("unchanged");
        QTest::newRow("stage 1") << 1 << 0 << QStringList{"projection.", "language_model."} << QStringList{"vision.", "reasoning."};
        QTest::newRow("stage 2") << 2 << 0 << QStringList{"vision.", "projection.", "language_model."} << QStringList{"reasoning."};
        QTest::newRow("stage 3") << 3 << 0 << QStringList{"vision.", "projection.", "language_model.", "reasoning."} << QStringList{};
        QTest::newRow("stage 4 phase 1") << 4 << 1 << QStringList{"reasoning."}
                                         << QStringList{"vision.", "projection.", "language_model."};
        QTest::newRow("stage 4 phase 2") << 4 << 2 << QStringList{"vision.", "language_model.", "reasoning."} << QStringList{};
    }

    // Frozen parameters stay bit-identical; trained ones move.
    void freezingRules()
    {
        QFETCH(int, stage);
        QFETCH(int, phase);
        QFETCH(QStringList, changed);
        QFETCH(QStringList, unchanged);
        auto c = tinyConfig(stage, 2);
        c.phase = phase;
        c.init_checkpoint = init_;
        c.vision_lr_scale = 1.0;
        auto o = trainerOn(c);
        o.progress = [](const std::string&) {};
        const auto r = train::runTraining(o);
        QCOMPARE(QString::fromLatin1(data::toString(r.status)), QString("finished"));
        const auto before = weights(init_), after = weights(r.lastCheckpoint);
        for (const auto& p : changed)
            QVERIFY2(partChanged(before, after, p.toStdString()), qPrintable(p + " did not change"));
        for (const auto& p : unchanged)
            QVERIFY2(!partChanged(before, after, p.toStdString()), qPrintable(p + " changed"));
    }

    // Stopped at step 3 and resumed, a run ends with the same weights and the same curve as one
    // that never stopped.
    void resumeIsExact()
    {
        auto c = tinyConfig(3, 6);
        c.init_checkpoint = init_;
        c.seed = 5;
        std::vector<double> straightLoss, resumedLoss;
        train::TrainerOptions a = trainerOn(c);
        a.progress = [&](const std::string& line) {
            auto j = json::parse(line);
            if (j["event"] == "step")
                straightLoss.push_back(j["loss"]);
        };
        const auto straight = train::runTraining(a);
        QCOMPARE(QString::fromLatin1(data::toString(straight.status)), QString("finished"));

        std::atomic<bool> stop{false};
        train::TrainerOptions b = a;
        b.stop = &stop;
        b.progress = [&](const std::string& line) {
            auto j = json::parse(line);
            if (j["event"] == "step") {
                resumedLoss.push_back(j["loss"]);
                if (j["step"] == 3)
                    stop = true;
            }
        };
        const auto first = train::runTraining(b);
        QCOMPARE(QString::fromLatin1(data::toString(first.status)), QString("paused"));
        QCOMPARE(first.steps, int64_t(3));
        auto ws = data::Workspace::open(ws_.toStdString());
        QCOMPARE(QString::fromLatin1(data::toString(ws.run(first.runId)->status)), QString("paused"));
        stop = false;
        train::TrainerOptions r = b;
        r.resumeRunId = first.runId;
        const auto second = train::runTraining(r);
        QCOMPARE(QString::fromLatin1(data::toString(second.status)), QString("finished"));
        QCOMPARE(second.steps, int64_t(6));
        QCOMPARE(resumedLoss.size(), straightLoss.size());
        for (size_t i = 0; i < straightLoss.size(); ++i)
            QCOMPARE(resumedLoss[i], straightLoss[i]);
        const auto wa = weights(straight.lastCheckpoint), wb = weights(second.lastCheckpoint);
        for (const auto& [k, v] : wa)
            QVERIFY2(torch::equal(v, wb.at(k)), k.c_str());
        // The database holds one point per step for the resumed run.
        QCOMPARE(static_cast<int>(ws.metrics(second.runId, "train/loss").size()), 6);
    }

    // A NaN loss ends the run with a message and keeps the last good checkpoint.
    void nanStopsAndKeepsLastGood()
    {
        auto c = tinyConfig(3, 6);
        c.init_checkpoint = init_;
        c.checkpoint_every = 2;
        auto o = trainerOn(c);
        o.injectNanAtStep = 4;
        o.progress = [](const std::string&) {};
        const auto r = train::runTraining(o);
        QCOMPARE(QString::fromLatin1(data::toString(r.status)), QString("failed"));
        QVERIFY2(QString::fromStdString(r.message).contains("NaN at step 4"), r.message.c_str());
        QVERIFY(QString::fromStdString(r.lastCheckpoint).endsWith("ckpt-2.safetensors"));
        QVERIFY(QFile::exists(QString::fromStdString(r.lastCheckpoint)));
        loadCheckpointFile(r.lastCheckpoint);   // loads: not a broken file
        auto ws = data::Workspace::open(ws_.toStdString());
        QCOMPARE(QString::fromLatin1(data::toString(ws.run(r.runId)->status)), QString("failed"));
    }

    // lm_vocab "workspace": the softmax over the training texts' tokens. Its first-step loss from the
    // same weights is below the full softmax's (fewer competitors, same targets), and the run says
    // how many tokens it kept.
    void workspaceVocabularySoftmax()
    {
        auto firstStep = [&](const std::string& vocab, int64_t* kept) {
            auto c = tinyConfig(2, 1);
            c.init_checkpoint = init_;
            c.lm_vocab = vocab;
            auto o = trainerOn(c);
            double sft = -1;
            o.progress = [&](const std::string& l) {
                const auto j = json::parse(l);
                if (j.value("event", "") == "started") *kept = j.value("lm_vocabulary", int64_t(0));
                if (j.value("event", "") == "step") sft = j["parts"].value("sft", -1.0);
            };
            const auto r = train::runTraining(o);
            if (r.status != data::RunStatus::Finished) return -1.0;
            return sft;
        };
        int64_t full = 0, kept = 0;
        const double fullLoss = firstStep("full", &full);
        const double keptLoss = firstStep("workspace", &kept);
        QCOMPARE(full, int64_t(50262));
        QVERIFY2(kept > 20 && kept < 5000, qPrintable(QString::number(kept)));
        QVERIFY(fullLoss > 0 && keptLoss > 0);
        QVERIFY2(keptLoss < fullLoss, qPrintable(QString("%1 vs %2").arg(keptLoss).arg(fullLoss)));
        auto bad = tinyConfig(2, 1);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, bad.applyJson(R"({"lm_vocab":"tiny"})"));
    }

    // Issue 15: a disk that fills while the optimizer state is written (injected: files over 8 MB
    // fail, as on a full disk; the weights are 6.4 MB, the optimizer state twice that). The run
    // ends "failed" with the cause, and leaves no partial or temporary file behind.
    void fullDiskFailsTheRunCleanly()
    {
        auto c = tinyConfig(3, 4);
        c.init_checkpoint = init_;
        c.checkpoint_every = 2;
        auto o = trainerOn(c);
        std::vector<std::string> events;
        o.progress = [&](const std::string& l) { events.push_back(json::parse(l).value("event", "")); };
        train::TrainResult r;
        {
            std::signal(SIGXFSZ, SIG_IGN);
            rlimit saved{};
            getrlimit(RLIMIT_FSIZE, &saved);
            rlimit l = saved;
            l.rlim_cur = 8u << 20;
            setrlimit(RLIMIT_FSIZE, &l);
            r = train::runTraining(o);
            setrlimit(RLIMIT_FSIZE, &saved);
        }
        QCOMPARE(QString::fromLatin1(data::toString(r.status)), QString("failed"));
        QVERIFY2(QString::fromStdString(r.message).contains("write failed"), r.message.c_str());
        QVERIFY(std::find(events.begin(), events.end(), "failed") != events.end());
        auto ws = data::Workspace::open(ws_.toStdString());
        QCOMPARE(QString::fromLatin1(data::toString(ws.run(r.runId)->status)), QString("failed"));
        const QDir runDir(QString::fromStdString(train::runDirectory(ws_.toStdString(), r.runId)));
        // No partial checkpoint: only the run's lock and its log, which says why it failed.
        QCOMPARE(runDir.entryList(QDir::Files), (QStringList{"lock", "train.log"}));
        QFile log(runDir.filePath("train.log"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        QVERIFY(log.readAll().contains("\"event\":\"failed\""));
    }

    // Issue 15: state.json is a file anyone can edit; a resume never loads or deletes a file it names
    // outside the run.
    void resumeRefusesPathsOutsideTheRun()
    {
        const auto first = tinyFinishedRun();
        QCOMPARE(QString::fromLatin1(data::toString(first.status)), QString("finished"));
        const QString victim = dir_.path() + "/victim.safetensors";
        QVERIFY(QFile::copy(QString::fromStdString(init_), victim));
        const std::string statePath = train::runDirectory(ws_.toStdString(), first.runId) + "/state.json";
        std::ifstream in(statePath);
        auto state = json::parse(in);
        in.close();
        state["last"] = "../../../victim.safetensors";
        std::ofstream(statePath) << state.dump();
        const QString message = resumeMessage(first.runId);
        QVERIFY2(message.contains("not a checkpoint of this run"), qPrintable(message));
        QVERIFY(QFile::exists(victim));
    }

    // Issue 32: the numbers of state.json are range-checked against the run: a negative step (which
    // once resumed into 10^8 steps), a step past the run's end, a batch past an epoch are refused.
    void resumeRefusesNumbersNoRunHas()
    {
        const auto first = tinyFinishedRun();
        QCOMPARE(QString::fromLatin1(data::toString(first.status)), QString("finished"));
        const std::string statePath = train::runDirectory(ws_.toStdString(), first.runId) + "/state.json";
        std::ifstream in(statePath);
        const auto good = json::parse(in);
        in.close();
        for (const auto& [field, value, says] : std::vector<std::tuple<std::string, json, QString>>{
                 {"step", -5, "negative"}, {"step", 100000000, "past this run's"}, {"index", 1000000, "past an epoch"},
                 {"best_loss", -1.0, "not a loss"}}) {
            auto state = good;
            state[field] = value;
            std::ofstream(statePath) << state.dump();
            const QString message = resumeMessage(first.runId);
            QVERIFY2(message.contains(says), qPrintable(QString::fromStdString(field) + ": " + message));
        }
        std::ofstream(statePath) << good.dump();
    }

    // Issue 32: a run folder that is a link out of runs/ is neither read nor written: the resume
    // is refused, and the folder it points to keeps exactly its files.
    void resumeRefusesALinkedRunFolder()
    {
        const auto first = tinyFinishedRun();
        QCOMPARE(QString::fromLatin1(data::toString(first.status)), QString("finished"));
        const std::string run = train::runDirectory(ws_.toStdString(), first.runId);
        const std::string elsewhere = dir_.path().toStdString() + "/elsewhere-" + std::to_string(first.runId);
        std::filesystem::rename(run, elsewhere);
        std::filesystem::create_directory_symlink(elsewhere, run);
        auto listing = [&] {
            std::vector<std::string> files;
            for (const auto& f : std::filesystem::directory_iterator(elsewhere))
                files.push_back(f.path().filename().string() + ":" + std::to_string(f.file_size()));
            std::sort(files.begin(), files.end());
            return files;
        };
        const auto before = listing();
        QVERIFY(!before.empty());
        const QString message = resumeMessage(first.runId);
        QVERIFY2(message.contains("outside the workspace"), qPrintable(message));
        QCOMPARE(listing(), before);
    }

    // Issue 32: one process trains a run at a time. While `embervlm train` runs, a resume of the
    // same run is refused naming that process; once it is killed, the lock is free again.
    void aRunIsTrainedByOneProcessAtATime()
    {
        auto c = tinyConfig(3, 100000);
        c.init_checkpoint = init_;
        QProcess p;
        QVERIFY(startTrainer(p, c));
        int64_t runId = 0;
        QElapsedTimer t;
        t.start();
        while (!runId && t.elapsed() < 120000) {
            p.waitForReadyRead(1000);
            while (p.canReadLine()) {
                const auto j = json::parse(p.readLine().toStdString());
                if (j["event"] == "started")
                    runId = j["run"];
            }
        }
        QVERIFY(runId > 0);
        const qint64 pid = p.processId();
        const QString message = resumeMessage(runId);
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        p.waitForFinished();
        QVERIFY2(message.contains(QString("run %1 is being trained by process %2").arg(runId).arg(pid)), qPrintable(message));
        auto ws = data::Workspace::open(ws_.toStdString());
        QCOMPARE(QString::fromLatin1(data::toString(ws.run(runId)->status)), QString("running"));   // not marked failed by the refusal
    }

    // kill -9 in the middle of a run: the last checkpoint is whole and the run resumes to the end.
    void killedRunResumes()
    {
        auto c = tinyConfig(3, 400);
        c.init_checkpoint = init_;
        c.checkpoint_every = 2;
        QProcess p;
        QVERIFY(startTrainer(p, c));
        int64_t runId = 0;
        bool checkpointed = false;
        QElapsedTimer t;
        t.start();
        while (!checkpointed && t.elapsed() < 120000) {
            p.waitForReadyRead(1000);
            while (p.canReadLine()) {
                auto j = json::parse(p.readLine().toStdString());
                if (j["event"] == "started")
                    runId = j["run"];
                if (j["event"] == "checkpoint" && j["step"] >= 4)
                    checkpointed = true;
            }
        }
        QVERIFY(checkpointed);
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        p.waitForFinished();
        auto ws = data::Workspace::open(ws_.toStdString());
        QCOMPARE(QString::fromLatin1(data::toString(ws.run(runId)->status)), QString("running"));   // it never got to say otherwise
        // Resume with fewer remaining steps: shorten the run through its stored config.
        auto run = *ws.run(runId);
        auto cfg = train::TrainConfig();
        cfg.applyJson(run.config);
        cfg.max_steps = 10;
        run.config = cfg.toJson();
        ws.updateRun(run);
        train::TrainerOptions o;
        o.workspaceDir = ws_.toStdString();
        o.resumeRunId = runId;
        o.progress = [](const std::string&) {};
        const auto r = train::runTraining(o);
        QCOMPARE(QString::fromLatin1(data::toString(r.status)), QString("finished"));
        QCOMPARE(r.steps, int64_t(10));
    }

    // Ctrl-C (SIGINT) and SIGTERM stop `embervlm train` after a checkpoint: exit 130 / 143, the
    // run paused (resumable), its JSON lines kept in runs/run-N/train.log.
    void signalStopsTrainingWithACheckpoint_data()
    {
        QTest::addColumn<int>("sig");
        QTest::newRow("SIGINT") << int(SIGINT);
        QTest::newRow("SIGTERM") << int(SIGTERM);
    }

    void signalStopsTrainingWithACheckpoint()
    {
        QFETCH(int, sig);
        auto c = tinyConfig(3, 100000);
        c.init_checkpoint = init_;
        QProcess p;
        p.start(EMBERVLM_BIN_DIR "/embervlm",
                {"train", "-w", ws_, "--stage", "3", "--config", QString::fromStdString(c.toJson()), "--threads", "1"});
        QVERIFY(p.waitForStarted());
        int64_t runId = 0;
        bool stepped = false;
        QElapsedTimer t;
        t.start();
        while (!stepped && t.elapsed() < 120000 && p.state() == QProcess::Running) {
            p.waitForReadyRead(1000);
            while (p.canReadLine()) {
                auto j = json::parse(p.readLine().toStdString());
                if (j["event"] == "started")
                    runId = j["run"];
                stepped = stepped || j["event"] == "step";
            }
        }
        QVERIFY2(stepped, p.readAllStandardError().constData());
        ::kill(static_cast<pid_t>(p.processId()), sig);
        QVERIFY(p.waitForFinished(120000));
        const QByteArray rest = p.readAllStandardOutput(), err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 128 + sig);
        QVERIFY2(rest.contains("\"event\":\"stopped\""), rest.constData());
        QVERIFY2(err.contains("--resume " + QByteArray::number(qint64(runId))), err.constData());
        auto ws = data::Workspace::open(ws_.toStdString());
        const auto run = *ws.run(runId);
        QCOMPARE(QString::fromLatin1(data::toString(run.status)), QString("paused"));
        const QString runDir = QString::fromStdString(train::runDirectory(ws_.toStdString(), runId));
        QVERIFY(!QDir(runDir).entryList({"ckpt-*.safetensors"}).isEmpty());
        QFile log(runDir + "/train.log");
        QVERIFY(log.open(QIODevice::ReadOnly));
        const QByteArray lines = log.readAll();
        QVERIFY2(lines.contains("\"event\":\"started\""), qPrintable(runDir + ": " + lines.left(200)));
        QVERIFY(lines.contains("\"event\":\"step\""));
        QVERIFY(lines.contains("\"event\":\"stopped\""));
    }

    // The workspace lists each checkpoint file of a run once, and only files that are there:
    // every new best overwrites best.safetensors, every new checkpoint rotates the last away.
    void checkpointRowsMatchTheFiles()
    {
        auto c = tinyConfig(3, 8);
        c.init_checkpoint = init_;
        c.eval_every = 1;
        c.checkpoint_every = 3;
        int bests = 0, saves = 0;
        auto o = trainerOn(c);
        o.progress = [&](const std::string& line) {
            auto j = json::parse(line);
            if (j["event"] == "checkpoint") {
                ++saves;
                bests += j["best"].get<bool>();
            }
        };
        const auto r = train::runTraining(o);
        QCOMPARE(QString::fromLatin1(data::toString(r.status)), QString("finished"));
        // Without a second best and a rotation this test would not tell anything.
        QVERIFY2(bests >= 2 && saves > bests, qPrintable(QString("%1 bests of %2 checkpoints").arg(bests).arg(saves)));
        auto ws = data::Workspace::open(ws_.toStdString());
        const auto rows = ws.checkpoints(r.runId);
        std::set<std::string> paths;
        int best = 0;
        for (const auto& row : rows) {
            QVERIFY2(paths.insert(row.path).second, row.path.c_str());
            QVERIFY2(std::filesystem::exists(std::filesystem::path(ws_.toStdString()) / row.path), row.path.c_str());
            best += row.isBest;
        }
        QCOMPARE(best, 1);
        QVERIFY(!rows.empty());
    }

    // Stage 2 distils from an imported top-k file; a malformed file names its line.
    void teacherFileDistillation()
    {
        auto ws = data::Workspace::open(ws_.toStdString());
        const QString path = dir_.path() + "/teacher.jsonl";
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            for (const auto& row : ws.query({})) {
                auto s = ws.get(row.id);
                for (size_t qa = 0; qa < s->qa.size(); ++qa) {
                    const auto enc = data::encodeSample(*s, data::Stage::Instruction, qa);
                    json topk = json::array();
                    for (size_t t = 0; t < enc.ids.size(); ++t)
                        if (enc.loss[t])
                            topk.push_back({{enc.ids[t], -0.1}, {13, -2.5}, {262, -3.0}});
                    f.write(QByteArray::fromStdString(json{{"uid", s->uid}, {"qa", qa}, {"topk", topk}}.dump() + "\n"));
                }
            }
        }
        auto c = tinyConfig(2, 2);
        c.init_checkpoint = init_;
        c.teacher_logits = path.toStdString();
        double distill = 0;
        auto o = trainerOn(c);
        o.progress = [&](const std::string& line) {
            auto j = json::parse(line);
            if (j["event"] == "step")
                distill = j["parts"]["distill"];
        };
        const auto r = train::runTraining(o);
        QCOMPARE(QString::fromLatin1(data::toString(r.status)), QString("finished"));
        QVERIFY2(distill > 0, qPrintable(QString::number(distill)));

        QFile bad(dir_.path() + "/bad-teacher.jsonl");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\"uid\": \"nope\", \"topk\": [[[1, -0.5]]]}\n");
        bad.close();
        c.teacher_logits = bad.fileName().toStdString();
        o.config = c;
        try {
            train::runTraining(o);
            QFAIL("a teacher file naming an unknown sample was accepted");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("bad-teacher.jsonl:1: no sample with uid 'nope'"), e.what());
        }
    }

    // Two processes on loopback, each with half of the global batch, follow the curve of one
    // process with the whole batch (dropout, BatchNorm and cross-sample terms switched off so the
    // two compute the same function; tolerance 1e-4 relative for float summation order).
    void dataParallelMatchesSingleProcess()
    {
        // Three steps: a data-parallel run drops an epoch's partial last batch (every rank needs a
        // slice), and 28 training samples in batches of 8 leave one at step 4.
        auto c = tinyConfig(3, 3);
        c.init_checkpoint = dir_.path().toStdString() + "/nodrop.safetensors";
        {
            ModelConfig mc = ModelConfig::preset_named("lite");
            mc.applyOverrides(kTinyModel);
            mc.dropout = 0.0;
            EmberVLM m(mc);
            initWeights(*m, 1);
            saveCheckpointFile(c.init_checkpoint, *m);
        }
        c.freeze = {"vision"};
        c.consistency_weight = 0.0;
        c.reasoning_text_weight = 0.0;
        c.batch_size = 4;
        const QString cfgTwo = QString::fromStdString(c.toJson());
        c.batch_size = 8;
        const QString cfgOne = QString::fromStdString(c.toJson());
        auto curve = [](QProcess& p) {
            std::vector<double> losses;
            for (const auto& line : p.readAllStandardOutput().split('\n')) {
                if (line.trimmed().isEmpty())
                    continue;
                auto j = json::parse(line.toStdString());
                if (j["event"] == "step")
                    losses.push_back(j["loss"]);
            }
            return losses;
        };
        QProcess one;
        one.start(EMBERVLM_BIN_DIR "/embervlm", {"train", "-w", ws_, "--stage", "3", "--config", cfgOne, "--threads", "1"});
        QVERIFY(one.waitForFinished(180000));
        QCOMPARE(one.exitCode(), 0);
        const auto single = curve(one);
        const QString master = "127.0.0.1:" + QString::number(29500 + (QCoreApplication::applicationPid() % 1000));
        QProcess r0, r1;
        const QStringList common{"train", "-w", ws_, "--stage", "3", "--config", cfgTwo, "--threads", "1", "--world-size", "2",
                                 "--master", master};
        r0.start(EMBERVLM_BIN_DIR "/embervlm", common + QStringList{"--rank", "0"});
        r1.start(EMBERVLM_BIN_DIR "/embervlm", common + QStringList{"--rank", "1"});
        QVERIFY(r0.waitForFinished(180000));
        QVERIFY(r1.waitForFinished(180000));
        QVERIFY2(r0.exitCode() == 0, r0.readAllStandardError().constData());
        QCOMPARE(r1.exitCode(), 0);
        const auto parallel = curve(r0);
        QCOMPARE(parallel.size(), single.size());
        QCOMPARE(static_cast<int>(single.size()), 3);
        for (size_t i = 0; i < single.size(); ++i) {
            qInfo() << "step" << i + 1 << "one process" << single[i] << "two processes" << parallel[i];
            QVERIFY(std::abs(single[i] - parallel[i]) <= 1e-4 * std::max(1.0, std::abs(single[i])));
        }
    }

    // Issue 26: a workspace made only from a COCO captions import, or only from a LLaVA import,
    // of real photographs (scikit-image's) trains stages 1 and 2 with no demo-world assumption:
    // photographs of any size, no robot labels, no scene attributes; LLaVA's answers stand in for
    // captions in stage 1, COCO's captions answer "Describe the image." in stage 2.
    void importedPhotographsTrainStagesOneAndTwo()
    {
        const std::string photos = "/usr/lib/python3/dist-packages/skimage/data";
        const std::vector<std::string> names{"astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg",
                                             "motorcycle_left.png", "hubble_deep_field.jpg"};
        QVERIFY2(std::filesystem::exists(photos + "/astronaut.png"),
                 "python3-skimage's photographs are missing: scripts/deps.sh --tests installs them");
        QTemporaryDir d;
        const std::string root = d.path().toStdString();
        std::filesystem::create_directories(root + "/coco/annotations");
        std::filesystem::create_directories(root + "/coco/val2017");
        json images = json::array(), annotations = json::array(), llava = json::array();
        for (size_t i = 0; i < names.size(); ++i) {
            const cv::Mat m = cv::imread(photos + "/" + names[i], cv::IMREAD_COLOR);
            QVERIFY2(!m.empty(), names[i].c_str());
            const std::string file = "00000000" + std::to_string(1000 + i) + ".jpg";
            cv::imwrite(root + "/coco/val2017/" + file, m);
            const auto id = static_cast<int64_t>(1000 + i);
            images.push_back({{"id", id}, {"file_name", file}, {"width", m.cols}, {"height", m.rows}});
            const std::string what = names[i].substr(0, names[i].find('.'));
            for (int k = 0; k < 3; ++k)
                annotations.push_back({{"id", id * 10 + k}, {"image_id", id}, {"caption", "A photograph of " + what + " number " + std::to_string(k) + "."}});
            llava.push_back({{"id", file.substr(0, 12)}, {"image", file},
                             {"conversations", {{{"from", "human"}, {"value", "<image>\nWhat is shown?"}},
                                                {{"from", "gpt"}, {"value", "It shows " + what + "."}}}}});
        }
        testutil::writeFile(root + "/coco/annotations/captions_val2017.json",
                            json{{"images", images}, {"annotations", annotations}}.dump());
        testutil::writeFile(root + "/llava.json", llava.dump());
        for (const std::string kind : {"coco", "llava"}) {
            const std::string wsDir = root + "/ws-" + kind;
            {
                auto ws = data::Workspace::open(wsDir);
                data::ImportOptions io;
                io.imagesDir = root + "/coco/val2017";
                const auto r = kind == "coco" ? data::importCoco(ws, root + "/coco/annotations/captions_val2017.json", io)
                                              : data::importLlava(ws, root + "/llava.json", io);
                QCOMPARE(r.imported, int64_t(names.size()));
                // every photograph reaches the batches as an image, at the model's size
                data::BatchOptions bo;
                bo.stage = data::Stage::Alignment;
                bo.filter = {};
                bo.imageSize = 64;
                bo.batchSize = static_cast<int>(names.size());
                data::BatchBuilder batches(ws, bo);
                const auto b = batches.next();
                QCOMPARE(b.hasImage.sum().item<int64_t>(), int64_t(names.size()));
            }
            for (int stage : {1, 2}) {
                auto c = tinyConfig(stage, 2);
                c.split = "all";
                auto o = trainerOn(c);
                o.workspaceDir = wsDir;
                int64_t samples = -1;
                double loss = -1;
                o.progress = [&](const std::string& l) {
                    const auto j = json::parse(l);
                    if (j.value("event", "") == "started") samples = j.value("samples", int64_t(-1));
                    if (j.value("event", "") == "step") loss = j.value("loss", -1.0);
                };
                const auto r = train::runTraining(o);
                QVERIFY2(r.status == data::RunStatus::Finished, (kind + " stage " + std::to_string(stage) + ": " + r.message).c_str());
                QCOMPARE(samples, int64_t(names.size()));
                QVERIFY2(std::isfinite(loss) && loss > 0, (kind + " stage " + std::to_string(stage)).c_str());
            }
        }
    }

private:
    // `embervlm train` on this suite's workspace with config c, as its own process (JSON lines on stdout).
    bool startTrainer(QProcess& p, const train::TrainConfig& c)
    {
        p.setProgram(EMBERVLM_BIN_DIR "/embervlm");
        p.setArguments({"train", "-w", ws_, "--stage", "3", "--config", QString::fromStdString(c.toJson()), "--threads", "1"});
        p.start();
        return p.waitForStarted();
    }

    // A two-step run of the tiny model from the suite's checkpoint, quietly.
    train::TrainResult tinyFinishedRun()
    {
        auto c = tinyConfig(3, 2);
        c.init_checkpoint = init_;
        auto o = trainerOn(c);
        o.progress = [](const std::string&) {};
        return train::runTraining(o);
    }

    // Resumes run runId (quietly): the run's message when it ends, or the set-up error's text.
    QString resumeMessage(int64_t runId)
    {
        train::TrainerOptions again;
        again.workspaceDir = ws_.toStdString();
        again.resumeRunId = runId;
        again.progress = [](const std::string&) {};
        try {
            return QString::fromStdString(train::runTraining(again).message);
        } catch (const std::exception& e) {
            return QString::fromUtf8(e.what());
        }
    }

    QTemporaryDir dir_;
    QString ws_;
    std::string init_;

    // The trainer on this suite's workspace with config c.
    train::TrainerOptions trainerOn(const train::TrainConfig& c) const
    {
        train::TrainerOptions o;
        o.workspaceDir = ws_.toStdString();
        o.config = c;
        return o;
    }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "test_training.moc"
