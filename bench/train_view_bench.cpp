// embervlm-bench-train-view: the longest GUI-thread stall while the Train view shows a workspace
// of many runs, measured as the Ask view's test does (a 5 ms precise timer; the worst gap between
// its ticks), as JSON.
//   embervlm-bench-train-view [--runs N] [--seconds S] [--idle]
// Once the view is on screen it is given the workspace; over S seconds it loads the N runs, and
// every 250 ms the "user" selects another run and ticks one to overlay its curves (unticking it
// at the next action), while the monitor polls every 500 ms.
#include "many_runs.h"
#include "run_facts.h"
#include "sqlite_db.h"
#include "train_view.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>

namespace {

QThread* gGuiThread = nullptr;
std::atomic<int> gGuiQueries{0};

void countGuiQueries(const std::string&)
{
    if (QThread::currentThread() == gGuiThread)
        ++gGuiQueries;
}


} // namespace

int main(int argc, char** argv)
{
    int runs = 500;
    double seconds = 6;
    bool userActs = true;
    for (int i = 1; i + 1 < argc; ++i) {
        if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[++i]);
    }
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--idle")) userActs = false;   // only the polls, no user
        if (!std::strcmp(argv[i], "--quick")) {   // seconds, for CI and a first look
            runs = 50;
            seconds = 2;
        }
    }
    if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM") && !qEnvironmentVariableIsSet("DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QTemporaryDir dir;
    const QString ws = dir.path() + "/ws";
    ember::bench::addFinishedRuns(ws.toStdString(), runs);

    gGuiThread = QThread::currentThread();
    ember::data::setQueryObserver(countGuiQueries);
    ember::studio::TrainView view;
    view.resize(1280, 800);
    view.show();

    QElapsedTimer clock;
    qint64 last = -1, worst = 0, worstAt = 0, tableMs = -1;
    int ticks = 0, actions = 0;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(5);
    QObject::connect(&timer, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        if (last >= 0 && now - last > worst) {
            worst = now - last;
            worstAt = now;
        }
        last = now;
        ++ticks;
        if (tableMs < 0 && view.runsTable()->model()->rowCount() == runs)
            tableMs = now / 1000000;
    });
    QTimer user;
    user.setInterval(250);
    qint64 ticked = 0;   // the run the user ticked last, unticked at the next action
    QObject::connect(&user, &QTimer::timeout, [&] {
        QAbstractItemModel* m = view.runsTable()->model();
        const int n = m->rowCount();
        if (n < 2)
            return;
        ++actions;
        view.runsTable()->selectRow((actions * 37) % n);
        if (ticked) {
            view.setOverlaid(ticked, false);
            ticked = 0;
        } else {
            const QModelIndex tick = m->index((actions * 53) % n, 0);
            ticked = tick.data(Qt::UserRole).toLongLong();
            m->setData(tick, Qt::Checked, Qt::CheckStateRole);
        }
    });
    // Measured once the view is on screen (its first paint is the same with no runs at all).
    QElapsedTimer firstPaint;
    firstPaint.start();
    while (!view.isVisible() || firstPaint.elapsed() < 300)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    clock.start();
    timer.start();
    if (userActs)
        user.start();
    view.setWorkspace(ws);
    QTimer::singleShot(static_cast<int>(seconds * 1000), &app, &QApplication::quit);
    app.exec();
    ember::data::setQueryObserver(nullptr);
    nlohmann::json out{{"bench", "train_view"},
                       {"runs", runs},
                       {"seconds", seconds},
                       {"ticks", ticks},
                       {"user_actions", actions},
                       {"table_filled_ms", tableMs},
                       {"longest_stall_ms", std::round(worst / 1e5) / 10},
                       {"longest_stall_ends_ms", worstAt / 1000000},
                       {"gui_thread_db_calls", gGuiQueries.load()},
                       {"overlaid", view.overlaid().size()},
                       {"run", ember::runFacts()}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
}
