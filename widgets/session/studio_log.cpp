#include "studio_log.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QMutex>
#include <QStandardPaths>

#include <cstdio>

Q_LOGGING_CATEGORY(lcEngine, "embervlm.engine")
Q_LOGGING_CATEGORY(lcData, "embervlm.data")
Q_LOGGING_CATEGORY(lcTrain, "embervlm.train")
Q_LOGGING_CATEGORY(lcStudio, "embervlm.studio")

namespace ember::studio {

namespace {

// A file of one studio run stops growing here: a runaway loop must not fill the disk.
constexpr qint64 kMaxBytes = 32 << 20;

struct LogState {
    QMutex mutex;
    QFile file;
    QString folder;
    QtMessageHandler previous = nullptr;
    bool full = false;
};

// Never destroyed: a message logged while statics are torn down must still find it.
LogState& state()
{
    static LogState* s = new LogState;
    return *s;
}

const char* levelName(QtMsgType t)
{
    switch (t) {
    case QtDebugMsg: return "debug";
    case QtInfoMsg: return "info";
    case QtWarningMsg: return "warning";
    case QtCriticalMsg: return "critical";
    case QtFatalMsg: return "fatal";
    }
    return "?";
}

void handler(QtMsgType type, const QMessageLogContext& ctx, const QString& msg)
{
    LogState& s = state();
    QtMessageHandler previous = nullptr;
    {
        QMutexLocker lock(&s.mutex);
        previous = s.previous;
        if (s.file.isOpen() && !s.full) {
            const QByteArray line = QDateTime::currentDateTime().toString(Qt::ISODateWithMs).toUtf8() + ' ' +
                                    levelName(type) + ' ' + (ctx.category ? ctx.category : "default") + ": " + msg.toUtf8() +
                                    '\n';
            if (s.file.size() + line.size() > kMaxBytes) {
                s.file.write("log full: later messages are not kept\n");
                s.full = true;
            } else {
                s.file.write(line);
            }
            s.file.flush();   // a crash must not lose the lines before it
        }
    }
    // Warnings and errors also reach the terminal, as before; information only the file.
    if (previous && type != QtDebugMsg && type != QtInfoMsg)
        previous(type, ctx, msg);
}

} // namespace

QString StudioLog::defaultFolder()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/logs";
}

QString StudioLog::folder()
{
    QMutexLocker lock(&state().mutex);
    return state().folder.isEmpty() ? defaultFolder() : state().folder;
}

QString StudioLog::currentFile()
{
    QMutexLocker lock(&state().mutex);
    return state().file.isOpen() ? state().file.fileName() : QString();
}

QString StudioLog::install(const QString& folderIn, int keep)
{
    const QString dir = folderIn.isEmpty() ? defaultFolder() : folderIn;
    if (!QDir().mkpath(dir))
        return {};
    // Rotation: this run's file plus the keep - 1 newest of the earlier ones.
    const auto old = QDir(dir).entryInfoList({"studio-*.log"}, QDir::Files, QDir::Name | QDir::Reversed);
    for (int i = std::max(0, keep - 1); i < old.size(); ++i)
        QFile::remove(old[i].absoluteFilePath());
    // Names sort as the runs started, which the rotation relies on: the time to the millisecond,
    // and within one millisecond the newest name plus "_1" ('_' sorts after '.').
    QString file = "studio-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss-zzz") + ".log";
    if (!old.isEmpty() && file <= old.first().fileName())
        file = old.first().completeBaseName() + "_1.log";
    const QString name = dir + "/" + file;
    LogState& s = state();
    QtMessageHandler prev = qInstallMessageHandler(handler);
    {
        QMutexLocker lock(&s.mutex);
        if (prev != handler)
            s.previous = prev;
        if (s.file.isOpen())
            s.file.close();
        s.file.setFileName(name);
        if (!s.file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text))
            return {};
        s.folder = dir;
        s.full = false;
    }
    return name;
}

void StudioLog::uninstall()
{
    LogState& s = state();
    QMutexLocker lock(&s.mutex);
    qInstallMessageHandler(s.previous);
    s.file.close();
}

} // namespace ember::studio
