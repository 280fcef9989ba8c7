// `embervlm-studio`: the desktop program. Options: --workspace DIR, --checkpoint FILE,
// --screenshot FILE [--view NAME] [--size WxH], --threads N, --device cpu|cuda.
#include "main_window.h"
#include "runtime.h"
#include "studio_log.h"
#include "studio_resources.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QRegularExpression>
#include <QTimer>

#include <cstdio>

int main(int argc, char** argv)
{
    ember::ensureFastRuntime(argc, argv);
    QApplication app(argc, argv);
    QApplication::setOrganizationName("EmberVLM");
    QApplication::setApplicationName("EmberVLM Studio");
    QApplication::setApplicationVersion(EMBERVLM_VERSION);
    QApplication::setWindowIcon(ember::studio::applicationIcon());
    QGuiApplication::setDesktopFileName("io.github.embervlm.Studio");

    QCommandLineParser p;
    p.setApplicationDescription("EmberVLM Studio: ask questions about images and inspect robot-selection reasoning.");
    p.addHelpOption();
    p.addVersionOption();
    QCommandLineOption wsOpt("workspace", "Open the workspace in DIR (created when missing).", "DIR");
    QCommandLineOption ckOpt("checkpoint", "Load the model from FILE (.safetensors).", "FILE");
    QCommandLineOption shotOpt("screenshot", "Render the window to FILE (PNG) once loaded, then exit.", "FILE");
    QCommandLineOption viewOpt("view", "Start in view NAME: ask, reasoning, annotate, train, evaluate.", "NAME");
    QCommandLineOption sizeOpt("size", "Window size WxH (default 1280x800).", "WxH");
    QCommandLineOption threadsOpt("threads", "Compute threads (0: one per core).", "N", "0");
    QCommandLineOption deviceOpt("device", "cpu, cuda or cuda:N (default cpu).", "DEVICE", "cpu");
    QCommandLineOption imageOpt("image", "With --screenshot: open FILE in the Ask or Reasoning view first.", "FILE");
    QCommandLineOption promptOpt("prompt", "With --screenshot: the question (Ask) or task (Reasoning) to run.", "TEXT");
    QCommandLineOption benchOpt("benchmark", "Print start-up figures as JSON once the model is loaded, then exit.");
    p.addOptions({wsOpt, ckOpt, shotOpt, viewOpt, sizeOpt, threadsOpt, deviceOpt, imageOpt, promptOpt, benchOpt});
    p.process(app);

    ember::setComputeThreads(p.value(threadsOpt).toInt());
    // A log per run of the studio; screenshot and benchmark runs are tools' runs and keep none.
    if (!p.isSet(shotOpt) && !p.isSet(benchOpt)) {
        const QString log = ember::studio::StudioLog::install();
        qCInfo(lcStudio).noquote() << "EmberVLM Studio" << QApplication::applicationVersion() << "started, log" << log;
    }

    ember::studio::StudioOptions o;
    o.workspace = p.isSet(wsOpt) ? QDir(p.value(wsOpt)).absolutePath() : QString();
    o.checkpoint = p.value(ckOpt);
    o.screenshot = p.isSet(shotOpt) ? QDir(QDir::currentPath()).absoluteFilePath(p.value(shotOpt)) : QString();
    o.view = p.value(viewOpt);
    o.device = p.value(deviceOpt);
    o.image = p.isSet(imageOpt) ? QDir(QDir::currentPath()).absoluteFilePath(p.value(imageOpt)) : QString();
    o.prompt = p.value(promptOpt);
    if (p.isSet(sizeOpt)) {
        const auto m = QRegularExpression("^(\\d+)[xX](\\d+)$").match(p.value(sizeOpt));
        if (!m.hasMatch()) {
            std::fprintf(stderr, "embervlm-studio: --size wants WxH, e.g. 1280x800\n");
            return 1;
        }
        o.size = QSize(m.captured(1).toInt(), m.captured(2).toInt());
    }

    ember::studio::MainWindow w(o);
    int rc = 0;
    if (!o.screenshot.isEmpty())
        QObject::connect(&w, &ember::studio::MainWindow::screenshotSaved, [&rc](const QString& path, bool ok) {
            std::fprintf(ok ? stdout : stderr, ok ? "wrote %s\n" : "could not write %s\n", qPrintable(path));
            rc = ok ? 0 : 1;
        });
    double windowMs = 0;
    if (p.isSet(benchOpt)) {
        // Cold start: from the program's first instruction (before its re-exec) to a shown,
        // event-processing window, and to the model being ready in it.
        QTimer::singleShot(0, &w, [&windowMs] { windowMs = ember::msSinceProgramStart(); });
        QObject::connect(&w, &ember::studio::MainWindow::modelChanged, &w, [&](const ember::ModelInfo& info) {
            std::printf("{\"window_ms\": %.1f, \"model_ready_ms\": %.1f, \"rss_mb\": %.1f, \"model\": \"%s\", "
                        "\"parameters\": %lld, \"threads\": %d}\n",
                        windowMs, ember::msSinceProgramStart(), ember::residentMegabytes(), info.name.c_str(),
                        static_cast<long long>(info.parameters), info.threads);
            std::fflush(stdout);
            QTimer::singleShot(0, &app, &QApplication::quit);
        });
        QObject::connect(&w, &ember::studio::MainWindow::modelLoadFailed, &w, [&](const QString& m) {
            std::fprintf(stderr, "embervlm-studio: %s\n", qPrintable(m));
            rc = 1;
            QTimer::singleShot(0, &app, &QApplication::quit);
        });
    }
    w.show();
    const int r = app.exec();
    return rc != 0 ? rc : r;
}
