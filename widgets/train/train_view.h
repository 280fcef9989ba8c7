#pragma once
// Train: launch a training run as a child process (`embervlm train`), watch its curves live,
// compare runs, stop and resume. RunMonitor reads the workspace database and the processes on
// its own thread every kPollMs, so a studio opened while a run is going (or after it ended)
// shows the same curves as the one that launched it, and the pid file in the run's directory
// lets it stop that run too. Which process is followed is RunController's (no widgets); this
// view only lays out what the monitor and the controller report, and reacts.
#include "run_controller.h"
#include "run_monitor.h"
#include "run_series.h"

#include <QMap>
#include <QSet>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLayout;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSplitter;
class QTableView;
class QTimer;

namespace ember::studio {

class LossChart;
class MessageBar;
class RunsModel;
class TrainForm;
class TrainProcess;

class TrainView final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kPollMs = RunMonitor::kPollMs;
    enum class OpenIn { Ask, Reasoning };

    explicit TrainView(QWidget* parent = nullptr);
    ~TrainView() override;

    void setWorkspace(const QString& dir);   // the monitor opens its own connection on its thread
    bool start();                            // launches with the form's settings
    void stop();
    bool resume(qint64 runId);               // a stopped, failed or interrupted run
    // `embervlm demo` on this workspace: the demo recipe's four stages, then test metrics;
    // demoModelReady(checkpoint) when it has finished.
    bool startDemo();
    bool isRunning() const;                  // a run of this view, or a re-attached one, is alive
    qint64 activeRun() const { return run_->activeRun(); }
    void setOverlaid(qint64 runId, bool on);
    QList<qint64> overlaid() const;

    bool exportPng(const QString& path);
    bool exportCsv(const QString& path);
    void pollNow();   // asks the monitor for a snapshot now (it arrives queued)

    // For tests and screenshots.
    TrainForm* form() const { return form_; }
    LossChart* lossChart() const { return loss_; }
    LossChart* lrChart() const { return lr_; }
    LossChart* gradChart() const { return grad_; }
    QTableView* runsTable() const { return runs_; }
    RunsModel* runsModel() const { return runsModel_; }
    QListWidget* checkpointList() const { return ckpts_; }
    QPlainTextEdit* log() const { return log_; }
    QProgressBar* progressBar() const { return progress_; }
    QLabel* statusLabel() const { return status_; }
    RunMonitor* monitor() const { return monitor_; }
    QPushButton* stopButton() const { return stopBtn_; }
    qint64 processPid() const;

Q_SIGNALS:
    void runStarted(qint64 runId);
    void runEnded(qint64 runId, const QString& status);   // finished | stopped | failed | crashed
    void openCheckpointRequested(const QString& path, ember::studio::TrainView::OpenIn where);
    void demoModelReady(const QString& checkpoint);

private:
    QWidget* buildLaunchPane(QSplitter* split);
    QWidget* buildChartsPane(QSplitter* split);
    QLayout* buildProgressRow(QWidget* parent);
    QLayout* buildChartControls(QWidget* parent);
    QWidget* buildRunTabs(QWidget* parent);
    void connectControls();
    void connectProcess();

    void onEvent(ember::train::protocol::Event type, const QJsonObject& e);
    void onStepEvent(const QJsonObject& e);
    void onEndEvent(const QString& ev, const QJsonObject& e);
    void onExited(qint64 run, int code, bool crashed);
    void onMarkedFailed(qint64 runId, bool wasRunning);
    void onSnapshot(const RunSnapshot& s);
    void updateCheckpointChoices();
    void updateCharts();
    void updateButtons();
    void updateProgressFromSeries();
    void showIdleProgress();
    void showCheckpoints(qint64 runId);
    void appendLog(const QString& line);
    void watchChanged();
    qint64 selectedRun() const;
    bool launch(const QStringList& args, const QString& command = QStringLiteral("train"));

    QString wsDir_;
    bool wsError_ = false;        // the monitor could not open wsDir_
    bool firstSnapshot_ = true;   // of this workspace: select and overlay the newest run
    RunMonitor* monitor_;
    RunsModel* runsModel_;
    RunController* run_;
    QMap<qint64, RunSeries> series_;   // the overlaid (and active) runs' curves
    QSet<qint64> overlay_;
    qint64 shownCheckpointsOf_ = -1;
    QVector<CheckpointRow> shownCheckpoints_;

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
    QTableView* runs_;
    QListWidget* ckpts_;
    QPlainTextEdit* log_;
    MessageBar* message_;
    QStringList checkpointPaths_;   // what the form offers, refreshed only when it changes
    QTimer* kick_;   // a poll soon after a step line, coalesced
};

} // namespace ember::studio
