// The Reasoning view on real widgets and a small random model: running selection, dragging the
// threshold line (the predicted stop and answer follow without a model run), stepping with the
// keyboard, the Grad-CAM overlay, JSON export and bad images.
#include "image_pane.h"
#include "message_bar.h"
#include "qcustomplot_wrap.h"
#include "reasoning_view.h"
#include "studio_test_util.h"
#include "threshold_chart.h"

#include <QFile>
#include <limits>
#include <algorithm>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTreeWidget>

using namespace ember::studio;

namespace {

// MODEL.md's stopping rule, written out here (not the engine's applyThreshold): step 0 is always
// accepted; the first later step scoring below the threshold is shown rejected and ends the
// trace; the answer is the argmax of the last accepted step's distribution.
struct Expected {
    size_t steps = 0;
    bool lastRejected = false;
    int answer = -1;
};

Expected stopRule(const std::vector<ember::ChainStep>& chain, double threshold)
{
    Expected e;
    size_t accepted = 0;
    for (size_t i = 0; i < chain.size(); ++i) {
        e.steps = i + 1;
        if (i > 0 && chain[i].score < threshold) {
            e.lastRejected = true;
            break;
        }
        accepted = i;
    }
    const auto& p = chain[accepted].answerProbs;
    e.answer = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
    return e;
}

} // namespace

