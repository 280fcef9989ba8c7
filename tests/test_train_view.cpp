// The Train view over a real workspace and the real `embervlm train` child process: a tiny run
// launched from the form draws its curves, Stop stops the process (and Resume continues the
// run), a second view re-attaches to a run another view launched, and the redraw is coalesced.
#include "loss_chart.h"
#include "many_runs.h"
#include "runs_model.h"
#include "sqlite_db.h"
#include "run_series.h"
#include "studio_test_util.h"
#include "train_form.h"
#include "train_process.h"
#include "train_view.h"
#include "workspace.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QLabel>
#include <QSlider>
#include <QTableView>
#include <QTemporaryDir>

#include <cmath>
#include <csignal>

using namespace ember::studio;
namespace data = ember::data;

namespace {

// A model of a few thousand parameters at 64 px: six steps take seconds on two cores.
const char* kTinyModel =
    R"({\"image_size\":64,\"vision_widths\":[8,16,24,32],\"vision_depths\":[1,1,1,1],\"n_embd\":32,\"n_head\":2,)"
    R"(\"n_layer\":1,\"n_inner\":64,\"proj_hidden\":32,\"reasoning_hidden\":32,\"validator_hidden\":16,\"answer_hidden\":16})";

QString tinyConfig(int maxSteps, int checkpointEvery = 50)
{
    return QString(R"({"preset":"lite","model_overrides":"%1","batch_size":4,"max_steps":%2,"eval_split":"none","checkpoint_every":%3})")
        .arg(kTinyModel)
        .arg(maxSteps)
        .arg(checkpointEvery);
}

// "ETA 1 min 5 s · 12.3 samples/s": both figures present ("–" where a metric row is missing).
const QRegularExpression kProgressText(QStringLiteral("^ETA \\d[^–]* · \\d+\\.\\d samples/s"));

QThread* gGuiThread = nullptr;
std::atomic<int> gGuiQueries{0};
std::string gFirstGuiQuery;

void countGuiQueries(const std::string& sql)
{
    if (QThread::currentThread() == gGuiThread && gGuiQueries++ == 0)
        gFirstGuiQuery = sql;
}

void setStage(TrainForm* f, const QString& stage)
{
    f->stageBox()->setCurrentIndex(f->stageBox()->findData(stage));
}

} // namespace

