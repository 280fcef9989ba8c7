// The studio window: the status bar follows the loaded checkpoint, a bad checkpoint leaves the
// previous model in place with a message, the first start makes a usable workspace, and closing
// during a generation exits at once.
#include "ask_view.h"
#include "conversation_view.h"
#include "main_window.h"
#include "message_bar.h"
#include "studio_test_util.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

using namespace ember::studio;

class TestMainWindow final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString checkpoint_;

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

    void statusBarFollowsTheCheckpoint()
    {
        StudioOptions o;
        o.workspace = dir_.path() + "/ws1";
        o.checkpoint = checkpoint_;
        MainWindow w(o);
        QSignalSpy loaded(&w, &MainWindow::modelChanged);
        w.show();
        QVERIFY(loaded.wait(60000));
        QVERIFY(w.modelReady());
        const QString status = w.statusText();
        QVERIFY2(status.contains("small.safetensors"), qPrintable(status));
        QVERIFY2(status.contains("random weights"), qPrintable(status));
        QVERIFY2(status.contains("parameters"), qPrintable(status));
        QVERIFY2(status.contains("threads"), qPrintable(status));
        QVERIFY(w.modelInfo().parameters > 0);
        // The workspace got its folders and a demo image, shown in Ask.
        QVERIFY(QFileInfo::exists(o.workspace + "/images/demo-rooftop.png"));
        QVERIFY(QFileInfo(w.askView()->imagePath()).fileName() == "demo-rooftop.png");

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
        StudioOptions o;
        o.workspace = ws;
        o.checkpoint = checkpoint_;
        MainWindow w(o);
        QSignalSpy loaded(&w, &MainWindow::modelChanged);
        w.show();
        QVERIFY(loaded.wait(60000));
        QVERIFY(w.modelReady());
        QVERIFY(w.messageBar()->isVisible());
        QVERIFY2(w.messageBar()->text().contains("empty (0 bytes)"), qPrintable(w.messageBar()->text()));
        QTest::qWait(300);
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
        QVERIFY(w.modelInfo().parameters > 10'000'000);
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
