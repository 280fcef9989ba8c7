#include "train_process.h"
#include "trainer_protocol.h"

#include "studio_log.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>

#include <csignal>
#include <sys/types.h>
#include <unistd.h>

namespace ember::studio {

namespace {
QString& programOverride()
{
    static QString p;
    return p;
}

// Cuts the first whole line (its '\n' dropped) off the front of buf; false while none is whole.
bool takeLine(QByteArray& buf, QByteArray& line)
{
    const int nl = buf.indexOf('\n');
    if (nl < 0)
        return false;
    line = buf.left(nl);
    buf.remove(0, nl + 1);
    return true;
}

QString runDir(const QString& workspace, qint64 runId)
{
    return QString::fromStdString(ember::train::protocol::runDirectory(workspace.toStdString(), runId));
}
} // namespace

TrainProcess::TrainProcess(QObject* parent) : QObject(parent) {}

TrainProcess::~TrainProcess()
{
    // The run outlives the studio on purpose (it keeps training and is re-attached later):
    // detach the QProcess instead of letting its destructor kill the child.
    if (proc_ && proc_->state() != QProcess::NotRunning) {
        proc_->disconnect(this);
        proc_->setParent(nullptr);
        proc_->closeReadChannel(QProcess::StandardOutput);
        proc_->closeReadChannel(QProcess::StandardError);
        // Leaked deliberately: ~QProcess would kill and wait for the child.
        proc_ = nullptr;
    }
}

QString TrainProcess::program()
{
    if (!programOverride().isEmpty())
        return programOverride();
    return QCoreApplication::applicationDirPath() + "/embervlm";
}

void TrainProcess::setProgram(const QString& path) { programOverride() = path; }

bool TrainProcess::start(const QString& workspace, const QStringList& args, const QString& command)
{
    if (isRunning())
        return false;
    delete proc_;
    workspace_ = workspace;
    outBuf_.clear();
    errBuf_.clear();
    proc_ = new QProcess(this);
    connect(proc_, &QProcess::readyReadStandardOutput, this, &TrainProcess::readOut);
    connect(proc_, &QProcess::readyReadStandardError, this, &TrainProcess::readErr);
    connect(proc_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus st) {
        readOut();
        readErr();
        qCInfo(lcTrain) << "embervlm exited with code" << code << (st == QProcess::CrashExit ? "(crashed)" : "");
        Q_EMIT exited(code, st == QProcess::CrashExit);
    });
    connect(proc_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            qCWarning(lcTrain).noquote() << "could not start" << program() << proc_->errorString();
            Q_EMIT logLine(tr("Could not start %1: %2").arg(program(), proc_->errorString()));
            Q_EMIT exited(-1, true);
        }
    });
    // The run must outlive the studio: once the studio is gone its pipe's read end closes, and a
    // default SIGPIPE would kill the trainer on its next progress line. Ignored, the write just
    // fails (an ignored disposition survives exec). The database keeps the record either way.
    proc_->setChildProcessModifier([] { ::signal(SIGPIPE, SIG_IGN); });
    qCInfo(lcTrain).noquote() << "starting" << program() << (QStringList{command} + args).join(' ');
    proc_->start(program(), QStringList{command} + args);
    // Not waited for: a program that cannot start reports through errorOccurred → exited().
    return proc_->state() != QProcess::NotRunning;
}

bool TrainProcess::isRunning() const { return proc_ && proc_->state() != QProcess::NotRunning; }

qint64 TrainProcess::pid() const { return proc_ ? proc_->processId() : 0; }

void TrainProcess::stop()
{
    if (isRunning())
        proc_->terminate();   // SIGTERM on Unix
}

void TrainProcess::readOut()
{
    if (!proc_)
        return;
    outBuf_ += proc_->readAllStandardOutput();
    QByteArray raw;
    while (takeLine(outBuf_, raw)) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty())
            continue;
        const QJsonDocument d = QJsonDocument::fromJson(line);
        if (!d.isObject()) {
            Q_EMIT logLine(QString::fromUtf8(line));
            continue;
        }
        const QJsonObject e = d.object();
        using ember::train::protocol::Event;
        const Event ev = ember::train::protocol::parse(e.value("event").toString().toStdString());
        if (ev != Event::Step && ev != Event::Eval)
            qCInfo(lcTrain).noquote() << "run event:" << QString::fromUtf8(line);
        if (ev == Event::Started) {
            // Written here, not by the trainer: only the launcher knows it will need to stop it later.
            const qint64 run = e.value("run").toInteger();
            QFile f(pidFile(workspace_, run));
            if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
                f.write(QByteArray::number(pid()) + " " + QByteArray::number(e.value("total_steps").toInteger()) + "\n");
        }
        Q_EMIT event(e);
    }
}

void TrainProcess::readErr()
{
    if (!proc_)
        return;
    errBuf_ += proc_->readAllStandardError();
    QByteArray line;
    while (takeLine(errBuf_, line)) {
        qCInfo(lcTrain).noquote() << "embervlm:" << QString::fromUtf8(line);
        Q_EMIT logLine(QString::fromUtf8(line));
    }
}

QString TrainProcess::pidFile(const QString& workspace, qint64 runId)
{
    const QString dir = runDir(workspace, runId);
    QDir().mkpath(dir);
    return dir + "/pid";
}

qint64 TrainProcess::readPid(const QString& workspace, qint64 runId, qint64* totalSteps)
{
    QFile f(runDir(workspace, runId) + "/pid");
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> parts = f.readAll().simplified().split(' ');
    if (totalSteps)
        *totalSteps = parts.size() > 1 ? parts[1].toLongLong() : 0;
    return parts.value(0).toLongLong();
}

bool TrainProcess::isTrainerAlive(qint64 pid)
{
    if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) != 0)
        return false;
    QFile stat(QString("/proc/%1/stat").arg(pid));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray s = stat.readAll();
        const int close = s.lastIndexOf(')');
        if (close > 0 && s.size() > close + 2 && s[close + 2] == 'Z')
            return false;   // exited, not yet reaped
        // argv[0], not the command name: the runtime may re-exec itself through /proc/self/exe.
        QFile cmd(QString("/proc/%1/cmdline").arg(pid));
        return cmd.open(QIODevice::ReadOnly) && cmd.readAll().split('\0').value(0).endsWith("embervlm");
    }
    return true;   // no /proc: trust kill()
}

bool TrainProcess::terminate(qint64 pid)
{
    return isTrainerAlive(pid) && ::kill(static_cast<pid_t>(pid), SIGTERM) == 0;
}

qint64 TrainProcess::findTrainerFor(const QString& workspace)
{
    const QString want = QDir(workspace).absolutePath();
    const QStringList procs = QDir("/proc").entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& d : procs) {
        bool num = false;
        const qint64 pid = d.toLongLong(&num);
        if (!num)
            continue;
        QFile f("/proc/" + d + "/cmdline");
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QList<QByteArray> argv = f.readAll().split('\0');
        if (argv.size() < 3 || !argv[0].endsWith("embervlm") || (argv[1] != "train" && argv[1] != "demo"))
            continue;
        for (int i = 2; i + 1 < argv.size(); ++i)
            if ((argv[i] == "-w" || argv[i] == "--workspace") &&
                QDir(QString::fromLocal8Bit(argv[i + 1])).absolutePath() == want && isTrainerAlive(pid))
                return pid;
    }
    return 0;
}

} // namespace ember::studio
