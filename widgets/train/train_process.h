#pragma once
// The `embervlm train` child process of the Train view: launches it, turns its stdout lines into
// events, and leaves a pid file in each run's directory so that a studio started later can still
// stop the run (the pipe dies with the studio that launched it; the pid file does not).
#include <QJsonObject>
#include <QObject>
#include <QStringList>

class QProcess;

namespace ember::studio {

class TrainProcess final : public QObject {
    Q_OBJECT
public:
    explicit TrainProcess(QObject* parent = nullptr);
    ~TrainProcess() override;

    // The `embervlm` program next to the studio's executable (override for tests).
    static QString program();
    static void setProgram(const QString& path);

    // args after `train`, e.g. {"-w", ws, "--stage", "3", "--config", json}.
    // Runs `embervlm <command> ARGS` (train, or demo for the demo recipe's four stages).
    bool start(const QString& workspace, const QStringList& args, const QString& command = QStringLiteral("train"));
    bool isRunning() const;
    qint64 pid() const;
    // SIGTERM: the trainer saves a checkpoint and exits as "stopped" (resumable).
    void stop();

    // <workspace>/runs/run-N/pid: "<pid> <total steps>".
    static QString pidFile(const QString& workspace, qint64 runId);
    static qint64 readPid(const QString& workspace, qint64 runId, qint64* totalSteps = nullptr);
    // True when pid is a live `embervlm` process (not a recycled pid of something else).
    static bool isTrainerAlive(qint64 pid);
    static bool terminate(qint64 pid);
    // A live `embervlm train|demo` working on this workspace that no pid file names (started from
    // a terminal): its pid, else 0.
    static qint64 findTrainerFor(const QString& workspace);

Q_SIGNALS:
    void event(const QJsonObject& e);   // one JSON line of the trainer
    void logLine(const QString& line);  // stderr and any non-JSON output
    void exited(int exitCode, bool crashed);

private:
    void readOut();
    void readErr();

    QProcess* proc_ = nullptr;
    QString workspace_;
    QByteArray outBuf_, errBuf_;
};

} // namespace ember::studio
