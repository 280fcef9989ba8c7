#include "run_monitor.h"

#include "train_process.h"
#include "workspace.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <memory>

namespace ember::studio {

namespace data = ember::data;

namespace {

// A run's planned steps from its stored config (max_steps; 0 when the epochs decide).
qint64 configuredSteps(const data::RunInfo& r)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(r.config)).object().value("max_steps").toInteger();
}

qint64 newestRunning(const std::vector<data::RunInfo>& runs)
{
    qint64 newest = 0;
    for (const auto& r : runs)
        if (r.stage > 0 && r.status == data::RunStatus::Running)
            newest = std::max<qint64>(newest, r.id);
    return newest;
}

} // namespace

// Lives on the monitor's thread; owns that thread's database connection.
class RunMonitor::Worker final : public QObject {
public:
    explicit Worker(RunMonitor* monitor) : monitor_(monitor) {}

    std::atomic<bool> pollQueued{false};

    void init()
    {
        timer_ = new QTimer(this);
        timer_->setInterval(kPollMs);
        connect(timer_, &QTimer::timeout, this, [this] { poll(); });
    }

    void open(const QString& dir)
    {
        timer_->stop();
        ws_.reset();
        series_.clear();
        known_.clear();
        watched_.clear();
        pid_ = 0;
        dir_ = dir;
        if (dir.isEmpty())
            return;
        try {
            ws_ = std::make_unique<data::Workspace>(data::Workspace::open(dir.toStdString()));
        } catch (const data::DbError& e) {
            if (e.busy) {
                // Another connection holds the write lock (the first start's demo world, an
                // import): not a broken workspace; opened again shortly.
                QTimer::singleShot(kPollMs, this, [this, dir] {
                    if (dir_ == dir && !ws_)
                        open(dir);
                });
                return;
            }
            Q_EMIT monitor_->workspaceError(QString::fromUtf8(e.what()));
            return;
        } catch (const std::exception& e) {
            Q_EMIT monitor_->workspaceError(QString::fromUtf8(e.what()));
            return;
        }
        timer_->start();
        poll();
    }

    void watch(const QSet<qint64>& runs, qint64 pid)
    {
        if (!(runs - watched_).isEmpty())
            seriesDirty_ = true;   // a newly watched run's curves go out with the next snapshot
        watched_ = runs;
        pid_ = pid;
    }

    void poll();
    void markFailed(qint64 runId, const QString& notes);

private:
    RunRow rowFor(const data::RunInfo& r, qint64 newest);
    void pollSeries(const data::RunInfo& r, bool statusChanged);
    QVector<CheckpointRow> checkpointsOf(qint64 runId) const;
    qint64 livePid(const data::RunInfo& r, qint64 newest, qint64* pidFileSteps) const;

    struct Known {
        data::RunStatus status;
        QVector<CheckpointRow> checkpoints;
    };

    RunMonitor* monitor_;
    QTimer* timer_ = nullptr;
    QString dir_;
    std::unique_ptr<data::Workspace> ws_;
    QHash<qint64, RunSeries> series_;   // every run's, for the table's figures
    QHash<qint64, Known> known_;
    QSet<qint64> watched_;
    qint64 pid_ = 0;
    bool seriesDirty_ = false;
};

void RunMonitor::Worker::poll()
{
    if (!ws_)
        return;
    std::vector<data::RunInfo> all;
    try {
        all = ws_->runs();
    } catch (const std::exception&) {
        return;   // a locked or vanished database: the next poll tries again
    }
    RunSnapshot s;
    s.workspace = dir_;
    const qint64 newest = newestRunning(all);
    for (const auto& r : all)
        if (r.stage > 0)
            s.runs.push_back(rowFor(r, newest));
    for (qint64 id : std::as_const(watched_))
        if (auto it = series_.constFind(id); it != series_.constEnd())
            s.series.insert(id, *it);
    s.seriesChanged = seriesDirty_;
    seriesDirty_ = false;
    s.checkedPid = pid_;
    s.checkedPidAlive = pid_ && TrainProcess::isTrainerAlive(pid_);
    Q_EMIT monitor_->snapshot(s);   // queued to the GUI thread
}

