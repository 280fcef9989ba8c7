// Tests for datasets/workspace: schema and migrations, sample CRUD, paging queries, label
// histogram, runs/metrics/checkpoints.
#include <QtTest>

#include "content_hash.h"
#include "datasets_test_util.h"
#include "schema.h"
#include "sqlite_db.h"
#include "workspace.h"

#include <filesystem>

using namespace ember::data;

Q_DECLARE_METATYPE(ember::data::SampleQuery)

class TestWorkspace final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Known answers (FIPS 180-2 / NIST CAVS): the hash that names images and assigns splits.
    void sha256KnownAnswers()
    {
        QCOMPARE(QString::fromStdString(sha256Hex("")),
                 QString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(QString::fromStdString(sha256Hex("abc")),
                 QString("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(QString::fromStdString(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
                 QString("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        QCOMPARE(QString::fromStdString(sha256Hex(std::string(1000000, 'a'))),
                 QString("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
        QCOMPARE(hash64("abc"), uint64_t(0xba7816bf8f01cfeaULL));
    }

    void opensWithWalForeignKeysAndVersion()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        QVERIFY(std::filesystem::is_directory(testutil::path(dir, "ws/images")));
        {   // statements finish before the next write
            auto st = ws.database().prepare("PRAGMA journal_mode");
            QVERIFY(st.step());
            QCOMPARE(QString::fromStdString(st.getText(0)), QStringLiteral("wal"));
            auto fk = ws.database().prepare("PRAGMA foreign_keys");
            QVERIFY(fk.step());
            QCOMPARE(fk.getInt(0), 1);
            auto v = ws.database().prepare("PRAGMA user_version");
            QVERIFY(v.step());
            QCOMPARE(v.getInt(0), static_cast<int64_t>(schemaVersion()));
        }
        // Reopening migrates nothing and keeps the data.
        Sample s = testutil::fullSample(1);
        ws.insert(s);
        auto again = Workspace::open(testutil::path(dir, "ws"));
        QCOMPARE(again.count(), 1);
    }

    void refusesNewerSchema()
    {
        QTemporaryDir dir;
        {
            auto ws = Workspace::open(testutil::path(dir, "ws"));
            ws.database().exec("PRAGMA user_version=" + std::to_string(schemaVersion() + 1));
        }
        try {
            Workspace::open(testutil::path(dir, "ws"));
            QFAIL("a newer schema must be refused");
        } catch (const DbError& e) {
            QVERIFY(std::string(e.what()).find("newer") != std::string::npos);
        }
    }

    void sampleRoundTripsEveryField()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        Sample s = testutil::fullSample(7);
        const auto id = ws.insert(s);
        QVERIFY(id > 0);
        QVERIFY(!s.uid.empty());
        QVERIFY(s.created > 0);
        const auto got = ws.get(id);
        QVERIFY(got);
        QCOMPARE(got->task, s.task);
        QCOMPARE(got->instruction, s.instruction);
        QCOMPARE(got->robots, (std::vector<int>{1, 4}));   // MODEL.md order
        QCOMPARE(got->reasoning, s.reasoning);
        QVERIFY(got->subtasks == s.subtasks);
        QVERIFY(got->qa == s.qa);
        QCOMPARE(got->caption, s.caption);
        QCOMPARE(int(got->split), int(Split::Val));
        QCOMPARE(int(got->status), int(Status::Reviewed));
        QCOMPARE(got->author, s.author);
        QCOMPARE(got->created, s.created);
        QCOMPARE(ws.getByUid(s.uid)->id, id);
    }

    void updateReplacesChildrenAndRemoveCascades()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        Sample s = testutil::fullSample(1);
        ws.insert(s);
        Sample copy = testutil::fullSample(2);
        copy.derivedFrom = s.uid;
        ws.insert(copy);
        s.reasoning = {"Only one step."};
        s.qa.clear();
        s.robots = {2};
        const auto before = s.modified;
        ws.update(s);
        auto got = ws.get(s.id);
        QCOMPARE(got->reasoning.size(), size_t(1));
        QVERIFY(got->qa.empty());
        QCOMPARE(got->robots, std::vector<int>{2});
        QVERIFY(got->modified > before);
        QVERIFY(ws.remove(s.id));
        QCOMPARE(ws.count(), 0);   // the derived copy went with its source
        auto st = ws.database().prepare("SELECT COUNT(*) FROM reasoning_steps");
        st.step();
        QCOMPARE(st.getInt(0), 0);
    }

    void invalidSamplesAreRefused()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        Sample s = testutil::fullSample(1);
        s.robots = {9};
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ws.insert(s));
        Sample t = testutil::fullSample(1);
        t.id = 12345;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ws.update(t));
        QCOMPARE(ws.count(), 0);
    }

    void queryFilters_data()
    {
        QTest::addColumn<SampleQuery>("query");
        QTest::addColumn<int>("expected");
        SampleQuery all;
        QTest::newRow("all") << all << 100;
        SampleQuery train;
        train.split = Split::Train;
        QTest::newRow("split") << train << 50;
        SampleQuery reviewed;
        reviewed.status = Status::Reviewed;
        QTest::newRow("status") << reviewed << 25;
        SampleQuery drone;
        drone.robot = 0;
        QTest::newRow("robot") << drone << 20;
        SampleQuery text;
        text.text = "NUMBER 1";   // case-insensitive: 1, 10..19, 100 → 1 and 10..19
        QTest::newRow("text") << text << 11;
        SampleQuery percent;
        percent.text = "%";
        QTest::newRow("wildcards are literal") << percent << 0;
        SampleQuery combo;
        combo.split = Split::Train;
        combo.robot = 0;
        QTest::newRow("combined") << combo << 10;
        SampleQuery src;
        src.source = "batch-b";
        QTest::newRow("source prefix") << src << 50;
        SampleQuery page;
        page.offset = 95;
        page.limit = 10;
        QTest::newRow("page at the end") << page << 5;
    }

    void queryFilters()
    {
        QFETCH(SampleQuery, query);
        QFETCH(int, expected);
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        std::vector<Sample> v;
        for (int i = 0; i < 100; ++i) {
            Sample s;
            s.task = "task number " + std::to_string(i);
            s.robots = {i % 5};
            s.split = i % 2 ? Split::Val : Split::Train;
            s.status = i % 4 == 0 ? Status::Reviewed : Status::Draft;
            s.source = i < 50 ? "batch-a" : "batch-b";
            v.push_back(s);
        }
        ws.insertMany(v);
        QCOMPARE(static_cast<int>(ws.query(query).size()), expected);
        if (query.limit < 0) QCOMPARE(ws.count(query), static_cast<int64_t>(expected));
    }

    void sortAndPage()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        std::vector<Sample> v;
        for (const char* t : {"delta", "Alpha", "charlie", "bravo", "echo"}) {
            Sample s;
            s.task = t;
            v.push_back(s);
        }
        ws.insertMany(v);
        SampleQuery q;
        q.sort = SampleQuery::Sort::Task;
        q.limit = 2;
        q.offset = 1;
        auto rows = ws.query(q);
        QCOMPARE(rows.size(), size_t(2));
        QCOMPARE(QString::fromStdString(rows[0].task), QStringLiteral("bravo"));
        QCOMPARE(QString::fromStdString(rows[1].task), QStringLiteral("charlie"));
        q.descending = true;
        q.offset = 0;
        QCOMPARE(QString::fromStdString(ws.query(q)[0].task), QStringLiteral("echo"));
    }

    void labelHistogramCountsEveryLabel()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        std::vector<Sample> v(3);
        v[0].task = "a";
        v[0].robots = {0, 4};
        v[1].task = "b";
        v[1].robots = {4};
        v[2].task = "c";
        v[2].robots = {2};
        ws.insertMany(v);
        QCOMPARE(ws.labelHistogram(), (std::vector<int64_t>{1, 0, 1, 0, 2}));
        SampleQuery legs;
        legs.robot = 4;
        QCOMPARE(ws.labelHistogram(legs), (std::vector<int64_t>{1, 0, 0, 0, 2}));
    }

    void runsMetricsCheckpoints()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        RunInfo r;
        r.name = "stage3";
        r.stage = 3;
        r.config = R"({"lr":0.001})";
        ws.createRun(r);
        QVERIFY(r.id > 0);
        for (int step = 0; step < 10; ++step) ws.addMetrics(r.id, step, {{"train/loss", 1.0 / (step + 1)}, {"lr", 0.001}});
        ws.addMetric(r.id, "train/loss", 5, 42.0);   // a resumed run overwrites the step
        auto pts = ws.metrics(r.id, "train/loss");
        QCOMPARE(pts.size(), size_t(10));
        QCOMPARE(pts[5].value, 42.0);
        QCOMPARE(ws.metrics(r.id, "train/loss", 8).size(), size_t(2));
        QCOMPARE(ws.metricNames(r.id), (std::vector<std::string>{"lr", "train/loss"}));
        CheckpointInfo a{0, r.id, 100, "runs/1/a.safetensors", "{}", true, 0};
        CheckpointInfo b{0, r.id, 200, "runs/1/b.safetensors", "{}", true, 0};
        ws.addCheckpoint(a);
        ws.addCheckpoint(b);
        auto cps = ws.checkpoints(r.id);
        QCOMPARE(cps.size(), size_t(2));
        QVERIFY(!cps[0].isBest);   // only one best per run
        QVERIFY(cps[1].isBest);
        r.status = RunStatus::Finished;
        ws.updateRun(r);
        QCOMPARE(QString::fromLatin1(toString(ws.run(r.id)->status)), QStringLiteral("finished"));
        RunInfo bad = r;
        bad.status = static_cast<RunStatus>(42);   // not a status: the database refuses it
        QVERIFY_THROWS_EXCEPTION(DbError, ws.updateRun(bad));
    }

    // A file holds one step's weights: a new best written over best.safetensors replaces the
    // row of the best before it, and a rotated-away checkpoint's row goes with its files.
    void oneCheckpointRowPerFile()
    {
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "ws");
        int64_t runId = 0;
        {
            auto ws = Workspace::open(root);
            RunInfo r;
            r.name = "r";
            r.stage = 3;
            ws.createRun(r);
            runId = r.id;
            CheckpointInfo best10{0, runId, 10, "runs/run-1/best.safetensors", "{}", true, 0};
            CheckpointInfo last20{0, runId, 20, "runs/run-1/ckpt-20.safetensors", "{}", false, 0};
            CheckpointInfo best30{0, runId, 30, "runs/run-1/best.safetensors", "{}", true, 0};
            ws.addCheckpoint(best10);
            ws.addCheckpoint(last20);
            ws.addCheckpoint(best30);
            auto cps = ws.checkpoints(runId);
            QCOMPARE(cps.size(), size_t(2));
            QCOMPARE(cps[0].step, int64_t(20));
            QCOMPARE(cps[1].step, int64_t(30));
            QVERIFY(cps[1].isBest);
            ws.removeCheckpoint(runId, "runs/run-1/ckpt-20.safetensors");
            cps = ws.checkpoints(runId);
            QCOMPARE(cps.size(), size_t(1));
            QCOMPARE(cps[0].step, int64_t(30));
            // What an older studio left: two rows for the one file.
            ws.database().exec("INSERT INTO checkpoints(run_id, step, path, is_best, created) "
                               "VALUES(" + std::to_string(runId) + ", 40, 'runs/run-1/best.safetensors', 1, 0)");
            QCOMPARE(ws.checkpoints(runId).size(), size_t(2));
        }
        std::filesystem::create_directories(root + "/runs/run-1");
        testutil::writeFile(root + "/runs/run-1/best.safetensors", "weights");
        auto ws = Workspace::open(root);
        ws.tidy();   // as on the first open in a process: the newest row of each file stays
        const auto cps = ws.checkpoints(runId);
        QCOMPARE(cps.size(), size_t(1));
        QCOMPARE(cps[0].step, int64_t(40));
    }

    void reasoningFormatRoundTrips()
    {
        const std::vector<std::string> steps{"Look.", "Think about step 2 here.", "Answer."};
        const auto text = formatReasoning(steps);
        QCOMPARE(QString::fromStdString(text), QStringLiteral("Step 1: Look. Step 2: Think about step 2 here. Step 3: Answer."));
        QCOMPARE(parseReasoning(text), steps);
    }

    void robotListsParse()
    {
        QCOMPARE(parseRobotList("Robot with Legs, drone"), (std::vector<int>{0, 4}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseRobotList("Drone, Submarine"));
        QCOMPARE(QString::fromStdString(joinRobots({0, 4})), QStringLiteral("Drone, Robot with Legs"));
    }
};

QTEST_APPLESS_MAIN(TestWorkspace)
#include "test_workspace.moc"
