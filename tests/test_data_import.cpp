// Tests for datasets importers, exporters and splits: the two public upstream formats (read
// from ../shared), the own JSONL (lossless round trip), image folders (duplicates, corrupt
// files), errors naming file/line/field with a full rollback, cancel, deterministic splits.
#include <QtTest>

#include "datasets_test_util.h"
#include "exporters.h"
#include "importers.h"
#include "splits.h"
#include "workspace.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

using namespace ember::data;
namespace fs = std::filesystem;

namespace {

void writeImage(const std::string& p, int seed) { testutil::writeSeededImage(p, seed); }

} // namespace

class TestDataImport final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void importsUpstreamSingle()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importUpstreamSingle(ws, testutil::upstream("single_robot_selection.json"));
        QCOMPARE(r.imported, 250);
        QCOMPARE(ws.count(), 250);
        const auto first = ws.get(r.ids.front());
        QCOMPARE(QString::fromStdString(first->task), QStringLiteral("Inspect a high-rise building’s exterior for damage."));
        QCOMPARE(first->robots, std::vector<int>{0});
        QVERIFY(first->instruction.rfind("Robots: Drone", 0) == 0);
        SampleQuery multi;
        multi.robot = 4;
        // "Drone, Robot with Legs" etc. carry both labels: as many as the file's outputs name it.
        int legged = 0;
        for (const auto& rec : nlohmann::json::parse(testutil::readFile(testutil::upstream("single_robot_selection.json"))))
            legged += rec["output"].get<std::string>().find("Robot with Legs") != std::string::npos;
        QVERIFY(legged > 0);
        QCOMPARE(ws.count(multi), static_cast<int64_t>(legged));
        // The catalogue is stored once, not 250 times.
        auto st = ws.database().prepare("SELECT COUNT(*) FROM instructions");
        st.step();
        QCOMPARE(st.getInt(0), 1);
        // A second import of the same file adds nothing.
        const auto again = importUpstreamSingle(ws, testutil::upstream("single_robot_selection.json"));
        QCOMPARE(again.imported, 0);
        QCOMPARE(again.skipped, 250);
    }

    void importsUpstreamMulti()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importUpstreamMulti(ws, testutil::upstream("multi_robot_selection_dataset.json"));
        QCOMPARE(r.imported, 250);
        const auto s = ws.get(r.ids.front());
        QCOMPARE(s->subtasks.size(), size_t(4));
        QCOMPARE(QString::fromStdString(s->subtasks[0].text), QStringLiteral("Aerial overview and structural assessment from above"));
        QCOMPARE(s->subtasks[0].robot, 0);
        QCOMPARE(s->subtasks[2].robot, 4);
        QCOMPARE(s->subtasks[3].order, 4);
        QCOMPARE(s->robots, std::vector<int>{0});
    }

    void upstreamExportReimports()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        importUpstreamSingle(ws, testutil::upstream("single_robot_selection.json"));
        importUpstreamMulti(ws, testutil::upstream("multi_robot_selection_dataset.json"));
        const auto single = testutil::path(dir, "out/single.json");
        const auto multi = testutil::path(dir, "out/multi.json");
        QCOMPARE(exportUpstreamSingle(ws, single).written, 500);
        const auto m = exportUpstreamMulti(ws, multi);
        QCOMPARE(m.written, 250);
        QCOMPARE(m.skipped, 250);   // single-robot records have no subtasks
        auto ws2 = Workspace::open(testutil::path(dir, "ws2"));
        importUpstreamSingle(ws2, single);
        importUpstreamMulti(ws2, multi);
        QCOMPARE(ws2.count(), 750);
        QCOMPARE(ws2.labelHistogram(), [&] {
            auto h = ws.labelHistogram();
            auto hm = ws.labelHistogram([] { SampleQuery q; q.source = "upstream-multi"; return q; }());
            for (size_t i = 0; i < h.size(); ++i) h[i] += hm[i];
            return h;
        }());
        const auto j = nlohmann::json::parse(testutil::readFile(single));
        QCOMPARE(QString::fromStdString(j[0]["input"].get<std::string>()).left(6), QStringLiteral("Task: "));
    }

    void jsonlRoundTripIsLossless()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        importUpstreamMulti(ws, testutil::upstream("multi_robot_selection_dataset.json"));
        writeImage(testutil::path(dir, "pics/a.png"), 1);
        Sample s = testutil::fullSample(1);
        s.image = ws.storeImageFile(testutil::path(dir, "pics/a.png")).info;
        ws.insert(s);
        Sample d = testutil::fullSample(2);
        d.derivedFrom = s.uid;
        d.augmentation = "paraphrase";
        ws.insert(d);
        const auto a = testutil::path(dir, "a/all.jsonl"), b = testutil::path(dir, "b/all.jsonl");
        QCOMPARE(exportJsonl(ws, a).written, 252);
        auto ws2 = Workspace::open(testutil::path(dir, "ws2"));
        const auto r = importJsonl(ws2, a);
        QVERIFY(r.warnings.empty());
        QCOMPARE(r.imported, 252);
        exportJsonl(ws2, b);
        QCOMPARE(testutil::readFile(a), testutil::readFile(b));
        const auto back = ws2.getByUid(s.uid);
        QCOMPARE(QString::fromStdString(back->image.hash), QString::fromStdString(s.image.hash));
        QCOMPARE(back->image.width, 60);
        // Importing the same file again is a no-op.
        QCOMPARE(importJsonl(ws2, a).skipped, 252);
    }

    void malformedRecordRollsBack_data()
    {
        QTest::addColumn<QString>("content");
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("field");
        const QString ok = QStringLiteral(R"({"task":"Fly over the field.","robots":["Drone"]})");
        QTest::newRow("bad json") << ok + "\n" + ok + "\n{\"task\": oops}\n" << 3 << "";
        QTest::newRow("unknown robot") << ok + "\n" + R"({"task":"x","robots":["Drone","Submarine"]})" + "\n" << 2 << "robots[1]";
        QTest::newRow("wrong type") << ok + "\n\n" + R"({"task":"x","caption":5})" + "\n" << 3 << "caption";
        QTest::newRow("bad split") << R"({"task":"x","split":"holdout"})" + QString("\n") << 1 << "split";
        QTest::newRow("qa answer missing") << ok + "\n" + R"({"task":"x","qa":[{"question":"q"}]})" << 2 << "qa[0].answer";
        QTest::newRow("subtask robot") << R"({"task":"x","subtasks":[{"subtask":"s","assigned_robot":"Tank","execution_order":1}]})" << 1
                                       << "subtasks[0].assigned_robot";
        QTest::newRow("dangling derived_from") << ok + "\n" + R"({"task":"y","derived_from":"nosuchuid"})" << 2 << "derived_from";
        QTest::newRow("not an object") << ok + "\n[1,2]\n" << 2 << "";
    }

    void malformedRecordRollsBack()
    {
        QFETCH(QString, content);
        QFETCH(int, line);
        QFETCH(QString, field);
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        Sample keep = testutil::fullSample(0);
        ws.insert(keep);
        const auto file = testutil::path(dir, "bad.jsonl");
        testutil::writeFile(file, content.toStdString());
        try {
            importJsonl(ws, file);
            QFAIL("import should fail");
        } catch (const ImportError& e) {
            QCOMPARE(QString::fromStdString(e.file), QString::fromStdString(file));
            QCOMPARE(e.line, static_cast<int64_t>(line));
            QCOMPARE(QString::fromStdString(e.field), field);
            QVERIFY(std::string(e.what()).find(file + ":" + std::to_string(line)) == 0);
        }
        QCOMPARE(ws.count(), 1);   // nothing of the failed import stayed
    }

    void malformedUpstreamRecordNamesLine()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto file = testutil::path(dir, "bad.json");
        testutil::writeFile(file, "[\n  {\"input\": \"Task: a\", \"output\": \"Drone\"},\n  {\"input\": \"Task: b\",\n   \"output\": \"Robot with Fins\"}\n]\n");
        try {
            importUpstreamSingle(ws, file);
            QFAIL("import should fail");
        } catch (const ImportError& e) {
            QCOMPARE(e.line, int64_t(3));
            QCOMPARE(QString::fromStdString(e.field), QStringLiteral("output"));
        }
        QCOMPARE(ws.count(), 0);
        testutil::writeFile(file, "[{\"input\": \"Task: a\", \"subtasks\": [{\"subtask\": \"s\", \"assigned_robot\": \"Drone\"}]}]");
        try {
            importUpstreamMulti(ws, file);
            QFAIL("import should fail");
        } catch (const ImportError& e) {
            QCOMPARE(QString::fromStdString(e.field), QStringLiteral("subtasks[0].execution_order"));
        }
        QVERIFY_THROWS_EXCEPTION(ImportError, importUpstreamSingle(ws, testutil::path(dir, "missing.json")));
    }

    void cancelRollsBack()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        QVERIFY_THROWS_EXCEPTION(Cancelled, importUpstreamSingle(ws, testutil::upstream("single_robot_selection.json"), {},
                                                                 [](int64_t done, int64_t) { return done < 200; }));
        QCOMPARE(ws.count(), 0);
    }

    void imageFolderDetectsDuplicatesAndCorruptFiles()
    {
        QTemporaryDir dir;
        const auto pics = testutil::path(dir, "pics");
        writeImage(pics + "/a.png", 1);
        writeImage(pics + "/sub/b.jpg", 2);
        writeImage(pics + "/sub/deeper/c.bmp", 3);
        fs::copy_file(pics + "/a.png", pics + "/sub/a-copy.png");
        testutil::writeFile(pics + "/broken.jpg", "\xff\xd8\xff\xe0 this is not really a jpeg");
        testutil::writeFile(pics + "/empty.png", "");
        testutil::writeFile(pics + "/notes.txt", "ignored");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importImageFolder(ws, pics);
        QCOMPARE(r.imported, 3);
        QCOMPARE(r.skipped, 1);
        QCOMPARE(r.warnings.size(), size_t(3));   // the duplicate, the broken and the empty file
        QCOMPARE(ws.imageCount(), 3);
        const auto s = ws.get(r.ids[0]);
        QVERIFY(fs::exists(ws.absolutePath(s->image.path)));
        QVERIFY(!ws.thumbnail(s->image.id).empty());
        QCOMPARE(int(s->status), int(Status::Draft));
        // Everything is a duplicate the second time.
        QCOMPARE(importImageFolder(ws, pics).imported, 0);
    }

    void failedImportRemovesItsImageFiles()
    {
        QTemporaryDir dir;
        writeImage(testutil::path(dir, "x/p.png"), 5);
        testutil::writeFile(testutil::path(dir, "x/data.jsonl"),
                            R"({"task":"a","image":"p.png"})" "\n" R"({"task":"b","robots":["Nope"]})" "\n");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        QVERIFY_THROWS_EXCEPTION(ImportError, importJsonl(ws, testutil::path(dir, "x/data.jsonl")));
        QCOMPARE(ws.imageCount(), 0);
        size_t files = 0;
        for (auto& e : fs::recursive_directory_iterator(ws.absolutePath("images")))
            files += e.is_regular_file();
        QCOMPARE(files, size_t(0));
    }

    void detectsFormats()
    {
        QCOMPARE(QString::fromStdString(detectFormat(testutil::upstream("single_robot_selection.json"))), QStringLiteral("single"));
        QCOMPARE(QString::fromStdString(detectFormat(testutil::upstream("multi_robot_selection_dataset.json"))), QStringLiteral("multi"));
        QCOMPARE(QString::fromStdString(detectFormat(testutil::upstream(""))), QStringLiteral("folder"));
    }

    void splitsAreDeterministicAndProportional()
    {
        QTemporaryDir dir;
        auto a = Workspace::open(testutil::path(dir, "a"));
        auto b = Workspace::open(testutil::path(dir, "b"));
        auto v = testutil::samplesWithTasks("task ", 3000);
        a.insertMany(v);
        std::vector<Sample> rev(v.rbegin(), v.rend());
        for (auto& s : rev) s.id = 0, s.uid.clear(), s.created = s.modified = 0;
        b.insertMany(rev);   // another order, another workspace
        const auto ca = assignSplits(a);
        const auto cb = assignSplits(b);
        QCOMPARE(ca, cb);
        QCOMPARE(ca[0], 0);
        QVERIFY(std::abs(ca[1] - 2100) < 120);
        QVERIFY(std::abs(ca[2] - 600) < 90);
        QVERIFY(std::abs(ca[3] - 300) < 70);
        for (int i : {0, 17, 999, 2999}) {
            SampleQuery q;
            q.text = "task " + std::to_string(i);
            // The one sample of that exact task in each workspace (a text query is a substring match).
            auto exact = [&](Workspace& w) {
                std::vector<SampleRow> rows;
                for (auto& r : w.query(q))
                    if (r.task == q.text)
                        rows.push_back(r);
                return rows;
            };
            const auto ra = exact(a), rb = exact(b);
            QCOMPARE(ra.size(), size_t(1));
            QCOMPARE(rb.size(), size_t(1));
            QCOMPARE(int(ra[0].split), int(rb[0].split));
        }
        // Another seed gives another partition; re-running with the same seed changes nothing.
        QCOMPARE(assignSplits(a), ca);
        SplitOptions other;
        other.seed = 9;
        const auto before = a.query([] { SampleQuery q; q.limit = -1; return q; }());
        assignSplits(a, other);
        const auto after = a.query([] { SampleQuery q; q.limit = -1; return q; }());
        QCOMPARE(after.size(), before.size());
        int moved = 0;
        for (size_t i = 0; i < after.size(); ++i)
            moved += after[i].split != before[i].split;
        QVERIFY2(moved > 300, qPrintable(QString::number(moved)));   // a different partition, not a relabelling of a few
    }

    void derivedCopiesFollowTheirSource()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        auto v = testutil::samplesWithTasks("original ", 200);
        ws.insertMany(v);
        std::vector<Sample> copies;
        for (const auto& s : v)
            for (int k = 0; k < 3; ++k) {
                Sample c;
                c.task = "paraphrase " + std::to_string(k) + " of " + s.task;
                c.derivedFrom = s.uid;
                copies.push_back(c);
            }
        ws.insertMany(copies);
        assignSplits(ws);
        auto st = ws.database().prepare(
            "SELECT COUNT(*) FROM samples c JOIN samples s ON c.derived_from = s.uid WHERE c.split <> s.split");
        st.step();
        QCOMPARE(st.getInt(0), 0);
    }

    void scaleImportAndPaging()
    {
        QTemporaryDir dir;
        const auto file = testutil::path(dir, "big.jsonl");
        {
            std::ofstream out(file);
            for (int i = 0; i < 10000; ++i)
                out << nlohmann::json{{"task", "Task " + std::to_string(i)}, {"robots", {robotName(i % 5)}},
                                      {"reasoning", {"One.", "Two.", "Three."}}, {"qa", {{{"question", "Q?"}, {"answer", "A."}}}},
                                      {"caption", "Caption " + std::to_string(i)}}.dump()
                    << "\n";
        }
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        auto t0 = std::chrono::steady_clock::now();
        QCOMPARE(importJsonl(ws, file).imported, 10000);
        const double importS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        qInfo("import of 10,000 JSONL samples: %.3f s", importS);
        QVERIFY(importS < 2.0);
        // Grow to 100,000 rows and page without loading them.
        std::vector<Sample> more(90000);
        for (size_t i = 0; i < more.size(); ++i) {
            more[i].task = "Bulk " + std::to_string(i) + (i % 4 ? " on the hill" : " under the pier");
            more[i].robots = {static_cast<int>(i % 5)};
            more[i].split = i % 3 ? Split::Train : Split::Test;
        }
        ws.insertMany(more);
        auto reopened = Workspace::open(testutil::path(dir, "ws"));
        QCOMPARE(reopened.count(), 100000);
        double worst = 0;
        for (int k = 0; k < 4; ++k) {
            SampleQuery q;
            q.limit = 50;
            q.offset = k == 0 ? 0 : 99950;
            if (k == 1) q.sort = SampleQuery::Sort::Task, q.descending = true, q.offset = 40000;
            if (k == 2) q.split = Split::Test, q.robot = 2, q.offset = 2000;
            if (k == 3) q.text = "UNDER THE PIER", q.offset = 10000;
            t0 = std::chrono::steady_clock::now();
            QCOMPARE(reopened.query(q).size(), size_t(50));
            worst = std::max(worst, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        qInfo("slowest 50-row page of 100,000: %.1f ms", worst);
        QVERIFY(worst < 500);
    }

    void exportSplitsWritesThreeFiles()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        importUpstreamSingle(ws, testutil::upstream("single_robot_selection.json"));
        const auto counts = assignSplits(ws);
        const auto out = testutil::path(dir, "splits");
        QCOMPARE(exportSplits(ws, out).written, 250);
        int lines = 0;
        for (const char* f : {"train.jsonl", "val.jsonl", "test.jsonl"}) {
            const auto text = testutil::readFile(out + "/" + f);
            lines += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
        }
        QCOMPARE(lines, 250);
        const auto train = testutil::readFile(out + "/train.jsonl");
        QCOMPARE(static_cast<int64_t>(std::count(train.begin(), train.end(), '\n')), counts[1]);
    }
};

QTEST_APPLESS_MAIN(TestDataImport)
#include "test_data_import.moc"
