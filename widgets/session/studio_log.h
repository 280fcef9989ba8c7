#pragma once
// The studio's log: one file per run of the studio in <AppDataLocation>/logs (the newest ten
// kept), written by a Qt message handler from any thread: what a user attaches to a bug report.
#include <QLoggingCategory>
#include <QString>

Q_DECLARE_LOGGING_CATEGORY(lcEngine)    // "embervlm.engine": models loaded, answers, selections
Q_DECLARE_LOGGING_CATEGORY(lcData)      // "embervlm.data": import, export, split, augment jobs
Q_DECLARE_LOGGING_CATEGORY(lcTrain)     // "embervlm.train": training processes, evaluations
Q_DECLARE_LOGGING_CATEGORY(lcStudio)    // "embervlm.studio": workspaces, start and exit

namespace ember::studio {

class StudioLog {
public:
    // Opens a new file studio-<date>-<time>.log in folder (default: the application's data
    // location/logs), removes all but the `keep` newest, and installs the handler. Warnings and
    // errors still go to stderr; information goes to the file only. Returns the file's path, empty
    // when it could not be opened.
    static QString install(const QString& folder = QString(), int keep = 10);
    static QString defaultFolder();
    static QString folder();        // where install() wrote; the default before it ran
    static QString currentFile();   // empty before install()
    static void uninstall();        // back to Qt's handler (tests)
};

} // namespace ember::studio
