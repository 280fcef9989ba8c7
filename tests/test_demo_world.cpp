// Tests for the demo world and augmentation: determinism, speed (2,000 samples < 30 s), tasks
// that never name their answer, step-by-step reasoning, label-preserving derived copies that
// never leak across splits.
#include <QtTest>

#include "augment.h"
#include "datasets_test_util.h"
#include "demo_world.h"
#include "splits.h"
#include "workspace.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

using namespace ember::data;

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::vector<Sample> all(const Workspace& ws)
{
    std::vector<Sample> out;
    for (auto id : ws.ids({})) out.push_back(*ws.get(id));
    return out;
}

} // namespace

class TestDemoWorld final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void twoThousandSamplesQuickly()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto t0 = std::chrono::steady_clock::now();
        int64_t lastDone = -1;
        const auto r = generateDemoWorld(ws, {}, [&](int64_t done, int64_t) {
            lastDone = done;
            return true;
        });
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        qInfo("demo world: 2000 samples in %.2f s", s);
        QVERIFY(s < 30.0);
        QCOMPARE(r.generated, 2000);
        QCOMPARE(lastDone, 2000);
        QCOMPARE(ws.count(), 2000);
        QCOMPARE(ws.imageCount(), 2000);   // every scene is different
        const auto hist = ws.labelHistogram();
        for (auto n : hist) QVERIFY2(n >= 150, "every robot is well represented");
        const auto splits = ws.splitCounts();
        QCOMPARE(splits[0], 0);
        QVERIFY(splits[1] > splits[2] && splits[2] > splits[3] && splits[3] > 0);

        std::set<std::string> tasks, captions;
        int multi = 0;
        for (const auto& smp : all(ws)) {
            tasks.insert(smp.task);
            captions.insert(smp.caption);
            QVERIFY(!smp.robots.empty());
            multi += smp.robots.size() > 1;
            QVERIFY(smp.reasoning.size() >= 4);
            QVERIFY(smp.qa.size() >= 3);
            QVERIFY(!smp.caption.empty());
            QCOMPARE(smp.image.width, 256);
            // The task must not give the answer away.
            const auto t = lower(smp.task);
            for (const char* name : {"drone", "underwater robot", "humanoid", "robot with wheels", "robot with legs", "robot"})
                QVERIFY2(t.find(name) == std::string::npos, smp.task.c_str());
            // The last step names every chosen robot.
            for (int rbt : smp.robots) QVERIFY(smp.reasoning.back().find(robotName(rbt)) != std::string::npos);
            if (smp.robots.size() > 1) QVERIFY(!smp.subtasks.empty());
        }
        QVERIFY(tasks.size() > 60);
        QVERIFY(captions.size() > 300);
        QVERIFY(multi > 100);
        // Generating again adds nothing.
        QCOMPARE(generateDemoWorld(ws).skipped, 2000);
    }

    void imageDecidedSamplesInEverySplit()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        DemoOptions o;
        o.count = 600;
        o.imageSize = 64;
        generateDemoWorld(ws, o);
        const auto samples = all(ws);
        std::map<std::string, std::map<uint32_t, int>> robotsByTask;   // decided tasks: robot set -> count
        std::map<Split, int> decidedBySplit;
        int decided = 0;
        for (const auto& smp : samples) {
            QVERIFY2(smp.scene.count("place") && !smp.scene.at("place").empty(), smp.uid.c_str());
            if (!smp.imageDecided) continue;
            ++decided;
            ++decidedBySplit[smp.split];
            ++robotsByTask[smp.task][robotMask(smp.robots)];
        }
        QVERIFY2(decided >= 0.4 * samples.size(), qPrintable(QString::number(decided)));
        for (Split sp : {Split::Train, Split::Val, Split::Test})
            QVERIFY2(decidedBySplit[sp] > 0, toString(sp).c_str());
        // Text alone cannot decide them: the best guess per task text (its most frequent robot
        // set) is right well under half the time, and every such text has several answers.
        int bestGuess = 0;
        for (const auto& [task, counts] : robotsByTask) {
            QVERIFY2(counts.size() >= 3, task.c_str());
            int most = 0;
            for (const auto& [mask, n] : counts) most = std::max(most, n);
            bestGuess += most;
        }
        QVERIFY2(bestGuess <= 0.45 * decided, qPrintable(QString("%1 of %2").arg(bestGuess).arg(decided)));
        // A sample keeps its flag and scene through the database.
        const auto& first = samples.front();
        QCOMPARE(ws.get(first.id)->scene, first.scene);
    }

    void deterministicForASeed()
    {
        QTemporaryDir dir;
        auto a = Workspace::open(testutil::path(dir, "a"));
        auto b = Workspace::open(testutil::path(dir, "b"));
        auto c = Workspace::open(testutil::path(dir, "c"));
        generateDemoWorld(a, {60, 7});
        generateDemoWorld(b, {60, 7});
        generateDemoWorld(c, {60, 8});
        const auto sa = all(a), sb = all(b), sc = all(c);
        int differ = 0;
        for (size_t i = 0; i < sa.size(); ++i) {
            QCOMPARE(sa[i].uid, sb[i].uid);
            QCOMPARE(sa[i].image.hash, sb[i].image.hash);
            QCOMPARE(sa[i].task, sb[i].task);
            QCOMPARE(sa[i].caption, sb[i].caption);
            QCOMPARE(sa[i].reasoning, sb[i].reasoning);
            QCOMPARE(int(sa[i].split), int(sb[i].split));
            differ += sa[i].image.hash != sc[i].image.hash;
        }
        QCOMPARE(differ, 60);
        // Sample i does not depend on how many were asked for.
        auto d = Workspace::open(testutil::path(dir, "d"));
        generateDemoWorld(d, {10, 7});
        QCOMPARE(all(d)[9].image.hash, sa[9].image.hash);
    }

    void cancelLeavesNothing()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        QVERIFY_THROWS_EXCEPTION(Cancelled, generateDemoWorld(ws, {50, 1}, [](int64_t d, int64_t) { return d < 20; }));
        QCOMPARE(ws.count(), 0);
        QCOMPARE(ws.imageCount(), 0);
    }

    void paraphrasesKeepMeaningMarkers()
    {
        const std::string t = "Inspect the hull of the sunken ship for leaking fuel.";
        std::set<std::string> variants;
        for (uint64_t s = 0; s < 40; ++s) {
            const auto p = paraphraseTask(t, s);
            QVERIFY(p.find("hull of the sunken ship") != std::string::npos);
            variants.insert(p);
        }
        QVERIFY(variants.size() > 5);
        QCOMPARE(paraphraseTask(t, 3), paraphraseTask(t, 3));
    }

    void transformsChangePixelsDeterministically()
    {
        cv::Mat img(64, 64, CV_8UC3, cv::Scalar(10, 100, 200));
        cv::rectangle(img, {0, 0}, {20, 63}, cv::Scalar(255, 255, 255), -1);
        ImageTransform t;
        t.flip = true;
        const auto flipped = applyTransform(img, t);
        QCOMPARE(flipped.at<cv::Vec3b>(10, 63), cv::Vec3b(255, 255, 255));
        QCOMPARE(flipped.at<cv::Vec3b>(10, 0), cv::Vec3b(10, 100, 200));
        const auto r1 = randomTransform(5, true), r2 = randomTransform(5, true);
        QCOMPARE(r1.describe(), r2.describe());
        QVERIFY(!randomTransform(5, false).flip);
    }

    void augmentationPreservesLabelsAndSplits()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        generateDemoWorld(ws, {40, 3});
        AugmentOptions o;
        o.factor = 3;
        const auto r = augmentWorkspace(ws, o);
        QCOMPARE(r.sources, 40);
        QCOMPARE(r.created, 120);
        QCOMPARE(ws.count(), 160);
        SampleQuery derived;
        derived.derived = true;
        QCOMPARE(ws.count(derived), 120);
        for (const auto& row : ws.query(derived)) {
            const auto copy = ws.get(row.id);
            const auto src = ws.getByUid(copy->derivedFrom);
            QVERIFY(src);
            QCOMPARE(copy->robots, src->robots);
            QCOMPARE(copy->reasoning, src->reasoning);
            QCOMPARE(int(copy->split), int(src->split));
            QVERIFY(copy->image.hash != src->image.hash);
            QVERIFY(!copy->augmentation.empty());
        }
        // Reassigning splits keeps every copy with its source; augmenting again adds nothing.
        assignSplits(ws);
        auto st = ws.database().prepare(
            "SELECT COUNT(*) FROM samples c JOIN samples s ON c.derived_from = s.uid WHERE c.split <> s.split");
        st.step();
        QCOMPARE(st.getInt(0), 0);
        QCOMPARE(augmentWorkspace(ws, o).skipped, 120);
    }
};

QTEST_APPLESS_MAIN(TestDemoWorld)
#include "test_demo_world.moc"
