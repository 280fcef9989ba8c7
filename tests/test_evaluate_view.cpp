// The Evaluate view on a tiny workspace and a known (randomly initialised, saved) checkpoint:
// the matrix matches evaluateCheckpoint's, a clicked cell lists (and selects) exactly the
// samples with that truth and prediction, the per-sample table sorts by loss, and a second
// checkpoint is shown side by side.
#include "confusion_map.h"
#include "demo_world.h"
#include "engine.h"
#include "image.h"
#include "evaluate_view.h"
#include "studio_test_util.h"
#include "workspace.h"

#include <QCheckBox>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QTableWidget>
#include <QTemporaryDir>

#include <algorithm>

using namespace ember::studio;
namespace data = ember::data;
namespace train = ember::train;

namespace {
const char* kTinyModel =
    R"({"preset":"lite","image_size":64,"vision_widths":[8,16,24,32],"vision_depths":[1,1,1,1],"n_embd":32,"n_head":2,)"
    R"("n_layer":1,"n_inner":64,"proj_hidden":32,"reasoning_hidden":32,"validator_hidden":16,"answer_hidden":16})";
}

class TestEvaluateView final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString ws_, ckA_, ckB_;
    train::EvalReport direct_;

    bool makeCheckpoint(EngineWorker& w, const QString& path, quint64 seed)
    {
        QSignalSpy spy(&w, &EngineWorker::modelLoaded);
        w.initRandom(QString::fromUtf8(kTinyModel), seed, path);
        return spy.wait(120000) && QFileInfo::exists(path);
    }

    // Shows v on the suite's workspace and evaluates a (beside b when given) to the end.
    bool showAndEvaluate(EvaluateView& v, const QString& a, const QString& b = {})
    {
        v.resize(1280, 800);
        v.show();
        v.setWorkspace(ws_);
        QSignalSpy done(&v, &EvaluateView::evaluationFinished);
        if (!v.evaluate(a, "all", b))
            return false;
        return done.wait(300000) && done.first().at(0).toBool();
    }