class TestReasoningView final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString image_;
    std::unique_ptr<EngineWorker> worker_;
    std::unique_ptr<ReasoningView> view_;

    // Drags the threshold line from where it is to `target` with the mouse.
    void drag(double target)
    {
        ThresholdChart* c = view_->chart();
        QWidget* plot = c->plot();
        const QPoint from = c->pixelFor(1.0, c->threshold());
        const QPoint to = c->pixelFor(1.0, target);
        QTest::mousePress(plot, Qt::LeftButton, Qt::NoModifier, from);
        for (int i = 1; i <= 4; ++i)
            QTest::mouseMove(plot, from + (to - from) * i / 4);
        QTest::mouseRelease(plot, Qt::LeftButton, Qt::NoModifier, to);
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString failed = studio_test::startWithSmallModel(dir_, image_, worker_, 5);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
        view_ = std::make_unique<ReasoningView>(worker_.get());
        view_->setWorkspace(StudioWorkspace(dir_.path() + "/ws"));
        view_->setModelReady(true);
        view_->resize(1200, 760);
        view_->show();
        QVERIFY(QTest::qWaitForWindowExposed(view_.get()));
        QVERIFY(studio_test::openImage(view_.get(), image_));
    }

    void cleanupTestCase()
    {
        view_.reset();
        worker_->shutdown();
    }

    void runShowsTheTrace()
    {
        view_->taskBox()->clear();
        QTest::keyClicks(view_->taskBox(), "Inspect the roof of a tall building for cracks");
        QVERIFY(view_->runButton()->isEnabled());
        QSignalSpy running(view_.get(), &ReasoningView::runningChanged);
        QTest::mouseClick(view_->runButton(), Qt::LeftButton);
        QVERIFY(view_->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!view_->isRunning(), 60000);
        QVERIFY(view_->hasSelection());
        QCOMPARE(static_cast<int>(view_->selection().chain.size()), 5);
        QCOMPARE(view_->stepList()->topLevelItemCount(), 5);
        QCOMPARE(view_->threshold(), 0.5);   // the model's configured threshold
        QVERIFY(view_->predictionLabel()->text().contains("threshold"));
        QVERIFY(!view_->reasoningText()->toPlainText().isEmpty());
        QVERIFY(view_->imagePane()->hasHeatMap());   // Grad-CAM for the predicted robot
        // The view's prediction is MODEL.md's rule applied to the engine's chain at the threshold.
        const Expected e = stopRule(view_->selection().chain, view_->threshold());
        QCOMPARE(view_->predicted().answer, e.answer);
        QCOMPARE(view_->predicted().steps.size(), e.steps);
        QCOMPARE(view_->selection().trace.answer, e.answer);
    }

    // Dragging the threshold line moves the predicted stop step (and answer) without a model run.
    void draggingTheThresholdChangesThePrediction()
    {
        QVERIFY(view_->hasSelection());
        const auto chain = view_->selection().chain;
        QSignalSpy selections(worker_.get(), &EngineWorker::selectionFinished);
        QSignalSpy prediction(view_.get(), &ReasoningView::predictionChanged);

        drag(0.02);
        const double low = view_->threshold();
        QVERIFY2(std::abs(low - 0.02) < 0.02, qPrintable(QString::number(low)));
        QCOMPARE(view_->chart()->threshold(), low);
        const auto expectLow = stopRule(chain, low);
        QCOMPARE(view_->predictedStopStep(), static_cast<int>(expectLow.steps) - 1);
        QCOMPARE(view_->predicted().answer, expectLow.answer);
        const QString lowLabel = view_->predictionLabel()->text();

        drag(0.98);
        const double high = view_->threshold();
        QVERIFY2(std::abs(high - 0.98) < 0.02, qPrintable(QString::number(high)));
        const auto expectHigh = stopRule(chain, high);
        QCOMPARE(view_->predictedStopStep(), static_cast<int>(expectHigh.steps) - 1);
        QCOMPARE(view_->predicted().answer, expectHigh.answer);
        QVERIFY(view_->predictionLabel()->text() != lowLabel);
        // A random model's scores lie strictly inside (0.02, 0.98): the two stops differ.
        QVERIFY(expectLow.steps != expectHigh.steps);
        QVERIFY(prediction.count() >= 2);   // each drag moved the stop
        QCOMPARE(view_->stepList()->topLevelItem(view_->predictedStopStep())->text(2),
                 expectHigh.lastRejected ? QString("rejected") : QString("accepted"));
        QVERIFY(view_->predictionLabel()->text().contains(QString::fromStdString(view_->selection().labels[expectHigh.answer])));
        QVERIFY(lowLabel.contains(QString::fromStdString(view_->selection().labels[expectLow.answer])));
        // Keyboard on the focused chart nudges the threshold.
        view_->chart()->setFocus();
        QTest::keyClick(view_->chart(), Qt::Key_PageDown);
        QVERIFY(std::abs(view_->threshold() - (high - 0.1)) < 1e-6);
        // No model run for any of this: none finished, and none is queued (the worker counts a
        // request the moment it is posted, so one asked for would show here, not later).
        QCOMPARE(selections.count(), 0);
        QVERIFY(!worker_->busy());
    }

    void stepsWithButtonsAndKeys()
    {
        view_->setCurrentStep(0);
        QCOMPARE(view_->currentStep(), 0);
        QVERIFY(!view_->previousButton()->isEnabled());
        QTest::mouseClick(view_->nextButton(), Qt::LeftButton);
        QCOMPARE(view_->currentStep(), 1);
        view_->stepList()->setFocus();
        QTest::keyClick(view_.get(), Qt::Key_Right, Qt::AltModifier);
        QCOMPARE(view_->currentStep(), 2);
        QTest::keyClick(view_.get(), Qt::Key_Left, Qt::AltModifier);
        QCOMPARE(view_->currentStep(), 1);
        view_->setCurrentStep(4);
        QVERIFY(!view_->nextButton()->isEnabled());
    }

    void exportsJsonAndPng()
    {
        const QString json = dir_.path() + "/trace.json";
        QVERIFY(view_->exportJson(json));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value("steps").toArray().size(), 5);
        QCOMPARE(o.value("threshold").toDouble(), view_->threshold());
        QCOMPARE(o.value("stop_step").toInt(), view_->predictedStopStep());
        QCOMPARE(o.value("labels").toArray().size(), 5);
        const QString png = dir_.path() + "/view.png";
        QVERIFY(view_->exportPng(png));
        QVERIFY(!QImage(png).isNull());
    }

    // Issue 15: std::clamp passes NaN through; a NaN heat value once indexed the colour stops at INT_MIN.
    void nanHeatValuesDrawAsCold()
    {
        const QColor cold = heatColor(0.0);
        QCOMPARE(heatColor(std::numeric_limits<double>::quiet_NaN()), cold);
        QCOMPARE(heatColor(std::numeric_limits<double>::infinity()), cold);
        QCOMPARE(heatColor(-std::numeric_limits<double>::infinity()), cold);
        QCOMPARE(heatColor(2.0), heatColor(1.0));
        ImagePane pane;
        pane.resize(200, 200);
        QImage img(64, 64, QImage::Format_RGB32);
        img.fill(Qt::gray);
        pane.setImage(img);
        pane.setHeatMap({std::numeric_limits<float>::quiet_NaN(), 0.5f, 1.0f, 0.0f}, 2, 2);
        QVERIFY(pane.hasHeatMap());
        QVERIFY(!pane.grab().isNull());
    }

    void badImageKeepsThePreviousOne()
    {
        const QString before = view_->imagePath();
        QFile bad(dir_.path() + "/broken.jpg");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write(QByteArray(100, '\x42'));
        bad.close();
        QVERIFY(!studio_test::openImage(view_.get(), bad.fileName()));
        QVERIFY(view_->messageBar()->isVisible());
        QVERIFY(view_->messageBar()->text().contains("broken.jpg"));
        QCOMPARE(view_->imagePath(), before);
        QVERIFY(view_->hasSelection());   // the trace stays
    }

    // Pasting goes through the same image handling as the Ask view: an empty clipboard image is
    // refused with a message and the file stays; a real one replaces it and has no path.
    void pastedImageIsCheckedLikeAsk()
    {
        const QString before = view_->imagePath();
        QVERIFY(!before.isEmpty());
        view_->messageBar()->dismiss();
        Q_EMIT view_->imagePane()->imagePasted(QImage());
        QVERIFY(view_->messageBar()->isVisible());
        QVERIFY2(view_->messageBar()->text().contains("clipboard"), qPrintable(view_->messageBar()->text()));
        QCOMPARE(view_->imagePath(), before);
        QImage pasted(64, 48, QImage::Format_RGB32);
        pasted.fill(Qt::darkCyan);
        Q_EMIT view_->imagePane()->imagePasted(pasted);
        QVERIFY(!view_->messageBar()->isVisible());
        QVERIFY(view_->imagePath().isEmpty());
        QCOMPARE(view_->imagePane()->image().size(), QSize(64, 48));
        QVERIFY(view_->runButton()->isEnabled());
        QVERIFY(studio_test::openImage(view_.get(), before));   // back to the file for any later test
    }
};

QTEST_MAIN(TestReasoningView)
#include "test_reasoning_view.moc"
