// `embervlm-studio`: the desktop program. Options: --workspace DIR, --checkpoint FILE,
// --screenshot FILE [--view NAME] [--size WxH], --threads N, --device cpu|cuda.
#include "main_window.h"
#include "runtime.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QRegularExpression>

#include <cstdio>

int main(int argc, char** argv)
{
    ember::ensureFastRuntime(argc, argv);
    QApplication app(argc, argv);
    QApplication::setOrganizationName("EmberVLM");
    QApplication::setApplicationName("EmberVLM Studio");
    QApplication::setApplicationVersion("0.1.0");

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
    p.addOptions({wsOpt, ckOpt, shotOpt, viewOpt, sizeOpt, threadsOpt, deviceOpt});
    p.process(app);

    ember::setComputeThreads(p.value(threadsOpt).toInt());

    ember::studio::StudioOptions o;
    o.workspace = p.isSet(wsOpt) ? QDir(p.value(wsOpt)).absolutePath() : QString();
    o.checkpoint = p.value(ckOpt);
    o.screenshot = p.isSet(shotOpt) ? QDir(QDir::currentPath()).absoluteFilePath(p.value(shotOpt)) : QString();
    o.view = p.value(viewOpt);
    o.device = p.value(deviceOpt);
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
    w.show();
    const int r = app.exec();
    return rc != 0 ? rc : r;
}