class TestTrainView final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString ws_;

    std::unique_ptr<TrainView> makeView()
    {
        auto v = std::make_unique<TrainView>();
        v->resize(1280, 800);
        v->show();
        v->setWorkspace(ws_);
        return v;
    }

    static QString dbStatus(const QString& ws, qint64 run)
    {
        auto w = data::Workspace::open(ws.toStdString());
        const auto r = w.run(run);
        return r ? QString::fromLatin1(data::toString(r->status)) : QString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        ws_ = studio_test::startWithDemoWorkspace(dir_);
        QVERIFY2(!ws_.isEmpty(), "the temporary folder is not valid");
        TrainProcess::setProgram(QStringLiteral(EMBERVLM_BIN_DIR "/embervlm"));
        QVERIFY2(QFileInfo::exists(TrainProcess::program()), qPrintable(TrainProcess::program()));
    }

    void emaIsDebiased()
    {
        const QVector<double> x{2, 2, 2, 2};
        for (double v : debiasedEma(x, 0.9))
            QVERIFY(std::abs(v - 2.0) < 1e-12);   // a constant stays constant from the first point
        QCOMPARE(debiasedEma(x, 0.0), x);
        const auto e = debiasedEma({0, 10}, 0.5);
        QVERIFY(std::abs(e[1] - (0.5 * 10 / 0.75)) < 1e-12);   // (1-β)·10, over 1-β²
    }

    // With 500 runs the view fills its table, shows curves, follows a selection and an overlay
    // tick, and the GUI thread never once opens the database or runs a query on it.
    void manyRunsNeverQueryOnTheGuiThread()
    {
        const QString ws = dir_.path() + "/many";
        ember::bench::addFinishedRuns(ws.toStdString(), 500);
        gGuiThread = QThread::currentThread();
        gGuiQueries = 0;
        data::setQueryObserver(countGuiQueries);
        {
            TrainView v;
            v.resize(1280, 800);
            v.show();
            v.setWorkspace(ws);
            QAbstractItemModel* m = v.runsTable()->model();
            QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 500, 30000);
            QCOMPARE(m->index(0, 0).data(RunsModel::kRunIdRole).toLongLong(), 500);   // newest first
            QCOMPARE(m->index(0, 2).data().toString(), QString("finished"));
            QCOMPARE(m->index(0, 3).data().toString(), QString("20"));
            QTRY_COMPARE_WITH_TIMEOUT(v.lossChart()->pointCount(), 21, 10000);   // run 500: 20 train points, 1 val
            QTRY_COMPARE_WITH_TIMEOUT(v.checkpointList()->count(), 1, 10000);
            v.runsTable()->selectRow(250);
            QTRY_VERIFY_WITH_TIMEOUT(v.checkpointList()->item(0)->text().startsWith("run 250 "), 5000);
            QVERIFY(m->setData(m->index(100, 0), Qt::Checked, Qt::CheckStateRole));
            QCOMPARE(v.overlaid(), (QList<qint64>{400, 500}));
            QTRY_COMPARE_WITH_TIMEOUT(v.lossChart()->pointCount(), 42, 10000);
            QSignalSpy polls(v.monitor(), &RunMonitor::snapshot);
            QTRY_VERIFY_WITH_TIMEOUT(polls.count() >= 2, 10000);   // two more polls, with nobody acting
        }
        const int seen = gGuiQueries;
        data::Workspace::open(ws.toStdString()).runs();   // control: the observer does see GUI-thread calls
        const int control = gGuiQueries - seen;
        data::setQueryObserver(nullptr);
        QVERIFY2(seen == 0, qPrintable(QString("%1 database calls on the GUI thread, the first: %2")
                                           .arg(seen)
                                           .arg(QString::fromStdString(gFirstGuiQuery))));
        QVERIFY(control >= 2);
    }

    void formValidatesBeforeStart()
    {
        TrainForm f;
        setStage(&f, "3");
        f.extraJsonEdit()->setText(tinyConfig(6));
        QVERIFY(f.isValid());
        f.extraJsonEdit()->setText(R"({"batch_size":0})");
        QString err;
        QVERIFY(f.arguments(&err).isEmpty());
        QVERIFY2(err.contains("batch_size"), qPrintable(err));
        f.extraJsonEdit()->setText(R"({"no_such_knob":1})");
        QVERIFY(!f.isValid());
        f.extraJsonEdit()->setText(R"({"phase":1})");   // phase is stage 4's only
        QVERIFY(!f.isValid());
        setStage(&f, "4");
        QVERIFY(f.isValid());
    }

    void redrawIsCoalesced()
    {
        LossChart c("test");
        c.resize(400, 300);
        c.show();
        SeriesData d;
        const int before = c.replotCount();
        for (int i = 0; i < 2000; ++i) {   // data far faster than any screen
            d.step.push_back(i);
            d.seconds.push_back(i * 0.001);
            d.value.push_back(1.0 / (i + 1));
            c.setCurves({{1, "train/loss", "loss", d}});
        }
        QTRY_COMPARE_WITH_TIMEOUT(c.replotCount(), before + 1, 2000);
        QVERIFY(!c.redrawPending());   // and no second one scheduled
        QCOMPARE(c.replotCount(), before + 1);
        QCOMPARE(c.pointCount(), 2000);
    }

    // Issue 27: after a workspace with curves, one without runs shows empty charts, and moving
    // the smoothing slider or ticking log scale redraws them from nothing, never from the
    // curves of the workspace before (whose storage the view has freed: a use-after-free that
    // AddressSanitizer reports, scripts/test-sanitize.sh).
    void smoothingAfterOpeningAnEmptyWorkspace()
    {
        const QString few = dir_.path() + "/few-runs", none = dir_.path() + "/no-runs";
        ember::bench::addFinishedRuns(few.toStdString(), 3);
        data::Workspace::open(none.toStdString());
        TrainView v;
        v.resize(1280, 800);
        v.show();
        QSlider* smoothing = nullptr;
        for (auto* s : v.findChildren<QSlider*>())
            if (s->toolTip().startsWith("Debiased"))
                smoothing = s;
        QCheckBox* logScale = nullptr;
        for (auto* c : v.findChildren<QCheckBox*>())
            if (c->text() == "Log scale")
                logScale = c;
        QVERIFY(smoothing && logScale);

        v.setWorkspace(few);
        QTRY_COMPARE_WITH_TIMEOUT(v.lossChart()->pointCount(), 21, 10000);   // run 3: 20 train points, 1 val
        QTRY_COMPARE_WITH_TIMEOUT(v.lrChart()->pointCount(), 20, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(v.gradChart()->pointCount(), 20, 10000);

        QSignalSpy snapshots(v.monitor(), &RunMonitor::snapshot);
        v.setWorkspace(none);
        // The monitor's first snapshot of the empty workspace: those of the first are gone too.
        QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty() && snapshots.last().at(0).value<RunSnapshot>().workspace == none, 10000);
        int replots = v.lossChart()->replotCount();
        QTest::keyClick(smoothing, Qt::Key_PageUp);   // 60 -> 70
        QCOMPARE(smoothing->value(), 70);
        QTRY_VERIFY_WITH_TIMEOUT(v.lossChart()->replotCount() > replots, 5000);   // redrawn under the new smoothing
        QCOMPARE(v.lossChart()->pointCount(), 0);
        // Log scale applies to the loss and gradient charts (the learning rate keeps its axis).
        const std::vector<LossChart*> charts{v.lossChart(), v.gradChart()};
        std::vector<int> before;
        for (LossChart* c : charts)
            before.push_back(c->replotCount());
        QTest::mouseClick(logScale, Qt::LeftButton, {}, QPoint(8, logScale->height() / 2));
        QVERIFY(logScale->isChecked());
        for (size_t i = 0; i < charts.size(); ++i) {
            QTRY_VERIFY_WITH_TIMEOUT(charts[i]->replotCount() > before[i], 5000);
            QCOMPARE(charts[i]->pointCount(), 0);
        }
        QCOMPARE(v.lrChart()->pointCount(), 0);

        // Back to the first workspace: its curves return under the new settings.
        v.setWorkspace(few);
        QTRY_COMPARE_WITH_TIMEOUT(v.lossChart()->pointCount(), 21, 10000);
        replots = v.lossChart()->replotCount();
        QTest::keyClick(smoothing, Qt::Key_PageDown);
        QCOMPARE(smoothing->value(), 60);
        QTest::mouseClick(logScale, Qt::LeftButton, {}, QPoint(8, logScale->height() / 2));
        QVERIFY(!logScale->isChecked());
        QTRY_VERIFY_WITH_TIMEOUT(v.lossChart()->replotCount() > replots, 5000);
        QCOMPARE(v.lossChart()->pointCount(), 21);
    }

    void tinyRunDrawsCurves()
    {
        auto v = makeView();
        setStage(v->form(), "3");
        v->form()->extraJsonEdit()->setText(tinyConfig(6));
        QSignalSpy ended(v.get(), &TrainView::runEnded);
        QVERIFY(v->start());
        QVERIFY(v->isRunning());
        QVERIFY(ended.wait(180000));
        QCOMPARE(ended.first().at(1).toString(), QString("finished"));
        const qint64 run = ended.first().at(0).toLongLong();
        QCOMPARE(dbStatus(ws_, run), QString("finished"));
        QTRY_VERIFY_WITH_TIMEOUT(!v->isRunning(), 10000);
        // Six steps of the loss, learning rate and gradient norm in the charts.
        QTRY_VERIFY_WITH_TIMEOUT(v->lossChart()->pointCount() >= 6, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(v->lrChart()->pointCount(), 6, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(v->gradChart()->pointCount(), 6, 5000);
        QCOMPARE(v->progressBar()->value(), 6);
        // The table and the list come from the monitor's snapshots: the next one has them.
        QTRY_VERIFY_WITH_TIMEOUT(v->checkpointList()->count() >= 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(v->checkpointList()->item(0)->data(Qt::UserRole).toString()), 5000);
        QVERIFY(v->runsTable()->model()->rowCount() >= 1);
        QTRY_COMPARE_WITH_TIMEOUT(v->runsTable()->model()->index(0, 2).data().toString(), QString("finished"), 5000);
        QVERIFY(v->runsTable()->model()->index(0, 4).data().toString() != "–");   // last loss
        const QString csv = dir_.path() + "/runs.csv";
        QVERIFY(v->exportCsv(csv));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().count('\n') > 6);
        QVERIFY(v->exportPng(dir_.path() + "/loss.png"));
        QVERIFY(QImage(dir_.path() + "/loss.png").width() > 100);
    }

    void stopStopsAndResumeContinues()
    {
        auto v = makeView();
        setStage(v->form(), "3");
        v->form()->extraJsonEdit()->setText(tinyConfig(2000, 100000));
        QSignalSpy started(v.get(), &TrainView::runStarted);
        QSignalSpy ended(v.get(), &TrainView::runEnded);
        QVERIFY(v->start());
        QVERIFY(started.wait(120000));
        const qint64 run = started.first().at(0).toLongLong();
        QTRY_VERIFY_WITH_TIMEOUT(v->progressBar()->value() >= 2, 120000);
        // The trainer's own ETA and rate, read from its metric rows ("–" when it recorded none).
        QTRY_VERIFY_WITH_TIMEOUT(kProgressText.match(v->statusLabel()->text()).hasMatch(), 10000);
        const qint64 pid = v->processPid();
        QVERIFY(pid > 0);
        QVERIFY(TrainProcess::isTrainerAlive(pid));
        v->stop();
        QVERIFY(ended.wait(60000));
        QCOMPARE(ended.first().at(1).toString(), QString("stopped"));
        QTRY_VERIFY_WITH_TIMEOUT(!TrainProcess::isTrainerAlive(pid), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!v->isRunning(), 10000);
        QCOMPARE(dbStatus(ws_, run), QString("paused"));
        const int stoppedAt = v->progressBar()->value();

        ended.clear();
        QVERIFY(v->resume(run));
        QTRY_VERIFY_WITH_TIMEOUT(v->progressBar()->value() > stoppedAt + 1, 120000);
        QCOMPARE(v->activeRun(), run);   // the same run goes on
        v->stop();
        QVERIFY(ended.wait(60000));
        QCOMPARE(ended.first().at(1).toString(), QString("stopped"));
    }

    void survivesACrashedRun()
    {
        auto v = makeView();
        setStage(v->form(), "3");
        v->form()->extraJsonEdit()->setText(tinyConfig(100000, 100000));
        QSignalSpy started(v.get(), &TrainView::runStarted);
        QSignalSpy ended(v.get(), &TrainView::runEnded);
        QVERIFY(v->start());
        QVERIFY(started.wait(120000));
        const qint64 run = started.first().at(0).toLongLong();
        QTRY_VERIFY_WITH_TIMEOUT(v->progressBar()->value() >= 1, 120000);
        QCOMPARE(::kill(static_cast<pid_t>(v->processPid()), SIGKILL), 0);   // no checkpoint, no last line
        QVERIFY(ended.wait(30000));
        QCOMPARE(ended.first().at(1).toString(), QString("crashed"));
        QCOMPARE(dbStatus(ws_, run), QString("failed"));   // not left "running" for ever
        QVERIFY(!v->isRunning());
        QVERIFY(v->form()->isEnabled());
    }

    void reopenedViewReattaches()
    {
        qint64 run = 0, pid = 0;
        {
            auto v = makeView();
            setStage(v->form(), "3");
            v->form()->extraJsonEdit()->setText(tinyConfig(100000, 100000));
            QSignalSpy started(v.get(), &TrainView::runStarted);
            QVERIFY(v->start());
            QVERIFY(started.wait(120000));
            run = started.first().at(0).toLongLong();
            pid = v->processPid();
            QTRY_VERIFY_WITH_TIMEOUT(v->progressBar()->value() >= 1, 120000);
        }   // the view (as the studio would on quit) goes; the run keeps training
        QVERIFY(TrainProcess::isTrainerAlive(pid));
        QCOMPARE(dbStatus(ws_, run), QString("running"));

        auto v2 = makeView();
        QTRY_VERIFY_WITH_TIMEOUT(v2->isRunning(), 5000);   // once the monitor's first snapshot is in
        QCOMPARE(v2->activeRun(), run);
        QCOMPARE(v2->processPid(), pid);
        QVERIFY(v2->overlaid().contains(run));
        // Curves keep growing from the database alone.
        QTRY_VERIFY_WITH_TIMEOUT(v2->lossChart()->pointCount() > 0, 10000);
        const int n = v2->lossChart()->pointCount();
        QTRY_VERIFY_WITH_TIMEOUT(v2->lossChart()->pointCount() > n, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(kProgressText.match(v2->statusLabel()->text()).hasMatch(), 10000);
        QVERIFY2(v2->statusLabel()->text().endsWith("(re-attached)"), qPrintable(v2->statusLabel()->text()));
        QVERIFY(v2->stopButton()->isEnabled());
        QSignalSpy ended(v2.get(), &TrainView::runEnded);
        v2->stop();   // by the pid file: SIGTERM, checkpoint, "stopped"
        QVERIFY(ended.wait(60000));
        QTRY_VERIFY_WITH_TIMEOUT(!TrainProcess::isTrainerAlive(pid), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(dbStatus(ws_, run), QString("paused"), 30000);
    }
};

QTEST_MAIN(TestTrainView)
#include "test_train_view.moc"
