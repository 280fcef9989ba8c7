#pragma once
// A `--screenshot` run: give the view it shows real content (an answer, a trace with its heat
// map, an evaluation, a suggestion), then render the window to a PNG once and close it.
#include <QObject>
#include <QString>

namespace ember::studio {

class MainWindow;

class ScreenshotRun final : public QObject {
    Q_OBJECT
public:
    // image and prompt: what the Ask or Reasoning view is given first (either may be empty).
    ScreenshotRun(MainWindow* window, QString path, QString image, QString prompt);
    void start();   // once the model is loaded
    void take();    // at most once; later calls do nothing
    bool started() const { return started_; }

Q_SIGNALS:
    void saved(const QString& path, bool ok);

private:
    void takeSoon();   // after a redraw
    void startAsk();
    void askNow();
    void evaluateNow();
    void reasonNow();
    void startAnnotate();
    void startEvaluate();
    void startReasoning();

    MainWindow* window_;
    QString path_, image_, prompt_;
    bool started_ = false;
    bool taken_ = false;
};

} // namespace ember::studio