RunRow RunMonitor::Worker::rowFor(const data::RunInfo& r, qint64 newest)
{
    auto known = known_.find(r.id);
    const bool first = known == known_.end();
    const bool statusChanged = first || known->status != r.status;
    pollSeries(r, statusChanged);
    if (first)
        known = known_.insert(r.id, Known{r.status, {}});
    // Checkpoints change only while a run trains (or when it stops or resumes).
    if (statusChanged || r.status == data::RunStatus::Running)
        known->checkpoints = checkpointsOf(r.id);
    known->status = r.status;

    RunRow row;
    row.id = r.id;
    row.name = QString::fromStdString(r.name);
    row.stage = r.stage;
    row.status = r.status;
    row.config = QString::fromStdString(r.config);
    row.notes = QString::fromStdString(r.notes);
    row.plannedSteps = configuredSteps(r);
    if (r.status == data::RunStatus::Running)
        row.livePid = livePid(r, newest, &row.pidFileSteps);
    const RunSeries& rs = series_[r.id];
    if (const SeriesData* loss = rs.find("train/loss"); loss && !loss->step.isEmpty())
        row.steps = static_cast<qint64>(loss->step.back());
    row.lastLoss = rs.last("train/loss");
    row.minLoss = rs.min("train/loss");
    row.bestValLoss = rs.min("val/loss");
    row.checkpoints = known->checkpoints;
    return row;
}

// A finished run is read once; a running or watched one on every poll.
void RunMonitor::Worker::pollSeries(const data::RunInfo& r, bool statusChanged)
{
    auto it = series_.find(r.id);
    if (it == series_.end())
        it = series_.insert(r.id, RunSeries(r.id));
    const bool watched = watched_.contains(r.id);
    if (!statusChanged && !watched && r.status != data::RunStatus::Running)
        return;
    try {
        if (it->poll(*ws_) && watched)
            seriesDirty_ = true;
    } catch (const std::exception&) {
        // Unreadable metrics: the figures stay as they were until a later poll reads them.
    }
}

QVector<CheckpointRow> RunMonitor::Worker::checkpointsOf(qint64 runId) const
{
    QVector<CheckpointRow> out;
    try {
        for (const auto& c : ws_->checkpoints(runId))
            out.push_back({c.step, c.isBest, QString::fromStdString(ws_->absolutePath(c.path))});
    } catch (const std::exception&) {
    }
    return out;
}

qint64 RunMonitor::Worker::livePid(const data::RunInfo& r, qint64 newest, qint64* pidFileSteps) const
{
    qint64 pid = TrainProcess::readPid(dir_, r.id, pidFileSteps);
    // No pid file: a run started outside the studio. Only the newest running record can be the
    // live process's; an older one was left "running" by a process that died.
    if (!pid && r.id == newest)
        pid = TrainProcess::findTrainerFor(dir_);
    return TrainProcess::isTrainerAlive(pid) ? pid : 0;
}

void RunMonitor::Worker::markFailed(qint64 runId, const QString& notes)
{
    bool wasRunning = false;
    if (ws_) {
        try {
            if (auto r = ws_->run(runId); r && r->status == data::RunStatus::Running) {
                wasRunning = true;
                r->status = data::RunStatus::Failed;
                r->notes = notes.toStdString();
                ws_->updateRun(*r);
            }
        } catch (const std::exception&) {
            // The record stays "running"; the table shows it interrupted (no live process).
        }
    }
    Q_EMIT monitor_->markedFailed(runId, wasRunning);
    poll();
}

RunMonitor::RunMonitor(QObject* parent)
    : QObject(parent)
    , worker_(new Worker(this))
{
    qRegisterMetaType<ember::studio::RunSnapshot>();
    worker_->moveToThread(&thread_);
    thread_.setObjectName(QStringLiteral("run monitor"));
    thread_.start();
    QMetaObject::invokeMethod(worker_, [w = worker_] { w->init(); }, Qt::QueuedConnection);
}

RunMonitor::~RunMonitor()
{
    // The worker (and its database connection) goes on its own thread, then the thread ends.
    QMetaObject::invokeMethod(worker_, [w = worker_] { delete w; }, Qt::BlockingQueuedConnection);
    thread_.quit();
    thread_.wait();
}

void RunMonitor::setWorkspace(const QString& dir)
{
    QMetaObject::invokeMethod(worker_, [w = worker_, dir] { w->open(dir); }, Qt::QueuedConnection);
}

void RunMonitor::watch(const QSet<qint64>& runs, qint64 pid)
{
    QMetaObject::invokeMethod(worker_, [w = worker_, runs, pid] { w->watch(runs, pid); }, Qt::QueuedConnection);
}

void RunMonitor::pollSoon()
{
    if (worker_->pollQueued.exchange(true))
        return;
    QMetaObject::invokeMethod(
        worker_,
        [w = worker_] {
            w->pollQueued = false;
            w->poll();
        },
        Qt::QueuedConnection);
}

void RunMonitor::markFailed(qint64 runId, const QString& notes)
{
    QMetaObject::invokeMethod(worker_, [w = worker_, runId, notes] { w->markFailed(runId, notes); }, Qt::QueuedConnection);
}

} // namespace ember::studio
