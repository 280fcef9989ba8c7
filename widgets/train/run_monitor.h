#pragma once
// Watches a workspace's training runs off the GUI thread: its own thread polls the database
// (runs, metrics, checkpoints) and the processes (pid files, /proc) every kPollMs, and hands
// the GUI a plain snapshot. The Train view only lays the snapshot out; with hundreds of runs or
// a slow disk the studio stays responsive because nothing here blocks the GUI thread.
#include "run_series.h"
#include "run_status.h"

#include <QHash>
#include <QMetaType>
#include <QObject>
#include <QSet>
#include <QString>
#include <QThread>
#include <QVector>

#include <limits>

namespace ember::studio {

struct CheckpointRow {
    qint64 step = 0;
    bool best = false;
    QString path;   // absolute
};

// One training run (stage > 0) as the runs table and the buttons need it.
struct RunRow {
    qint64 id = 0;
    QString name;
    int stage = 0;
    ember::data::RunStatus status = ember::data::RunStatus::Created;
    QString config, notes;
    qint64 livePid = 0;          // a "running" record's live trainer process, else 0
    qint64 pidFileSteps = 0;     // planned steps the launcher wrote beside the pid; 0: unknown
    qint64 plannedSteps = 0;     // max_steps of the stored config; 0 when the epochs decide
    qint64 steps = 0;            // last step with a train/loss point
    double lastLoss = std::numeric_limits<double>::quiet_NaN();
    double minLoss = std::numeric_limits<double>::quiet_NaN();
    double bestValLoss = std::numeric_limits<double>::quiet_NaN();
    QVector<CheckpointRow> checkpoints;
};

struct RunSnapshot {
    QString workspace;
    QVector<RunRow> runs;              // oldest first
    QHash<qint64, RunSeries> series;   // the watched runs' curves
    bool seriesChanged = false;        // since the previous snapshot
    qint64 checkedPid = 0;             // the pid asked about in watch()
    bool checkedPidAlive = false;
};

class RunMonitor final : public QObject {
    Q_OBJECT
public:
    static constexpr int kPollMs = 500;

    explicit RunMonitor(QObject* parent = nullptr);
    ~RunMonitor() override;   // stops the thread; its database connection closes there

    // Opens the workspace on the monitor's thread and starts polling; empty: stops.
    void setWorkspace(const QString& dir);
    // Whose curves the snapshots carry, and a process whose liveness they report.
    void watch(const QSet<qint64>& runs, qint64 pid);
    void pollSoon();   // coalesced: at most one extra poll queued at a time
    // A launched trainer that died leaves its record "running": mark it failed with these
    // notes. markedFailed(runId, wasRunning) answers once the database has it.
    void markFailed(qint64 runId, const QString& notes);

Q_SIGNALS:
    void snapshot(const ember::studio::RunSnapshot& s);
    void markedFailed(qint64 runId, bool wasRunning);
    void workspaceError(const QString& message);

private:
    class Worker;
    QThread thread_;
    Worker* worker_;
};

} // namespace ember::studio

Q_DECLARE_METATYPE(ember::studio::RunSnapshot)
