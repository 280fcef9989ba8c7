// Two processes on one workspace (the studio and a training run), and a process killed in the
// middle of an import. The test binary runs itself as the second process (--writer/--importer).
#include <algorithm>
#include <QtTest>

#include "datasets_test_util.h"
#include "sqlite_db.h"
#include "workspace.h"

#include <QProcess>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

using namespace ember::data;

namespace {

std::string selfPath;

// --writer DIR N: N samples, one transaction each, plus metrics as a training run would write.
int writer(const std::string& dir, int n)
{
    auto ws = Workspace::open(dir);
    RunInfo run;
    run.name = "helper";
    ws.createRun(run);
    for (int i = 0; i < n; ++i) {
        Sample s;
        s.task = "written by the helper " + std::to_string(i);
        s.source = "helper";
        ws.insert(s);
        ws.addMetric(run.id, "train/loss", i, 1.0 / (i + 1));
    }
    return 0;
}

// --importer DIR MARKER: one endless import transaction; touches MARKER once it is under way.
int importer(const std::string& dir, const std::string& marker)
{
    auto ws = Workspace::open(dir);
    std::vector<Sample> v(1000000);
    for (size_t i = 0; i < v.size(); ++i) v[i].task = "uncommitted " + std::to_string(i);
    ws.insertMany(v, [&](int64_t done, int64_t) {
        if (done > 2000) {
            std::ofstream(marker) << "started";
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return true;
    });
    return 0;
}

} // namespace

class TestDataConcurrency final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void twoProcessesShareOneWorkspace()
    {
        QTemporaryDir dir;
        const auto wsDir = testutil::path(dir, "ws");
        auto ws = Workspace::open(wsDir);
        constexpr int kHelper = 300, kMine = 300;
        QProcess helper;
        helper.start(QString::fromStdString(selfPath), {"--writer", QString::fromStdString(wsDir), QString::number(kHelper)});
        QVERIFY(helper.waitForStarted());
        int64_t seenMax = 0;
        for (int i = 0; i < kMine; ++i) {
            Sample s;
            s.task = "written by the test " + std::to_string(i);
            s.source = "test";
            ws.insert(s);
            if (i % 10 == 0) {   // the studio pages while the run writes
                SampleQuery q;
                q.limit = 50;
                q.sort = SampleQuery::Sort::Modified;
                q.descending = true;
                // A full page (or every row, when fewer), while the other process keeps adding rows.
                const auto before = ws.count();
                const auto page = ws.query(q);
                QVERIFY(static_cast<int64_t>(page.size()) >= std::min<int64_t>(50, before) && page.size() <= 50);
                const auto n = ws.count();
                QVERIFY(n >= seenMax);   // readers always see a consistent, growing table
                seenMax = n;
            }
        }
        QVERIFY(helper.waitForFinished(60000));
        QCOMPARE(helper.exitCode(), 0);
        QCOMPARE(ws.count(), kHelper + kMine);
        SampleQuery fromHelper;
        fromHelper.source = "helper";
        QCOMPARE(ws.count(fromHelper), kHelper);
        QCOMPARE(ws.metrics(ws.runs().at(0).id, "train/loss").size(), size_t(kHelper));
        auto st = ws.database().prepare("PRAGMA integrity_check");
        QVERIFY(st.step());
        QCOMPARE(QString::fromStdString(st.getText(0)), QStringLiteral("ok"));
    }

    void killDuringImportLosesNothingCommitted()
    {
        QTemporaryDir dir;
        const auto wsDir = testutil::path(dir, "ws");
        const auto marker = testutil::path(dir, "started");
        {
            auto ws = Workspace::open(wsDir);
            std::vector<Sample> v(500);
            for (size_t i = 0; i < v.size(); ++i) v[i].task = "committed " + std::to_string(i);
            ws.insertMany(v);
        }
        QProcess helper;
        helper.start(QString::fromStdString(selfPath), {"--importer", QString::fromStdString(wsDir), QString::fromStdString(marker)});
        QVERIFY(helper.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(QString::fromStdString(marker)), 60000);
        ::kill(static_cast<pid_t>(helper.processId()), SIGKILL);
        QVERIFY(helper.waitForFinished(10000));
        auto ws = Workspace::open(wsDir);
        QCOMPARE(ws.count(), 500);
        SampleQuery q;
        q.text = "uncommitted";
        QCOMPARE(ws.count(q), 0);
        auto st = ws.database().prepare("PRAGMA integrity_check");
        QVERIFY(st.step());
        QCOMPARE(QString::fromStdString(st.getText(0)), QStringLiteral("ok"));
        // The workspace takes writes again at once.
        Sample s;
        s.task = "after the crash";
        ws.insert(s);
        QCOMPARE(ws.count(), 501);
    }
};

int main(int argc, char** argv)
{
    selfPath = QFileInfo(QString::fromLocal8Bit(argv[0])).absoluteFilePath().toStdString();
    if (argc == 4 && std::string(argv[1]) == "--writer") return writer(argv[2], std::atoi(argv[3]));
    if (argc == 4 && std::string(argv[1]) == "--importer") return importer(argv[2], argv[3]);
    TestDataConcurrency t;
    return QTest::qExec(&t, argc, argv);
}

#include "test_data_concurrency.moc"
