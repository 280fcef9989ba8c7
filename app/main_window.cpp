#include "main_window.h"
#include "studio_resources.h"

#include "annotate_view.h"
#include "ask_view.h"
#include "data_job.h"
#include "demo_world.h"
#include "engine_worker.h"
#include "confusion_map.h"
#include "convert.h"
#include "evaluate_view.h"
#include "message_bar.h"
#include "cpu_isa.h"
#include "recipe.h"
#include "runtime.h"
#include "studio_log.h"
#include "reasoning_view.h"
#include "screenshot_run.h"
#include "store_worker.h"
#include "studio_session.h"
#include "train_view.h"
#include "workspace.h"
#include "workspace_samples.h"

#include <QAction>
#include <QDesktopServices>
#include <QMessageBox>
#include <QUrl>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QVBoxLayout>
#include <QPushButton>

#include <cmath>

namespace ember::studio {

namespace {

constexpr int kMaxRecent = 8;
const char* kViewNames[] = {"ask", "reasoning", "annotate", "train", "evaluate"};

QString humanCount(qint64 n)
{
    if (n >= 1000000)
        return QString::number(n / 1e6, 'f', 1) + " M";
    if (n >= 1000)
        return QString::number(n / 1e3, 'f', 1) + " k";
    return QString::number(n);
}

} // namespace

MainWindow::MainWindow(const StudioOptions& options, QWidget* parent)
    : QMainWindow(parent)
    , options_(options)
    , session_(new StudioSession(options.device, this))
{
    connect(session_, &StudioSession::storeOpened, this, &MainWindow::onStoreOpened);
    connect(session_->store(), &StoreWorker::error, this, [this](const QString& m) { message_->showError(m); });
    setWindowTitle(tr("EmberVLM Studio"));
    setObjectName("mainWindow");

    auto* central = new QWidget(this);
    QHBoxLayout* body = buildFrame(central);
    buildNavigation(central);
    body->addWidget(nav_);
    buildViews(central);
    connectViews();
    body->addWidget(stack_, 1);
    setCentralWidget(central);
    connect(nav_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0)
            stack_->setCurrentIndex(row);
        QSettings().setValue("window/view", row);
    });

    buildMenus();
    buildStatusBar();
    connectEngine();
    restoreLayout();
    openStartupWorkspace();
    if (!options_.checkpoint.isEmpty())
        openCheckpoint(options_.checkpoint);
}

QHBoxLayout* MainWindow::buildFrame(QWidget* central)
{
    auto* outer = new QVBoxLayout(central);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);
    message_ = new MessageBar(central);
    auto* msgWrap = new QHBoxLayout;
    msgWrap->setContentsMargins(12, 8, 12, 0);
    msgWrap->addWidget(message_);
    outer->addLayout(msgWrap);
    auto* body = new QHBoxLayout;
    body->setContentsMargins(0, 0, 0, 0);
    body->setSpacing(0);
    outer->addLayout(body, 1);
    return body;
}

void MainWindow::buildNavigation(QWidget* central)
{
    nav_ = new QListWidget(central);
    nav_->setObjectName("navigation");
    nav_->setAccessibleName(tr("Views"));
    nav_->setFrameShape(QFrame::NoFrame);
    nav_->setIconSize(QSize(20, 20));
    nav_->setSpacing(2);
    nav_->setStyleSheet("#navigation { background: palette(window); border-right: 1px solid palette(mid); padding: 6px; }"
                        "#navigation::item { padding: 8px 10px; border-radius: 4px; }"
                        "#navigation::item:selected { background: palette(highlight); color: palette(highlighted-text); }");
    const struct {
        QString name;
        const char* icon;
        QString tip;
    } items[] = {{tr("Ask"), "ask", tr("Ask questions about an image (Ctrl+1)")},
                 {tr("Reasoning"), "reasoning", tr("Robot selection and its reasoning trace (Ctrl+2)")},
                 {tr("Annotate"), "annotate", tr("Label samples: tasks, robots, reasoning steps (Ctrl+3)")},
                 {tr("Train"), "train", tr("Train the model in the background with live loss curves (Ctrl+4)")},
                 {tr("Evaluate"), "evaluate", tr("Metrics, confusion and calibration of a checkpoint (Ctrl+5)")}};
    for (const auto& it : items) {
        auto* li = new QListWidgetItem(studioIcon(it.icon), it.name, nav_);
        li->setToolTip(it.tip);
    }
    int navW = 0;
    for (const auto& it : items)
        navW = std::max(navW, nav_->fontMetrics().horizontalAdvance(it.name));
    nav_->setFixedWidth(navW + 20 + 60);
}

