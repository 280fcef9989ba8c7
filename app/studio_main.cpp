// `embervlm-studio`: the desktop program. Options: --workspace DIR, --checkpoint FILE,
// --screenshot FILE [--view NAME] [--size WxH], --threads N, --device cpu|cuda.
#include "main_window.h"
#include "run_facts.h"
#include "runtime.h"
#include "studio_log.h"
#include "studio_resources.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QRegularExpression>
#include <QTimer>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace {

using ember::studio::MainWindow;

void describeApplication()
{
    QApplication::setOrganizationName("EmberVLM");
    QApplication::setApplicationName("EmberVLM Studio");
    QApplication::setApplicationVersion(EMBERVLM_VERSION);
    QApplication::setWindowIcon(ember::studio::applicationIcon());
    QGuiApplication::setDesktopFileName("io.github.embervlm.Studio");
}

// The program's options, kept to read their values once the parser has processed the command line.
struct CommandLine {
    QCommandLineOption workspace{"workspace", "Open the workspace in DIR (created when missing).", "DIR"};
    QCommandLineOption checkpoint{"checkpoint", "Load the model from FILE (.safetensors).", "FILE"};
    QCommandLineOption screenshot{"screenshot", "Render the window to FILE (PNG) once loaded, then exit.", "FILE"};
    QCommandLineOption view{"view", "Start in view NAME: ask, reasoning, annotate, train, evaluate.", "NAME"};
    QCommandLineOption size{"size", "Window size WxH (default 1280x800).", "WxH"};
    QCommandLineOption threads{"threads", "Compute threads (0: one per core).", "N", "0"};
    QCommandLineOption device{"device", "cpu, cuda or cuda:N (default cpu).", "DEVICE", "cpu"};
    QCommandLineOption image{"image", "With --screenshot: open FILE in the Ask or Reasoning view first.", "FILE"};
    QCommandLineOption prompt{"prompt", "With --screenshot: the question (Ask) or task (Reasoning) to run.", "TEXT"};
    QCommandLineOption benchmark{"benchmark", "Print start-up figures as JSON once the model is loaded, then exit."};
    QCommandLineParser parser;

    void process(const QApplication& app)
    {
        parser.setApplicationDescription(
            "EmberVLM Studio: ask questions about images and inspect robot-selection reasoning.");
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOptions({workspace, checkpoint, screenshot, view, size, threads, device, image, prompt, benchmark});
        parser.process(app);
    }
};

// A log per run of the studio; screenshot and benchmark runs are tools' runs and keep none.
void startLog(const CommandLine& c)
{
    if (c.parser.isSet(c.screenshot) || c.parser.isSet(c.benchmark))
        return;
    const QString log = ember::studio::StudioLog::install();
    qCInfo(lcStudio).noquote() << "EmberVLM Studio" << QApplication::applicationVersion() << "started, log" << log;
}

// The window's options from the command line; false (said on stderr) for a malformed --size.
bool studioOptions(const CommandLine& c, ember::studio::StudioOptions* o)
{
    const QCommandLineParser& p = c.parser;
    o->workspace = p.isSet(c.workspace) ? QDir(p.value(c.workspace)).absolutePath() : QString();
    o->checkpoint = p.value(c.checkpoint);
    o->screenshot = p.isSet(c.screenshot) ? QDir(QDir::currentPath()).absoluteFilePath(p.value(c.screenshot)) : QString();
    o->view = p.value(c.view);
    o->device = p.value(c.device);
    o->image = p.isSet(c.image) ? QDir(QDir::currentPath()).absoluteFilePath(p.value(c.image)) : QString();
    o->prompt = p.value(c.prompt);
    if (p.isSet(c.size)) {
        const auto m = QRegularExpression("^(\\d+)[xX](\\d+)$").match(p.value(c.size));
        if (!m.hasMatch()) {
            std::fprintf(stderr, "embervlm-studio: --size wants WxH, e.g. 1280x800\n");
            return false;
        }
        o->size = QSize(m.captured(1).toInt(), m.captured(2).toInt());
    }
    return true;
}

// What a --screenshot run says, and its exit status.
void reportScreenshot(MainWindow& w, int& rc)
{
    QObject::connect(&w, &MainWindow::screenshotSaved, [&rc](const QString& path, bool ok) {
        std::fprintf(ok ? stdout : stderr, ok ? "wrote %s\n" : "could not write %s\n", qPrintable(path));
        rc = ok ? 0 : 1;
    });
}

// Cold start: from the program's first instruction (before its re-exec) to a shown,
// event-processing window, and to the model being ready in it.
void reportBenchmark(MainWindow& w, QApplication& app, int& rc, double& windowMs)
{
    QTimer::singleShot(0, &w, [&windowMs] { windowMs = ember::msSinceProgramStart(); });
    QObject::connect(&w, &MainWindow::modelChanged, &w, [&](const ember::ModelInfo& info) {
        const nlohmann::json out{{"bench", "studio_start"},
                                 {"window_ms", windowMs},
                                 {"model_ready_ms", ember::msSinceProgramStart()},
                                 {"rss_mb", ember::residentMegabytes()},
                                 {"model", info.name},
                                 {"parameters", info.parameters},
                                 {"threads", info.threads},
                                 {"run", ember::runFacts()}};
        std::printf("%s\n", out.dump().c_str());
        std::fflush(stdout);
        QTimer::singleShot(0, &app, &QApplication::quit);
    });
    QObject::connect(&w, &MainWindow::modelLoadFailed, &w, [&](const QString& m) {
        std::fprintf(stderr, "embervlm-studio: %s\n", qPrintable(m));
        rc = 1;
        QTimer::singleShot(0, &app, &QApplication::quit);
    });
}

} // namespace

int main(int argc, char** argv)
{
    ember::ensureFastRuntime(argc, argv);
    QApplication app(argc, argv);
    describeApplication();

    CommandLine c;
    c.process(app);
    ember::setComputeThreads(c.parser.value(c.threads).toInt());
    startLog(c);

    ember::studio::StudioOptions o;
    if (!studioOptions(c, &o))
        return 1;

    MainWindow w(o);
    int rc = 0;
    if (!o.screenshot.isEmpty())
        reportScreenshot(w, rc);
    double windowMs = 0;
    if (c.parser.isSet(c.benchmark))
        reportBenchmark(w, app, rc, windowMs);
    w.show();
    const int r = app.exec();
    return rc != 0 ? rc : r;
}
