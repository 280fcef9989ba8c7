#include "run_controller.h"

#include "train_process.h"

#include <algorithm>

namespace ember::studio {

namespace data = ember::data;
using ember::train::protocol::Event;

RunController::RunController(QObject* parent)
    : QObject(parent)
    , proc_(new TrainProcess(this))
{
    connect(proc_, &TrainProcess::event, this, &RunController::onEvent);
    connect(proc_, &TrainProcess::logLine, this, &RunController::logLine);
    connect(proc_, &TrainProcess::exited, this, &RunController::onExited);
}

void RunController::reset() { activeRun_ = attachedPid_ = totalSteps_ = 0; }

bool RunController::isRunning() const { return launchedRunning() || attachedPid_ != 0; }

bool RunController::launchedRunning() const { return ownRun_ && proc_->isRunning(); }

qint64 RunController::processPid() const { return launchedRunning() ? proc_->pid() : attachedPid_; }

bool RunController::launch(const QString& wsDir, const QStringList& args, const QString& command)
{
    if (isRunning())
        return false;
    activeRun_ = 0;
    totalSteps_ = 0;
    ownRun_ = true;
    if (!proc_->start(wsDir, QStringList{"-w", wsDir} + args, command))
        return false;
    ownPid_ = proc_->pid();
    return true;
}

void RunController::stop()
{
    if (launchedRunning())
        proc_->stop();
    else if (attachedPid_)
        TrainProcess::terminate(attachedPid_);
}

void RunController::onEvent(const QJsonObject& e)
{
    const Event type = ember::train::protocol::parse(e.value("event").toString().toStdString());
    if (type == Event::Started) {
        activeRun_ = e.value("run").toInteger();
        totalSteps_ = e.value("total_steps").toInteger();
    }
    Q_EMIT event(type, e);
}

void RunController::onExited(int code, bool crashed)
{
    lastOwnPid_ = ownPid_;
    lastExitCode_ = code;
    Q_EMIT exited(activeRun_, code, crashed);
}

void RunController::follow(const QVector<RunRow>& rows, const RunSnapshot& s)
{
    if (launchedRunning())
        return;
    if (attachedPid_) {
        const bool inRows = std::any_of(rows.begin(), rows.end(), [this](const RunRow& r) { return r.livePid == attachedPid_; });
        if (inRows || s.checkedPid != attachedPid_ || s.checkedPidAlive) {
            // The same process may have moved on to the next stage ("all"): follow its newest run.
            for (const RunRow& r : rows)
                if (r.status == data::RunStatus::Running && r.id > activeRun_ && r.livePid == attachedPid_) {
                    activeRun_ = r.id;
                    totalSteps_ = r.pidFileSteps ? r.pidFileSteps : r.plannedSteps;
                    Q_EMIT advanced(r.id);
                }
            return;
        }
        attachedPid_ = 0;   // it ended while we watched
        Q_EMIT detached(activeRun_);
    }
    for (const RunRow& r : rows)
        if (r.status == data::RunStatus::Running && r.livePid && r.livePid != lastOwnPid_) {
            attachedPid_ = r.livePid;
            activeRun_ = r.id;
            totalSteps_ = r.pidFileSteps ? r.pidFileSteps : r.plannedSteps;
            ownRun_ = false;
            Q_EMIT attached(r.id, r.livePid);
        }
}

} // namespace ember::studio