void MainWindow::buildViews(QWidget* central)
{
    stack_ = new QStackedWidget(central);
    ask_ = new AskView(session_->engine(), stack_);
    reasoning_ = new ReasoningView(session_->engine(), stack_);
    stack_->addWidget(ask_);
    stack_->addWidget(reasoning_);
    annotate_ = new AnnotateView(session_->engine(), stack_);
    stack_->addWidget(annotate_);
    samples_ = new WorkspaceSamples(this);
    annotate_->setStore(session_->store());
    samples_->setStore(session_->store());
    connect(samples_, &WorkspaceSamples::sampleAdded, annotate_, [this] { annotate_->reload(); });
    train_ = new TrainView(stack_);
    stack_->addWidget(train_);
    evaluate_ = new EvaluateView(stack_);
    stack_->addWidget(evaluate_);
}

void MainWindow::connectViews()
{
    // A checkpoint of a run goes through the same loading as File > Open checkpoint.
    connect(train_, &TrainView::demoModelReady, this, [this](const QString& path) {
        qCInfo(lcStudio).noquote() << "demo model ready:" << path;
        openCheckpoint(path);   // Ask and Reasoning share the one engine
    });
    connect(train_, &TrainView::openCheckpointRequested, this, [this](const QString& path, TrainView::OpenIn where) {
        openCheckpoint(path);
        showView(where == TrainView::OpenIn::Ask ? Ask : Reasoning);
    });
    connect(evaluate_, &EvaluateView::openSampleRequested, this, [this](qint64 id) {
        showView(Annotate);
        annotate_->openSample(id, [this, id](bool found) {
            if (!found)
                message_->showError(tr("Sample #%1 is not in this workspace any more.").arg(id));
        });
    });
    connect(nav_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row == Evaluate)
            evaluate_->refreshCheckpoints();   // runs may have added some
    });
}

// The Ask view's last image per workspace, the engine's answers to loads, a screenshot run.
void MainWindow::connectEngine()
{
    connect(ask_, &AskView::imageChanged, this, [this](const QString& path) {
        if (!path.isEmpty() && workspace().isValid())
            QSettings().setValue("workspaces/" + sha256Hex(workspace().dir().toUtf8()).left(16) + "/image", path);
    });
    connect(session_, &StudioSession::modelLoaded, this, &MainWindow::onModelLoaded);
    connect(session_, &StudioSession::modelFailed, this, &MainWindow::onFailed);
    if (!options_.screenshot.isEmpty()) {
        screenshot_ = new ScreenshotRun(this, options_.screenshot, options_.image, options_.prompt);
        connect(screenshot_, &ScreenshotRun::saved, this, &MainWindow::screenshotSaved);
    }
}

// Geometry, dock state and view of the last session; a screenshot run has its own size and
// view and leaves the saved layout alone.
void MainWindow::restoreLayout()
{
    QSettings s;
    const QSize size = options_.size.isValid() ? options_.size : QSize(1280, 800);
    if (!options_.screenshot.isEmpty() || !restoreGeometry(s.value("window/geometry").toByteArray()))
        resize(size);
    if (options_.screenshot.isEmpty())
        restoreState(s.value("window/state").toByteArray());
    int view = s.value("window/view", 0).toInt();
    for (int i = 0; i < 5; ++i)
        if (options_.view.compare(kViewNames[i], Qt::CaseInsensitive) == 0)
            view = i;
    showView(view);
}

// --workspace, else the last one used, else the default; the default too when the chosen one
// cannot be opened, with the reason on screen.
void MainWindow::openStartupWorkspace()
{
    QString dir = options_.workspace;   // created when missing
    if (dir.isEmpty()) {
        dir = QSettings().value("workspace/last").toString();
        if (dir.isEmpty() || !QFileInfo(dir).isDir())
            dir = StudioWorkspace::defaultLocation();
    }
    if (!openWorkspace(dir) && dir != StudioWorkspace::defaultLocation()) {
        const QString why = message_->text();
        openWorkspace(StudioWorkspace::defaultLocation());
        workspaceProblem_ = tr("%1 The default workspace is open instead.").arg(why);
        message_->showError(workspaceProblem_);
    }
}

