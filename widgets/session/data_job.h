#pragma once
// Long datasets work (import, export, the demo world, an evaluation) on its own thread with its
// own Workspace connection (one per thread, as workspace.h asks). Progress arrives as queued
// signals; cancel() makes the next progress callback return false, and the datasets call rolls back.
#include "progress.h"
#include "workspace.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <functional>

namespace ember::studio {

class DataJob final : public QObject {
    Q_OBJECT
public:
    // fn runs on the job's thread; its return value is the message shown when it succeeds.
    using Work = std::function<QString(ember::data::Workspace& ws, const ember::data::Progress& progress)>;

    // Work that opens what it reads itself (evaluateCheckpoint takes the folder, not a connection).
    // A result beyond the message goes through the caller's own state: written by fn, read in
    // the finished() slot (the queued signal orders the two).
    using Task = std::function<QString(const ember::data::Progress& progress)>;

    // Starts at once. The job deletes itself after finished() unless the parent goes first.
    static DataJob* start(const QString& workspaceDir, Work work, QObject* parent = nullptr);
    static DataJob* start(Task task, QObject* parent = nullptr);
    ~DataJob() override;

    void cancel() { cancel_ = true; }
    bool isRunning() const { return thread_ && thread_->isRunning(); }

Q_SIGNALS:
    void progress(qint64 done, qint64 total);
    void finished(bool ok, bool cancelled, const QString& message);

private:
    explicit DataJob(QObject* parent) : QObject(parent) {}
    QThread* thread_ = nullptr;
    std::atomic<bool> cancel_{false};
};

} // namespace ember::studio
