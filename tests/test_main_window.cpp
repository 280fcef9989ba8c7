// The studio window: the status bar follows the loaded checkpoint, a bad checkpoint leaves the
// previous model in place with a message, the first start makes a usable workspace, and closing
// during a generation exits at once.
#include "ask_view.h"
#include "cpu_isa.h"
#include "runtime.h"
#include "conversation_view.h"
#include "main_window.h"
#include "message_bar.h"
#include "studio_log.h"
#include "studio_resources.h"
#include "studio_test_util.h"
#include "train_process.h"
#include "train_view.h"

#include <QPushButton>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cmath>

using namespace ember::studio;

class TestMainWindow final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString checkpoint_;

    StudioOptions withSmallModel(const QString& workspace) const
    {
        StudioOptions o;
        o.workspace = workspace;
        o.checkpoint = checkpoint_;
        return o;
    }

    // Shows w and waits for the model it was opened with.
    static bool showAndWaitForModel(MainWindow& w)
    {
        QSignalSpy loaded(&w, &MainWindow::modelChanged);
        w.show();
        return loaded.wait(60000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        studio_test::isolateSettings();
        QVERIFY(dir_.isValid());
        ember::Engine e("cpu");
        e.initRandom(ember::ModelConfig::fromJson(studio_test::kSmallConfig), 2);
        checkpoint_ = dir_.path() + "/small.safetensors";
        e.saveCheckpoint(checkpoint_.toStdString());
    }

    // Issue 26: File > Open checkpoint takes the zip file torch.save(model.state_dict()) writes
    // (the same tensors as small.safetensors: it opens, and the model is loaded from it) and
    // refuses one carrying a Python object, running nothing.
    void pytorchStateDictOpensFromTheDialog()
    {
        const QString pt = dir_.path() + "/pytorch_model.bin", hostile = dir_.path() + "/hostile.bin";
        for (const QStringList& args : {QStringList{checkpoint_, pt}, QStringList{checkpoint_, hostile, "--hostile"}}) {
            QProcess py;
            py.start("/usr/bin/python3", QStringList{EMBERVLM_SOURCE_DIR "/tests/reference/safetensors_to_pt.py"} + args);
            QVERIFY(py.waitForFinished(120000));
            QVERIFY2(py.exitStatus() == QProcess::NormalExit && py.exitCode() == 0,
                     qPrintable("Debian's python3-torch writes the .bin files (scripts/deps.sh --tests): " +
                                QString::fromUtf8(py.readAllStandardError())));
        }
        MainWindow w(withSmallModel(dir_.path() + "/ws-pt"));
        QVERIFY(showAndWaitForModel(w));
        const auto params = w.modelInfo().parameters;
        QSignalSpy loaded(&w, &MainWindow::modelChanged);
        w.openOrImportCheckpoint(pt);
        QVERIFY(loaded.wait(60000));
        QCOMPARE(QString::fromStdString(w.modelInfo().name), QString("pytorch_model.bin"));
        QCOMPARE(w.modelInfo().parameters, params);
        w.openOrImportCheckpoint(hostile);
        QTRY_VERIFY_WITH_TIMEOUT(w.messageBar()->isVisible(), 30000);
        QVERIFY2(w.messageBar()->text().contains("refused") && w.messageBar()->text().contains("posix.system"),
                 qPrintable(w.messageBar()->text()));
        QVERIFY(!QFileInfo::exists(hostile + ".ran"));
        QCOMPARE(QString::fromStdString(w.modelInfo().name), QString("pytorch_model.bin"));
    }

    void statusBarFollowsTheCheckpoint()
    {
        const StudioOptions o = withSmallModel(dir_.path() + "/ws1");
        MainWindow w(o);
        QVERIFY(showAndWaitForModel(w));
        QVERIFY(w.modelReady());
        const QString status = w.statusText();
        QVERIFY2(status.contains("small.safetensors"), qPrintable(status));
        QVERIFY2(status.contains("random weights"), qPrintable(status));
        QVERIFY2(status.contains("parameters"), qPrintable(status));
        QVERIFY2(status.contains("threads"), qPrintable(status));
        QVERIFY(w.modelInfo().parameters > 0);
        // The workspace got its folders and a demo image, shown in Ask.
        QVERIFY(QFileInfo::exists(o.workspace + "/images/demo-rooftop.png"));
        QTRY_VERIFY(QFileInfo(w.askView()->imagePath()).fileName() == "demo-rooftop.png");   // decoded off the GUI thread

        // A bad checkpoint: a message, and the status bar and model stay as they were.
        const QString bad = dir_.path() + "/broken.safetensors";
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}", 24);
        f.close();
        QSignalSpy failed(&w, &MainWindow::modelLoadFailed);
        w.openCheckpoint(bad);
        QVERIFY(failed.wait(30000));
        QVERIFY(w.messageBar()->isVisible());
        QVERIFY2(w.messageBar()->text().contains("broken.safetensors"), qPrintable(w.messageBar()->text()));
        QCOMPARE(w.statusText(), status);
        QCOMPARE(QString::fromStdString(w.modelInfo().name), QString("small.safetensors"));
        QVERIFY(w.modelReady());
        w.openCheckpoint(dir_.path() + "/does-not-exist.safetensors");
        QVERIFY(failed.wait(30000));
        QCOMPARE(w.statusText(), status);

        // Closing during a long generation returns at once.
        ember::GenerationOptions g;
        g.maxNewTokens = 1000;
        g.stopAtEndOfText = false;
        w.askView()->setOptions(g);
        w.askView()->ask("Keep talking");
        QTRY_VERIFY_WITH_TIMEOUT(!w.askView()->conversation()->turns().isEmpty() &&
                                     w.askView()->conversation()->turns().last().tokens.size() >= 2,
                                 30000);
        QElapsedTimer t;
        t.start();
        QVERIFY(w.close());
        qInfo("closed during generation in %lld ms", static_cast<long long>(t.elapsed()));
        QVERIFY(t.elapsed() < 2000);
    }

    // Issue 15: a workspace whose database cannot be used is reported, and the report stays on
    // screen after the model loads (it once vanished, leaving "no samples"); a 0-byte database is
    // not filled with a demo world.
    void unusableWorkspaceDatabaseStaysReported()
    {
        const QString ws = dir_.path() + "/zero";
        QVERIFY(QDir().mkpath(ws));
        QFile db(ws + "/workspace.db");
        QVERIFY(db.open(QIODevice::WriteOnly));
        db.close();
        {
            MainWindow w(withSmallModel(ws));
            QVERIFY(showAndWaitForModel(w));
            QVERIFY(w.modelReady());
            QTRY_VERIFY(w.messageBar()->isVisible());   // the store opens on its worker
            QTRY_VERIFY2(w.messageBar()->text().contains("empty (0 bytes)"), qPrintable(w.messageBar()->text()));
        }   // closed: its workers have finished whatever they were asked to do
        QCOMPARE(QFileInfo(ws + "/workspace.db").size(), 0);
    }

    // With no checkpoint, the first start creates models/random-base.safetensors on the worker.
    void firstStartCreatesABaseModel()
    {
        StudioOptions o;
        o.workspace = dir_.path() + "/fresh";
        MainWindow w(o);
        QSignalSpy loaded(&w, &MainWindow::modelChanged);
        QVERIFY(!w.modelReady());
        QVERIFY(w.statusText().contains("Loading"));
        QVERIFY(loaded.wait(180000));
        QVERIFY(QFileInfo::exists(o.workspace + "/models/random-base.safetensors"));
        QVERIFY2(w.statusText().contains("random-base.safetensors"), qPrintable(w.statusText()));
        QVERIFY(w.statusText().contains("random weights"));
        QCOMPARE(w.modelInfo().parameters, qint64(36611686));   // base: shared/spec/parameters-base.txt summed (BatchNorm buffers aside)
    }

    // Issue 16: random weights are explained and the way out offered in place; the button runs
    // `embervlm demo` in the Train view, and the model it reports is loaded for Ask and Reasoning.
    void randomWeightsOfferTheDemoModel()
    {
        const QString trained = dir_.path() + "/demo-trained.safetensors";
        QVERIFY(QFile::copy(checkpoint_, trained));
        const QString fake = dir_.path() + "/fake-embervlm";
        QFile script(fake);
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write(QString("#!/bin/sh\n"
                             "echo \"$@\" > '%1/fake-args'\n"
                             "echo '{\"event\":\"started\",\"run\":1,\"stage\":1,\"total_steps\":2,\"start_step\":0,\"samples\":1}'\n"
                             "echo '{\"event\":\"finished\",\"step\":2,\"loss\":0.5}'\n"
                             "echo '{\"event\":\"demo\",\"checkpoint\":\"%2\",\"test_accuracy\":1.0}'\n")
                         .arg(dir_.path(), trained)
                         .toUtf8());
        script.close();
        script.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        TrainProcess::setProgram(fake);
        struct Restore {
            ~Restore() { TrainProcess::setProgram(QString()); }
        } restore;
        const StudioOptions o = withSmallModel(dir_.path() + "/offer");
        MainWindow w(o);
        QVERIFY(showAndWaitForModel(w));
        QVERIFY(!w.modelInfo().trained);
        QVERIFY(w.messageBar()->isVisible());
        QVERIFY2(w.messageBar()->text().contains("random weights"), qPrintable(w.messageBar()->text()));
        QPushButton* offer = w.messageBar()->actionButton();
        QVERIFY(offer->isVisible());
        // The figure is the demo's measured run, from the benchmark's file (not a typed-in literal).
        QFile run(EMBERVLM_SOURCE_DIR "/docs/bench/demo-seed1.json");
        QVERIFY(run.open(QIODevice::ReadOnly));
        const QJsonObject measured = QJsonDocument::fromJson(run.readAll()).object();
        const long minutes = std::lround(measured.value("seconds").toDouble() / 60);
        QVERIFY(minutes > 0);
        QCOMPARE(offer->text(), QString("Train the demo model (about %1 minutes)").arg(minutes));
        QVERIFY2(offer->toolTip().contains(measured.value("run").toObject().value("cpu").toString()), qPrintable(offer->toolTip()));
        QSignalSpy loaded(&w, &MainWindow::modelChanged);   // the demo's model, after the click
        QTest::mouseClick(offer, Qt::LeftButton);
        QCOMPARE(w.currentView(), int(MainWindow::Train));
        QVERIFY(loaded.wait(60000));
        QCOMPARE(QString::fromStdString(w.modelInfo().path), QFileInfo(trained).absoluteFilePath());
        QFile args(dir_.path() + "/fake-args");
        QVERIFY(args.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(args.readAll()).trimmed(), "demo -w " + QFileInfo(o.workspace).absoluteFilePath() + " --json");
    }

    // Help > About names what runs; the views' icons are the project's own and load (SVG).
    void aboutAndIcons()
    {
        MainWindow w(withSmallModel(dir_.path() + "/ws1"));
        const QString about = w.aboutText();
        for (const std::string& value : {ember::libtorchVersion(), ember::onednnVersion(), std::string(qVersion())})
            QVERIFY2(about.contains(QString::fromStdString(value)), qPrintable(about));
        QVERIFY(QString::fromStdString(ember::onednnVersion()).contains('.'));   // linked, not "not linked"
        QVERIFY(about.contains(QString::fromLatin1(ember::isaName(ember::activeIsa()))));
        for (const char* name : {"ask", "reasoning", "annotate", "train", "evaluate", "open-image", "run", "stop",
                                 "regenerate", "previous", "next", "close", "open-folder", "embervlm-studio"})
            QVERIFY2(!studioIcon(name).pixmap(24, 24).isNull(), name);
        QVERIFY(!demoSceneImage().isNull());
    }

    // The log: one file per run, the newest `keep` kept, messages from any category appended.
    void logRotatesAndKeepsMessages()
    {
        const QString folder = dir_.path() + "/logs";
        QStringList files;
        for (int i = 0; i < 5; ++i) {
            const QString f = StudioLog::install(folder, 3);
            QVERIFY(!f.isEmpty());
            files << f;
            qCInfo(lcEngine) << "message" << i;
        }
        qCWarning(lcData) << "a data warning";
        const QString current = StudioLog::currentFile();
        StudioLog::uninstall();
        QCOMPARE(current, files.last());
        // Exactly the three newest survive, whatever the clock did between the starts.
        QStringList kept;
        for (const QString& f : QDir(folder).entryList({"studio-*.log"}, QDir::Files, QDir::Name))
            kept << folder + "/" + f;
        QCOMPARE(kept, files.mid(2));
        QFile f(current);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        QVERIFY2(text.contains("info embervlm.engine: message 4"), qPrintable(text));
        QVERIFY2(text.contains("warning embervlm.data: a data warning"), qPrintable(text));
        QVERIFY(!text.contains("message 3"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