MainWindow::~MainWindow()
{
    session_->shutdownEngine();
    // The views hold the store worker: detach them (the last typed edit is posted on the way)
    // before the session ends it, which writes everything posted before it joins.
    annotate_->setStore(nullptr);
    samples_->setStore(nullptr);
    delete session_;
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    auto* newWs = file->addAction(tr("&New workspace…"), this, &MainWindow::newWorkspaceDialog);
    newWs->setShortcut(QKeySequence::New);
    auto* openWs = file->addAction(studioIcon("open-folder"), tr("&Open workspace…"), this,
                                   &MainWindow::openWorkspaceDialog);
    openWs->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    auto* openCk = file->addAction(tr("Open &checkpoint…"), this, &MainWindow::openCheckpointDialog);
    openCk->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    recentMenu_ = file->addMenu(tr("&Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* go = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < nav_->count(); ++i) {
        auto* a = go->addAction(nav_->item(i)->icon(), nav_->item(i)->text(), this, [this, i] { showView(i); });
        a->setShortcut(QKeySequence(Qt::CTRL | (Qt::Key_1 + i)));
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Train the &demo model"), this, &MainWindow::trainDemoModel);
    help->addAction(tr("Open &log folder"), this, [] {
        QDir().mkpath(StudioLog::folder());
        QDesktopServices::openUrl(QUrl::fromLocalFile(StudioLog::folder()));
    });
    help->addSeparator();
    help->addAction(applicationIcon(), tr("&About EmberVLM Studio"), this,
                    [this] { QMessageBox::about(this, tr("About EmberVLM Studio"), aboutText()); });
}

void MainWindow::buildStatusBar()
{
    auto mk = [this](const QString& name) {
        auto* l = new QLabel(this);
        l->setAccessibleName(name);
        l->setContentsMargins(6, 0, 6, 0);
        statusBar()->addPermanentWidget(l);
        return l;
    };
    workspaceLabel_ = new QLabel(this);
    workspaceLabel_->setContentsMargins(6, 0, 6, 0);
    statusBar()->addWidget(workspaceLabel_, 1);
    modelLabel_ = mk(tr("Model"));
    paramsLabel_ = mk(tr("Parameters"));
    threadsLabel_ = mk(tr("Threads"));
    weightsLabel_ = mk(tr("Weights"));
    updateStatus();
}

void MainWindow::updateStatus()
{
    workspaceLabel_->setText(workspace().isValid() ? tr("Workspace: %1").arg(QDir::toNativeSeparators(workspace().dir())) : tr("No workspace"));
    workspaceLabel_->setToolTip(workspace().dir());
    if (!modelReady()) {
        modelLabel_->setText(session_->loading() ? tr("Loading %1…").arg(QFileInfo(session_->loadingPath()).fileName()) : tr("No model"));
        paramsLabel_->clear();
        threadsLabel_->clear();
        weightsLabel_->clear();
        return;
    }
    modelLabel_->setText(tr("Model: %1").arg(QString::fromStdString(modelInfo().name)));
    modelLabel_->setToolTip(QString::fromStdString(modelInfo().path));
    paramsLabel_->setText(tr("%1 parameters").arg(humanCount(modelInfo().parameters)));
    paramsLabel_->setToolTip(tr("%L1 parameters").arg(modelInfo().parameters));
    threadsLabel_->setText(tr("%1 threads · %2").arg(modelInfo().threads).arg(QString::fromStdString(modelInfo().device)));
    weightsLabel_->setText(modelInfo().trained ? tr("trained weights") : tr("random weights"));
    weightsLabel_->setStyleSheet(modelInfo().trained ? QString() : QStringLiteral("color: #a15c00;"));
}

QString MainWindow::statusText() const
{
    return QStringList{modelLabel_->text(), paramsLabel_->text(), threadsLabel_->text(), weightsLabel_->text()}.join(" | ");
}

void MainWindow::showView(int view)
{
    view = std::clamp(view, 0, nav_->count() - 1);
    nav_->setCurrentRow(view);
    stack_->setCurrentIndex(view);
}

int MainWindow::currentView() const { return stack_->currentIndex(); }

bool MainWindow::openWorkspace(const QString& dir)
{
    workspaceProblem_.clear();
    ask_->setSampleSink(nullptr);
    reasoning_->setSampleSource(nullptr);
    if (demoJob_) {
        demoJob_->cancel();   // it rolls back in the old workspace
        demoJob_ = nullptr;
    }
    QString err;
    // The store opens on its worker (migration, the tidy walk, the edit journal's replay);
    // onStoreOpened() wires what needs it, Train and Evaluate among them.
    if (!session_->openWorkspace(dir, &err)) {
        message_->showError(tr("Could not open the workspace %1: %2").arg(dir, err));
        return false;
    }
    QSettings s;
    if (options_.screenshot.isEmpty()) {   // a screenshot run leaves the user's last workspace alone
        s.setValue("workspace/last", workspace().dir());
        addRecent("recent/workspaces", workspace().dir());
    }
    ask_->setWorkspace(workspace());
    reasoning_->setWorkspace(workspace());
    const QString wsKey = "workspaces/" + sha256Hex(workspace().dir().toUtf8()).left(16);
    QString image = s.value(wsKey + "/image").toString();
    if (image.isEmpty() || !QFileInfo::exists(image))
        image = workspace().firstImage();
    if (!image.isEmpty()) {
        ask_->openImageFile(image);
        reasoning_->openImageFile(image);
    }
    updateStatus();
    if (options_.checkpoint.isEmpty()) {
        QString ck = s.value(wsKey + "/checkpoint").toString();
        if (ck.isEmpty() || !QFileInfo::exists(ck))
            ck = workspace().firstCheckpoint();
        if (!ck.isEmpty()) {
            openCheckpoint(ck);
        } else {
            // First start: a randomly initialised base model, made and saved on the worker.
            session_->createRandomModel();
            statusBar()->showMessage(tr("Creating a base model with random weights in %1…").arg(workspace().modelsDir()));
            updateStatus();
        }
    }
    return true;
}

void MainWindow::onStoreOpened(const StoreState& state)
{
    // Their own connections open a database the store worker has created (a second connection
    // opening it meanwhile finds a 0-byte file) and migrated.
    if (!state.dir.isEmpty()) {
        train_->setWorkspace(state.dir);
        evaluate_->setWorkspace(state.dir);
    }
    if (!state.open) {
        if (state.dir.isEmpty())
            return;
        workspaceProblem_ = tr("Could not open the dataset store of %1: %2").arg(state.dir, state.error);
        message_->showError(workspaceProblem_);
        return;
    }
    if (state.readOnly) {
        workspaceProblem_ = tr("The workspace %1 is read-only: samples can be browsed and evaluated, not changed.").arg(state.dir);
        message_->showInfo(workspaceProblem_);
    }
    ask_->setSampleSink(samples_);
    reasoning_->setSampleSource(samples_);
    if (state.samples == 0 && !state.readOnly)
        startDemoWorld();
}

void MainWindow::startDemoWorld()
{
    statusBar()->showMessage(tr("Generating the demo world…"));
    demoJob_ = DataJob::start(workspace().dir(),
                              [](ember::data::Workspace& ws, const ember::data::Progress& p) {
                                  ember::data::DemoOptions o;
                                  // The demo recipe's own world, so "Train the demo model" gives its measured model.
                                  o.count = ember::train::demoRecipe().worldSamples;
                                  o.seed = ember::train::demoRecipe().worldSeed;
                                  const auto r = ember::data::generateDemoWorld(ws, o, p);
                                  return tr("Demo world: %1 samples in %2 s").arg(r.generated).arg(r.seconds, 0, 'f', 1);
                              },
                              this);
    DataJob* job = demoJob_;
    connect(job, &DataJob::progress, this, [this, job](qint64 done, qint64 total) {
        if (job == demoJob_)
            statusBar()->showMessage(tr("Generating the demo world… %1 / %2").arg(done).arg(total));
    });
    connect(job, &DataJob::finished, this, [this, job](bool ok, bool, const QString& msg) {
        if (job != demoJob_)
            return;   // a workspace opened meanwhile
        demoJob_ = nullptr;
        if (ok) {
            statusBar()->showMessage(msg, 5000);
            annotate_->reload();
        } else {
            statusBar()->clearMessage();
            message_->showError(tr("Could not generate the demo world: %1").arg(msg));
        }
        Q_EMIT demoFinished(ok);
    });
}

void MainWindow::openCheckpoint(const QString& path)
{
    session_->loadCheckpoint(path);
    statusBar()->showMessage(tr("Loading %1…").arg(session_->loadingPath()));
    updateStatus();
}

void MainWindow::onModelLoaded(const ember::ModelInfo& info)
{
    statusBar()->clearMessage();
    if (workspaceProblem_.isEmpty())
        message_->dismiss();
    else if (message_->text() != workspaceProblem_)
        session_->store()->readOnly() ? message_->showInfo(workspaceProblem_) : message_->showError(workspaceProblem_);
    if (!info.path.empty()) {
        const QString p = QString::fromStdString(info.path);
        addRecent("recent/checkpoints", p);
        if (workspace().isValid())
            QSettings().setValue("workspaces/" + sha256Hex(workspace().dir().toUtf8()).left(16) + "/checkpoint", p);
    }
    ask_->setModelReady(true);
    reasoning_->setModelReady(true);
    annotate_->setModelReady(true);
    updateStatus();
    if (!info.trained && workspaceProblem_.isEmpty())
        offerDemoTraining();
    Q_EMIT modelChanged(info);
    if (screenshot_ && !screenshot_->started())
        screenshot_->start();
}

void MainWindow::offerDemoTraining()
{
    if (train_->isRunning())
        return;
    // The figure is the demo's last measured run (docs/bench/demo-seed1.json), compiled in.
    const auto& demo = ember::train::demoRecipe();
    const QString offer = demo.measuredSeconds > 0
                              ? tr("Train the demo model (about %1 minutes)").arg(std::lround(demo.measuredSeconds / 60))
                              : tr("Train the demo model");
    message_->showOffer(tr("This model has random weights: its answers and robot choices are noise until it is trained. "
                           "The demo recipe trains one on this workspace's demo world in the background."),
                        offer, [this] { trainDemoModel(); });
    message_->actionButton()->setToolTip(
        demo.measuredSeconds > 0 ? tr("Measured end to end on a %1.").arg(QString::fromStdString(demo.measuredOn)) : QString());
}

bool MainWindow::trainDemoModel()
{
    showView(Train);
    if (train_->isRunning()) {
        message_->showInfo(tr("A training run is already going on in this workspace."));
        return false;
    }
    if (demoJob_) {
        // `embervlm demo` would find the workspace empty and make a second world beside it.
        message_->showInfo(tr("The demo world is still being generated; the demo model's training starts when it is ready."));
        connect(
            this, &MainWindow::demoFinished, this, [this](bool ok) {
                if (ok)
                    trainDemoModel();
            },
            Qt::SingleShotConnection);
        return true;
    }
    if (!train_->startDemo())
        return false;
    qCInfo(lcStudio).noquote() << "training the demo model in" << workspace().dir();
    return true;
}

QString MainWindow::aboutText() const
{
    return tr("<h3>EmberVLM Studio %1</h3>"
              "<p>Ask questions about images, inspect robot-selection reasoning, annotate data and train EmberVLM.</p>"
              "<table>"
              "<tr><td>Qt</td><td>%2</td></tr>"
              "<tr><td>LibTorch</td><td>%3</td></tr>"
              "<tr><td>oneDNN</td><td>%4</td></tr>"
              "<tr><td>CPU path</td><td>%5</td></tr>"
              "<tr><td>Compute threads</td><td>%6</td></tr>"
              "<tr><td>Log</td><td>%7</td></tr>"
              "</table>")
        .arg(QApplication::applicationVersion(), QString::fromLatin1(qVersion()),
             QString::fromStdString(ember::libtorchVersion()), QString::fromStdString(ember::onednnVersion()),
             QString::fromStdString(ember::isaSummary()).toHtmlEscaped())
        .arg(ember::computeThreads())
        .arg((StudioLog::currentFile().isEmpty() ? tr("not written (%1)").arg(StudioLog::folder()) : StudioLog::currentFile())
                 .toHtmlEscaped());
}

void MainWindow::onFailed(const QString& path, const QString& msg)
{
    statusBar()->clearMessage();
    message_->showError(tr("Could not open the checkpoint %1: %2%3")
                            .arg(QFileInfo(path).fileName(), msg,
                                 modelReady() ? tr(" — still using %1.").arg(QString::fromStdString(modelInfo().name)) : QString()));
    updateStatus();
    Q_EMIT modelLoadFailed(msg);
    if (screenshot_)
        QTimer::singleShot(0, screenshot_, &ScreenshotRun::take);
}

void MainWindow::addRecent(const QString& key, const QString& path)
{
    QSettings s;
    QStringList l = s.value(key).toStringList();
    l.removeAll(path);
    l.prepend(path);
    while (l.size() > kMaxRecent)
        l.removeLast();
    s.setValue(key, l);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    recentMenu_->clear();
    QSettings s;
    const QStringList ws = s.value("recent/workspaces").toStringList();
    const QStringList ck = s.value("recent/checkpoints").toStringList();
    if (!ws.isEmpty())
        recentMenu_->addSection(tr("Workspaces"));
    for (const QString& p : ws)
        recentMenu_->addAction(QDir::toNativeSeparators(p), this, [this, p] { openWorkspace(p); });
    if (!ck.isEmpty())
        recentMenu_->addSection(tr("Checkpoints"));
    for (const QString& p : ck)
        recentMenu_->addAction(QDir::toNativeSeparators(p), this, [this, p] { openCheckpoint(p); });
    recentMenu_->setEnabled(!ws.isEmpty() || !ck.isEmpty());
}

void MainWindow::newWorkspaceDialog()
{
    const QString d = QFileDialog::getExistingDirectory(this, tr("New workspace: choose an empty folder"), QDir::homePath());
    if (!d.isEmpty())
        openWorkspace(d);
}

void MainWindow::openWorkspaceDialog()
{
    const QString d = QFileDialog::getExistingDirectory(this, tr("Open workspace"), workspace().isValid() ? workspace().dir() : QDir::homePath());
    if (!d.isEmpty())
        openWorkspace(d);
}

void MainWindow::openCheckpointDialog()
{
    const QString f = QFileDialog::getOpenFileName(
        this, tr("Open checkpoint"), workspace().isValid() ? workspace().modelsDir() : QDir::homePath(),
        tr("Checkpoints and state dicts (*.safetensors *.pt *.pth *.bin);;EmberVLM checkpoints (*.safetensors);;"
           "PyTorch state dicts (*.pt *.pth *.bin);;All files (*)"));
    if (!f.isEmpty())
        openOrImportCheckpoint(f);
}

void MainWindow::openOrImportCheckpoint(const QString& path)
{
    const QString outDir = workspace().isValid() ? workspace().modelsDir() : QFileInfo(path).absolutePath();
    const QString base = QString::fromStdString(modelInfo().path);   // the open model keeps its other parts
    auto plan = std::make_shared<ember::OpenPlan>();
    statusBar()->showMessage(tr("Reading %1…").arg(path));
    DataJob* job = DataJob::start(
        [plan, path, outDir, base](const ember::data::Progress&) {
            *plan = ember::importForOpening(path.toStdString(), outDir.toStdString(), base.toStdString());
            return QString::fromStdString(plan->message);
        },
        this);
    connect(job, &DataJob::finished, this, [this, plan](bool ok, bool, const QString& msg) {
        if (!ok) {
            statusBar()->clearMessage();
            message_->showError(msg);
            return;
        }
        const QString target = QFileInfo(QString::fromStdString(plan->path)).absoluteFilePath();
        if (!msg.isEmpty()) {
            // Said again once the converted model is loaded (loading clears the status bar).
            auto once = std::make_shared<QMetaObject::Connection>();
            *once = connect(this, &MainWindow::modelChanged, this, [this, once, msg, target](const ember::ModelInfo& info) {
                disconnect(*once);
                if (QString::fromStdString(info.path) == target)
                    statusBar()->showMessage(msg, 30000);
            });
        }
        openCheckpoint(target);
    });
}

void MainWindow::saveLayout()
{
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("window/view", currentView());
}

void MainWindow::closeEvent(QCloseEvent* e)
{
    if (options_.screenshot.isEmpty())
        saveLayout();
    // Stop any generation at once; the engine's thread is joined when the window is destroyed,
    // after it has gone from the screen: closing never waits on a long answer or a model load.
    session_->engine()->cancel();
    e->accept();
}

} // namespace ember::studio
