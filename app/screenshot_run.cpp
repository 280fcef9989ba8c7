#include "screenshot_run.h"

#include "current_image.h"

#include "annotate_view.h"
#include "ask_view.h"
#include "confusion_map.h"
#include "conversation_view.h"
#include "evaluate_view.h"
#include "main_window.h"
#include "reasoning_view.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QElapsedTimer>
#include <QTimer>

namespace ember::studio {

ScreenshotRun::ScreenshotRun(MainWindow* window, QString path, QString image, QString prompt)
    : QObject(window)
    , window_(window)
    , path_(std::move(path))
    , image_(std::move(image))
    , prompt_(std::move(prompt))
{
}

void ScreenshotRun::takeSoon() { QTimer::singleShot(300, this, &ScreenshotRun::take); }

void ScreenshotRun::start()
{
    started_ = true;
    QTimer::singleShot(8 * 60 * 1000, this, &ScreenshotRun::take);   // safety net
    switch (window_->currentView()) {
    case MainWindow::Ask: startAsk(); return;
    case MainWindow::Annotate: startAnnotate(); return;
    case MainWindow::Evaluate: startEvaluate(); return;
    case MainWindow::Train: QTimer::singleShot(1500, this, &ScreenshotRun::take); return;   // a poll and a redraw first
    case MainWindow::Reasoning: startReasoning(); return;
    default: takeSoon();
    }
}

namespace {
// fn once ready() holds (checked every 50 ms on the event loop, 60 s at most): the views load
// images and samples off the GUI thread, so a screenshot waits for them as a user would.
void whenReady(QObject* context, std::function<bool()> ready, std::function<void()> fn)
{
    if (ready()) {
        fn();
        return;
    }
    auto* poll = new QTimer(context);
    auto started = std::make_shared<QElapsedTimer>();
    started->start();
    QObject::connect(poll, &QTimer::timeout, context, [poll, ready, fn, started] {
        if (!ready() && started->elapsed() < 60000)
            return;
        poll->deleteLater();
        poll->stop();
        fn();
    });
    poll->start(50);
}
} // namespace

void ScreenshotRun::startAsk()
{
    AskView* ask = window_->askView();
    if (!image_.isEmpty())
        ask->openImageFile(image_);
    whenReady(this, [ask] { return !ask->currentImage()->loading(); }, [this] { askNow(); });
}

void ScreenshotRun::askNow()
{
    AskView* ask = window_->askView();
    if (!prompt_.isEmpty())
        ask->newConversation();   // the question alone, not after an earlier conversation
    if (!ask->conversation()->turns().isEmpty() && prompt_.isEmpty()) {
        takeSoon();
        return;
    }
    connect(ask, &AskView::answerFinished, this, &ScreenshotRun::takeSoon);
    ask->ask(prompt_.isEmpty() ? tr("What is on the roof of the tall building?") : prompt_);
}

// Waits for the demo world, then shows a suggestion so the picture has one.
void ScreenshotRun::startAnnotate()
{
    auto shoot = [this] {
        AnnotateView* annotate = window_->annotateView();
        if (!annotate->currentId()) {
            takeSoon();
            return;
        }
        connect(annotate, &AnnotateView::backgroundFinished, this, &ScreenshotRun::takeSoon);
        annotate->suggestCurrent();
        if (!annotate->busy())
            takeSoon();
    };
    AnnotateView* annotate = window_->annotateView();
    auto settled = [this, annotate, shoot] { whenReady(this, [annotate] { return annotate->settled(); }, shoot); };
    if (window_->demoRunning())
        connect(window_, &MainWindow::demoFinished, this, settled);
    else
        settled();
}

// Evaluates the newest best checkpoint and opens the largest off-diagonal cell.
void ScreenshotRun::startEvaluate()
{
    EvaluateView* evaluate = window_->evaluateView();
    connect(evaluate, &EvaluateView::checkpointsRefreshed, this, [this] { evaluateNow(); }, Qt::SingleShotConnection);
    evaluate->refreshCheckpoints();
}

void ScreenshotRun::evaluateNow()
{
    EvaluateView* evaluate = window_->evaluateView();
    connect(evaluate, &EvaluateView::evaluationFinished, this, [this, evaluate] {
        const auto& m = evaluate->confusionMap()->matrix();
        int bt = -1, bp = -1;
        qint64 most = 0;
        for (int t = 0; t < m.size(); ++t)
            for (int p = 0; p < m[t].size(); ++p)
                if (t != p && m[t][p] > most) {
                    most = m[t][p];
                    bt = t;
                    bp = p;
                }
        if (bt >= 0)
            evaluate->confusionMap()->selectCell(bt, bp);
        takeSoon();
    });
    if (!evaluate->evaluate(evaluate->checkpointBox()->currentText(), QStringLiteral("test")))
        takeSoon();
}

void ScreenshotRun::startReasoning()
{
    ReasoningView* reasoning = window_->reasoningView();
    if (!image_.isEmpty())
        reasoning->openImageFile(image_);
    whenReady(this, [reasoning] { return !reasoning->currentImage()->loading(); }, [this] { reasonNow(); });
}

void ScreenshotRun::reasonNow()
{
    ReasoningView* reasoning = window_->reasoningView();
    if (!prompt_.isEmpty())
        reasoning->setTask(prompt_);
    connect(reasoning, &ReasoningView::runningChanged, this, [this](bool running) {
        if (!running)
            takeSoon();
    });
    reasoning->run();
    if (!reasoning->isRunning())
        takeSoon();
}

void ScreenshotRun::take()
{
    if (taken_)
        return;
    taken_ = true;
    QDir().mkpath(QFileInfo(path_).absolutePath());
    const bool ok = window_->grab().save(path_, "PNG");
    if (!ok)
        qWarning("could not write %s", qPrintable(path_));
    Q_EMIT saved(path_, ok);
    QTimer::singleShot(0, window_, &QWidget::close);
}

} // namespace ember::studio
