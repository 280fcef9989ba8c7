#pragma once
// Which training process the Train view follows, and the run it is on: the `embervlm` child the
// view launched (its JSON lines read from the pipe through TrainProcess), or a live trainer of
// the workspace found in the monitor's snapshot and re-attached to (followed into its next stage
// when it trains "all"). No widgets: the view lays out what this reports.
#include "run_monitor.h"
#include "trainer_protocol.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

namespace ember::studio {

class TrainProcess;

class RunController final : public QObject {
    Q_OBJECT
public:
    explicit RunController(QObject* parent = nullptr);

    // Another workspace: nothing is followed any more (a child still running keeps running).
    void reset();
    // `embervlm <command> -w wsDir <args>`; false when a run is followed already or the program
    // cannot start.
    bool launch(const QString& wsDir, const QStringList& args, const QString& command);
    // SIGTERM to the followed process: the trainer saves a checkpoint and ends as "stopped".
    void stop();
    // Re-attaches to live trainers in the snapshot, follows the attached one into its next run,
    // notices when it ended. rows: the runs as the view's model holds them.
    void follow(const QVector<RunRow>& rows, const RunSnapshot& s);

    bool isRunning() const;                 // the launched child or a re-attached process is alive
    bool launchedRunning() const;           // the launched child is alive
    qint64 processPid() const;
    qint64 activeRun() const { return activeRun_; }
    qint64 attachedPid() const { return attachedPid_; }
    qint64 totalSteps() const { return totalSteps_; }
    int lastExitCode() const { return lastExitCode_; }

Q_SIGNALS:
    // A line of the launched trainer (activeRun() already follows a Started event).
    void event(ember::train::protocol::Event type, const QJsonObject& line);
    void logLine(const QString& line);
    // The launched child ended; run: the run it was on (0 when it never started one).
    void exited(qint64 run, int code, bool crashed);
    void attached(qint64 run, qint64 pid);
    void advanced(qint64 run);     // the attached process went on to its next run
    void detached(qint64 run);     // the attached process is gone

private:
    void onEvent(const QJsonObject& e);
    void onExited(int code, bool crashed);

    TrainProcess* proc_;
    qint64 activeRun_ = 0, attachedPid_ = 0, totalSteps_ = 0;
    qint64 ownPid_ = 0, lastOwnPid_ = 0;   // the launched child; once it exited, never re-attached to
    int lastExitCode_ = 0;
    bool ownRun_ = false;                  // the followed run is the launched child's
};

} // namespace ember::studio