private Q_SLOTS:
    void initTestCase()
    {
        ws_ = studio_test::startWithDemoWorkspace(dir_);
        QVERIFY2(!ws_.isEmpty(), "the temporary folder is not valid");
        ckA_ = dir_.path() + "/a.safetensors";
        ckB_ = dir_.path() + "/b.safetensors";
        EngineWorker worker;
        QVERIFY(makeCheckpoint(worker, ckA_, 1));
        QVERIFY(makeCheckpoint(worker, ckB_, 2));
        worker.shutdown();
        train::EvalOptions o;
        o.workspaceDir = ws_.toStdString();
        o.checkpoint = ckA_.toStdString();
        o.split = "all";
        o.textSamples = 0;
        o.record = false;
        direct_ = train::evaluateCheckpoint(o);
        QCOMPARE(direct_.samples.size(), size_t(40));
    }

    void matrixMatchesEvaluateCheckpoint()
    {
        EvaluateView v;
        QVERIFY(showAndEvaluate(v, ckA_));
        QVERIFY(v.reportA().has_value());
        QVERIFY(!v.reportB().has_value());
        const auto& m = v.confusionMap()->matrix();
        QCOMPARE(m.size(), static_cast<qsizetype>(direct_.selection.confusion.size()));
        qint64 total = 0;
        for (int t = 0; t < m.size(); ++t)
            for (int p = 0; p < m[t].size(); ++p) {
                QCOMPARE(m[t][p], static_cast<qint64>(direct_.selection.confusion[t][p]));
                total += m[t][p];
            }
        QCOMPARE(total, qint64(40));
        // The same matrix from the engine itself, one sample at a time (not evaluateCheckpoint's
        // batches): rows the truth (the prediction where it is one of the sample's robots, else
        // its first), columns the prediction. Batched and single runs may differ in the last
        // float bits (about 1e-8 at these probabilities; a random model's best two robots are
        // 1e-7 to 3e-5 apart), so a sample whose two best are within 1e-6 may move: each such
        // sample may account for two cells of difference, no other.
        ember::Engine engine("cpu");
        engine.loadCheckpoint(ckA_.toStdString());
        auto ws = data::Workspace::open(ws_.toStdString());
        std::vector<std::vector<qint64>> expected(m.size(), std::vector<qint64>(m.size(), 0));
        int close = 0, correct = 0;
        for (const auto& r : direct_.samples) {   // the samples evaluated (their ids only)
            const auto s = ws.get(r.sampleId);
            QVERIFY(s && s->image.id != 0 && !s->robots.empty());
            engine.setImage(engine.loadImage(ws.absolutePath(s->image.path)));
            const auto probs = engine.selectRobot(s->task).trace.answerProbs;
            std::vector<float> sorted(probs.begin(), probs.end());
            std::sort(sorted.rbegin(), sorted.rend());
            close += sorted[0] - sorted[1] < 1e-6f;
            const int predicted = static_cast<int>(std::max_element(probs.begin(), probs.end()) - probs.begin());
            const bool hit = std::find(s->robots.begin(), s->robots.end(), predicted) != s->robots.end();
            correct += hit;
            ++expected[hit ? predicted : s->robots.front()][predicted];
        }
        qint64 differ = 0;
        for (int t = 0; t < m.size(); ++t)
            for (int p = 0; p < m[t].size(); ++p)
                differ += std::abs(m[t][p] - expected[t][p]);
        qInfo() << "one at a time:" << correct << "of 40 right," << close << "within 1e-6," << differ << "cells differ";
        QVERIFY2(close <= 20, "most samples must be decided for the comparison to mean anything");
        QVERIFY2(differ <= 2 * close, qPrintable(QString("%1 cells differ, %2 samples within 1e-6").arg(differ).arg(close)));
        if (close == 0)
            QCOMPARE(v.metricsTable()->item(0, 1)->data(Qt::DisplayRole).toDouble(), std::round(correct / 40.0 * 1000) / 1000);
        // The metrics table: accuracy first, as evaluateCheckpoint computed it.
        QCOMPARE(v.metricsTable()->item(0, 1)->data(Qt::DisplayRole).toDouble(),
                 std::round(direct_.selection.accuracy * 1000) / 1000);
        // Per-sample table sorted by loss, worst first.
        auto* t = v.sampleTable();
        QCOMPARE(t->rowCount(), 40);
        for (int r = 1; r < t->rowCount(); ++r)
            QVERIFY(t->item(r - 1, 4)->data(Qt::DisplayRole).toDouble() >= t->item(r, 4)->data(Qt::DisplayRole).toDouble());
        t->sortByColumn(3, Qt::AscendingOrder);   // by confidence
        for (int r = 1; r < t->rowCount(); ++r)
            QVERIFY(t->item(r - 1, 3)->data(Qt::DisplayRole).toDouble() <= t->item(r, 3)->data(Qt::DisplayRole).toDouble());
    }

    void blindAccuracyIsMeasuredOnGreyImages()
    {
        // The demo world's image-decided samples reach every evaluation.
        QVERIFY(direct_.imageDecidedCount > 0);
        QVERIFY(!std::isnan(direct_.blindAccuracy));
        QVERIFY(!std::isnan(direct_.imageDecidedBlindAccuracy));
        // Blind predictions are the model's answers on a uniform grey picture of its input size:
        // the engine, shown that picture and each sample's task, agrees with them.
        ember::Engine engine("cpu");
        engine.loadCheckpoint(ckA_.toStdString());
        engine.setImage(ember::greyImage(static_cast<int>(engine.config().image_size)));
        auto ws = data::Workspace::open(ws_.toStdString());
        int agree = 0, decided = 0, hits = 0, close = 0;
        for (const auto& r : direct_.samples) {
            const auto s = ws.get(r.sampleId);
            QVERIFY(s.has_value());
            QCOMPARE(r.imageDecided, s->imageDecided);
            decided += s->imageDecided;
            QVERIFY(r.blindPredicted >= 0 && r.blindPredicted < data::robotCount());
            const auto trace = engine.selectRobot(s->task).trace;
            std::vector<float> sorted(trace.answerProbs.begin(), trace.answerProbs.end());
            std::sort(sorted.rbegin(), sorted.rend());
            const bool near = sorted[0] - sorted[1] < 1e-6f;   // batched and single runs may then differ
            close += near;
            agree += trace.answer == r.blindPredicted;
            if (!near)
                QCOMPARE(trace.answer, r.blindPredicted);
            hits += std::find(r.truth.begin(), r.truth.end(), r.blindPredicted) != r.truth.end();
        }
        QCOMPARE(static_cast<long long>(decided), direct_.imageDecidedCount);
        QVERIFY2(agree + close >= static_cast<int>(direct_.samples.size()), qPrintable(QString("%1 agree, %2 near").arg(agree).arg(close)));
        QCOMPARE(direct_.blindAccuracy, double(hits) / direct_.samples.size());

        // The view shows image and blind side by side, as evaluateCheckpoint computed them.
        EvaluateView v;
        QVERIFY(showAndEvaluate(v, ckA_));
        auto* t = v.relianceTable();
        QVERIFY(t->rowCount() >= 2);
        QCOMPARE(t->item(0, 1)->data(Qt::DisplayRole).toDouble(), std::round(direct_.selection.accuracy * 1000) / 1000);
        QCOMPARE(t->item(0, 2)->data(Qt::DisplayRole).toDouble(), std::round(direct_.blindAccuracy * 1000) / 1000);
        QCOMPARE(t->item(1, 1)->data(Qt::DisplayRole).toDouble(), std::round(direct_.imageDecidedAccuracy * 1000) / 1000);
        QCOMPARE(t->item(1, 2)->data(Qt::DisplayRole).toDouble(), std::round(direct_.imageDecidedBlindAccuracy * 1000) / 1000);
    }

    void clickingACellSelectsItsSamples()
    {
        EvaluateView v;
        QVERIFY(showAndEvaluate(v, ckA_));
        QVERIFY(QTest::qWaitForWindowExposed(&v));
        // Every non-empty cell: a real click lists exactly the samples of that (truth, prediction).
        const auto& m = v.confusionMap()->matrix();
        int cells = 0;
        for (int tr = 0; tr < m.size(); ++tr)
            for (int pr = 0; pr < m[tr].size(); ++pr) {
                if (!m[tr][pr])
                    continue;
                QList<qint64> expected;
                for (const auto& s : direct_.samples) {
                    const bool hit = std::find(s.truth.begin(), s.truth.end(), s.predicted) != s.truth.end();
                    if ((hit ? s.predicted : s.truth.front()) == tr && s.predicted == pr)
                        expected << s.sampleId;
                }
                std::sort(expected.begin(), expected.end());
                QTest::mouseClick(v.confusionMap(), Qt::LeftButton, {}, v.confusionMap()->cellRect(tr, pr).center());
                QCOMPARE(v.confusionMap()->selectedCell(), QPoint(pr, tr));
                QList<qint64> listed = v.listedSamples();
                std::sort(listed.begin(), listed.end());
                QCOMPARE(listed, expected);
                QCOMPARE(v.selectedTableSamples(), expected);
                ++cells;
            }
        QVERIFY(cells > 0);
        // Double-click opens the sample (in the studio: Annotate).
        QSignalSpy open(&v, &EvaluateView::openSampleRequested);
        auto* item = v.cellList()->item(0);
        QVERIFY(item);
        Q_EMIT v.cellList()->itemDoubleClicked(item);
        QCOMPARE(open.size(), 1);
        QCOMPARE(open.first().at(0).toLongLong(), item->data(Qt::UserRole).toLongLong());
    }

    void twoCheckpointsSideBySide()
    {
        EvaluateView v;
        QVERIFY(showAndEvaluate(v, ckA_, ckB_));
        QVERIFY(v.reportA().has_value());
        QVERIFY(v.reportB().has_value());
        auto* mt = v.metricsTable();
        QVERIFY(!mt->isColumnHidden(2));
        const double a = mt->item(0, 1)->data(Qt::DisplayRole).toDouble();
        const double b = mt->item(0, 2)->data(Qt::DisplayRole).toDouble();
        QCOMPARE(b, std::round(v.reportB()->selection.accuracy * 1000) / 1000);
        QVERIFY(std::abs(mt->item(0, 3)->data(Qt::DisplayRole).toDouble() - std::round((b - a) * 1000) / 1000) < 2e-3);
        QVERIFY(!v.sampleTable()->isColumnHidden(6));
    }

    // Issue 26: with Text ticked, the view reports the field's figures (BLEU-4, ROUGE-L, CIDEr,
    // VQA accuracy beside its blind figure) as evaluateCheckpoint computes them, and leaves the
    // predictions as COCO and VQA results files in the workspace.
    void textFiguresAndResultsFiles()
    {
        EvaluateView v;
        auto* text = v.findChild<QCheckBox*>("evaluateWithText");
        QVERIFY(text);
        text->setChecked(true);
        QVERIFY(showAndEvaluate(v, ckA_));
        const auto& r = *v.reportA();
        QVERIFY(r.captionCount > 0 && r.answerCount > 0);
        QVERIFY(!std::isnan(r.captionCider) && !std::isnan(r.captionBleu4) && !std::isnan(r.captionRougeL));
        QVERIFY(!std::isnan(r.answerVqaAccuracy) && !std::isnan(r.blindAnswerVqaAccuracy));
        auto rowOf = [](QTableWidget* t, const QString& name) {
            for (int i = 0; i < t->rowCount(); ++i)
                if (t->item(i, 0) && t->item(i, 0)->text().startsWith(name)) return i;
            return -1;
        };
        auto* mt = v.metricsTable();
        const int cider = rowOf(mt, "caption CIDEr");
        QVERIFY(cider >= 0);
        QCOMPARE(mt->item(cider, 1)->data(Qt::DisplayRole).toDouble(), std::round(r.captionCider * 1000) / 1000);
        const int vqa = rowOf(v.relianceTable(), "Answers, VQA accuracy");
        QVERIFY(vqa >= 0);
        QCOMPARE(v.relianceTable()->item(vqa, 2)->data(Qt::DisplayRole).toDouble(),
                 std::round(r.blindAnswerVqaAccuracy * 1000) / 1000);
        const QDir results(ws_ + "/evaluations");
        const auto caps = results.entryList({"captions_all_*_results.json"});
        const auto answers = results.entryList({"OpenEnded_mscoco_all_*_results.json"});
        QCOMPARE(caps.size(), 1);
        QCOMPARE(answers.size(), 1);
        QFile f(results.filePath(caps.front()));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto doc = QJsonDocument::fromJson(f.readAll()).array();
        QCOMPARE(doc.size(), r.captionCount);
        QVERIFY(doc.first().toObject().contains("image_id") && doc.first().toObject().contains("caption"));
        QFile g(results.filePath(answers.front()));
        QVERIFY(g.open(QIODevice::ReadOnly));
        const auto ans = QJsonDocument::fromJson(g.readAll()).array();
        QCOMPARE(ans.size(), r.answerCount);
        QVERIFY(ans.first().toObject().contains("question_id") && ans.first().toObject().contains("answer"));
        // To look at it: EMBERVLM_SCREENSHOT_DIR=DIR leaves the view as a PNG there.
        if (const QString shots = qEnvironmentVariable("EMBERVLM_SCREENSHOT_DIR"); !shots.isEmpty())
            QVERIFY(v.grab().save(shots + "/evaluate-text-figures.png"));
    }
};

QTEST_MAIN(TestEvaluateView)
#include "test_evaluate_view.moc"
