#pragma once
// Train: launch a training run as a child process (`embervlm train`), watch its curves live,
// compare runs, stop and resume. The workspace database is read every kPollMs, so a studio
// opened while a run is going (or after it ended) shows the same curves as the one that
// launched it; the pid file in the run's directory lets it stop that run too.
#include "run_series.h"

#include <QMap>
#include <QSet>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QTableWidget;
class QTimer;

namespace ember::data {
class Workspace;
struct RunInfo;
}

namespace ember::studio {

class LossChart;
class MessageBar;
class TrainForm;
class TrainProcess;

class TrainView final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kPollMs = 500;
    enum class OpenIn { Ask, Reasoning };

    explicit TrainView(QWidget* parent = nullptr);
    ~TrainView() override;

    void setWorkspace(const QString& dir);   // opens its own connection (one per thread)
    bool start();                            // launches with the form's settings
    void stop();
    bool resume(qint64 runId);               // a stopped, failed or interrupted run
    // `embervlm demo` on this workspace: the demo recipe's four stages, then test metrics;
    // demoModelReady(checkpoint) when it has finished.
    bool startDemo();
    bool isRunning() const;                  // a run of this view, or a re-attached one, is alive
    qint64 activeRun() const { return activeRun_; }
    void setOverlaid(qint64 runId, bool on);
    QList<qint64> overlaid() const;

    bool exportPng(const QString& path);
    bool exportCsv(const QString& path);
    void pollNow();

    // For tests and screenshots.
    TrainForm* form() const { return form_; }
    LossChart* lossChart() const { return loss_; }
    LossChart* lrChart() const { return lr_; }
    LossChart* gradChart() const { return grad_; }
    QTableWidget* runsTable() const { return runs_; }
    QListWidget* checkpointList() const { return ckpts_; }
    QPlainTextEdit* log() const { return log_; }
    QProgressBar* progressBar() const { return progress_; }
    QPushButton* stopButton() const { return stopBtn_; }
    qint64 processPid() const;

Q_SIGNALS:
    void runStarted(qint64 runId);
    void runEnded(qint64 runId, const QString& status);   // finished | stopped | failed | crashed
    void openCheckpointRequested(const QString& path, ember::studio::TrainView::OpenIn where);
    void demoModelReady(const QString& checkpoint);

private:
    void onEvent(const QJsonObject& e);
    void onExited(int code, bool crashed);
    void poll();
    void detectAttached();
    void refreshRuns();
    void updateCharts();
    void updateButtons();
    void updateProgressFromSeries();
    void showIdleProgress();
    void showCheckpoints(qint64 runId);
    void appendLog(const QString& line);
    qint64 selectedRun() const;
    QString runStatus(const ember::data::RunInfo& r) const;
    qint64 pidOf(qint64 runId, qint64* totalSteps = nullptr) const;   // pid file, else a /proc scan
    bool launch(const QStringList& args, const QString& command = QStringLiteral("train"));

    QString wsDir_;
    std::unique_ptr<ember::data::Workspace> ws_;
    TrainProcess* proc_;
    QMap<qint64, RunSeries> series_;
    QSet<qint64> overlay_;
    qint64 activeRun_ = 0, attachedPid_ = 0, totalSteps_ = 0;
    bool ownRun_ = false;   // launched by this view (its pipe is read)

    TrainForm* form_;
    QPushButton* startBtn_;
    QPushButton* stopBtn_;
    QPushButton* resumeBtn_;
    QProgressBar* progress_;
    QLabel* status_;
    QSlider* smoothing_;
    QCheckBox* logScale_;
    QComboBox* xAxis_;
    LossChart* loss_;
    LossChart* lr_;
    LossChart* grad_;
    QTableWidget* runs_;
    QListWidget* ckpts_;
    QPlainTextEdit* log_;
    MessageBar* message_;
    QStringList checkpointPaths_;   // what the form offers, refreshed only when it changes
    QTimer* poll_;
    QTimer* kick_;   // a poll soon after a step line, coalesced
};

} // namespace ember::studio
