#include "train_view.h"
#include "trainer_protocol.h"

#include "loss_chart.h"
#include "message_bar.h"
#include "train_form.h"
#include "runs_model.h"
#include "train_process.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextStream>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ember::studio {

namespace data = ember::data;

namespace {

QString duration(double s)
{
    if (!(s >= 0) || std::isinf(s))
        return QStringLiteral("–");
    const int t = static_cast<int>(std::lround(s));
    return t >= 3600 ? QString("%1 h %2 min").arg(t / 3600).arg((t % 3600) / 60)
         : t >= 60   ? QString("%1 min %2 s").arg(t / 60).arg(t % 60)
                     : QString("%1 s").arg(t);
}

bool isLossMetric(const QString& n)
{
    return (n.startsWith("train/") || n.startsWith("val/")) && !n.endsWith("accuracy");
}

bool sameCheckpoints(const QVector<CheckpointRow>& a, const QVector<CheckpointRow>& b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const CheckpointRow& x, const CheckpointRow& y) {
        return x.step == y.step && x.best == y.best && x.path == y.path;
    });
}

} // namespace

TrainView::TrainView(QWidget* parent)
    : QWidget(parent)
    , monitor_(new RunMonitor(this))
    , runsModel_(new RunsModel(this))
    , run_(new RunController(this))
    , kick_(new QTimer(this))
{
    setObjectName("trainView");
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 8, 8, 8);
    message_ = new MessageBar(this);
    outer->addWidget(message_);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split, 1);
    split->addWidget(buildLaunchPane(split));
    split->addWidget(buildChartsPane(split));
    split->setStretchFactor(1, 1);
    connectControls();
    connectProcess();
    updateButtons();
}

// Left: the launch form and its buttons, the selected run's checkpoints.
QWidget* TrainView::buildLaunchPane(QSplitter* split)
{
    auto* left = new QWidget(split);
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 4, 0);
    auto* launchBox = new QGroupBox(tr("New run"), left);
    auto* lb = new QVBoxLayout(launchBox);
    form_ = new TrainForm(launchBox);
    lb->addWidget(form_);
    auto* btns = new QHBoxLayout;
    startBtn_ = new QPushButton(tr("Start"), launchBox);
    startBtn_->setToolTip(tr("Launch `embervlm train` with these settings"));
    stopBtn_ = new QPushButton(tr("Stop"), launchBox);
    stopBtn_->setToolTip(tr("Save a checkpoint and stop; Resume continues from it"));
    resumeBtn_ = new QPushButton(tr("Resume"), launchBox);
    resumeBtn_->setToolTip(tr("Continue the run selected in the runs table from its last checkpoint"));
    btns->addWidget(startBtn_);
    btns->addWidget(stopBtn_);
    btns->addWidget(resumeBtn_);
    lb->addLayout(btns);
    ll->addWidget(launchBox);
    auto* ckBox = new QGroupBox(tr("Checkpoints"), left);
    auto* cl = new QVBoxLayout(ckBox);
    ckpts_ = new QListWidget(ckBox);
    ckpts_->setAccessibleName(tr("Checkpoints of the selected run"));
    cl->addWidget(ckpts_);
    auto* ob = new QHBoxLayout;
    auto* openAsk = new QPushButton(tr("Open in Ask"), ckBox);
    auto* openReason = new QPushButton(tr("Open in Reasoning"), ckBox);
    ob->addWidget(openAsk);
    ob->addWidget(openReason);
    cl->addLayout(ob);
    ll->addWidget(ckBox, 1);
    auto openCk = [this](OpenIn where) {
        if (auto* it = ckpts_->currentItem(); it && !it->data(Qt::UserRole).toString().isEmpty())
            Q_EMIT openCheckpointRequested(it->data(Qt::UserRole).toString(), where);
    };
    connect(openAsk, &QPushButton::clicked, this, [openCk] { openCk(OpenIn::Ask); });
    connect(openReason, &QPushButton::clicked, this, [openCk] { openCk(OpenIn::Reasoning); });
    connect(ckpts_, &QListWidget::itemDoubleClicked, this, [openCk] { openCk(OpenIn::Reasoning); });
    auto* scroll = new QScrollArea(split);
    scroll->setWidget(left);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(left->sizeHint().width() + 16);
    return scroll;
}

// Right: progress, chart controls, the three charts over the runs table and the log.
QWidget* TrainView::buildChartsPane(QSplitter* split)
{
    auto* right = new QWidget(split);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(4, 0, 0, 0);
    rl->addLayout(buildProgressRow(right));
    rl->addLayout(buildChartControls(right));
    auto* vsplit = new QSplitter(Qt::Vertical, right);
    auto* charts = new QWidget(vsplit);
    auto* chl = new QVBoxLayout(charts);
    chl->setContentsMargins(0, 0, 0, 0);
    loss_ = new LossChart(tr("Losses (train and validation)"), charts);
    loss_->setMinimumHeight(220);
    chl->addWidget(loss_, 3);
    auto* small = new QHBoxLayout;
    lr_ = new LossChart(tr("Learning rate"), charts);
    grad_ = new LossChart(tr("Gradient norm"), charts);
    lr_->setMinimumHeight(150);
    grad_->setMinimumHeight(150);
    small->addWidget(lr_);
    small->addWidget(grad_);
    chl->addLayout(small, 2);
    vsplit->addWidget(charts);
    vsplit->addWidget(buildRunTabs(vsplit));
    vsplit->setStretchFactor(0, 3);
    vsplit->setStretchFactor(1, 1);
    rl->addWidget(vsplit, 1);
    return right;
}

QLayout* TrainView::buildProgressRow(QWidget* parent)
{
    auto* prog = new QHBoxLayout;
    progress_ = new QProgressBar(parent);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("step %v / %m"));
    status_ = new QLabel(tr("No run"), parent);
    status_->setMinimumWidth(status_->fontMetrics().horizontalAdvance("M") * 24);
    prog->addWidget(progress_, 1);
    prog->addWidget(status_);
    return prog;
}

QLayout* TrainView::buildChartControls(QWidget* parent)
{
    auto* ctl = new QHBoxLayout;
    ctl->addWidget(new QLabel(tr("Smoothing"), parent));
    smoothing_ = new QSlider(Qt::Horizontal, parent);
    smoothing_->setRange(0, 99);
    smoothing_->setValue(60);
    smoothing_->setMaximumWidth(160);
    smoothing_->setToolTip(tr("Debiased exponential moving average; the raw values stay faint behind"));
    ctl->addWidget(smoothing_);
    logScale_ = new QCheckBox(tr("Log scale"), parent);
    ctl->addWidget(logScale_);
    ctl->addWidget(new QLabel(tr("x axis"), parent));
    xAxis_ = new QComboBox(parent);
    xAxis_->addItems({tr("step"), tr("time")});
    ctl->addWidget(xAxis_);
    ctl->addStretch();
    auto* png = new QPushButton(tr("Export PNG…"), parent);
    auto* csv = new QPushButton(tr("Export CSV…"), parent);
    ctl->addWidget(png);
    ctl->addWidget(csv);
    connect(png, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getSaveFileName(this, tr("Export chart"), "losses.png", tr("PNG images (*.png)"));
        if (!p.isEmpty() && !exportPng(p))
            message_->showError(tr("Could not write %1").arg(p));
    });
    connect(csv, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getSaveFileName(this, tr("Export runs"), "runs.csv", tr("CSV files (*.csv)"));
        if (!p.isEmpty() && !exportCsv(p))
            message_->showError(tr("Could not write %1").arg(p));
    });
    return ctl;
}

QWidget* TrainView::buildRunTabs(QWidget* parent)
{
    auto* tabs = new QTabWidget(parent);
    runs_ = new QTableView(tabs);
    runs_->setModel(runsModel_);
    runs_->verticalHeader()->hide();
    runs_->setSelectionBehavior(QAbstractItemView::SelectRows);
    runs_->setSelectionMode(QAbstractItemView::SingleSelection);
    runs_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    runs_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    runs_->horizontalHeader()->setStretchLastSection(true);
    // Columns fit the rows in view, not all of them: with hundreds of runs, measuring every
    // cell at each change would stall the GUI thread.
    runs_->horizontalHeader()->setResizeContentsPrecision(0);
    runs_->setToolTip(tr("Tick runs to overlay their curves"));
    tabs->addTab(runs_, tr("Runs"));
    log_ = new QPlainTextEdit(tabs);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(5000);
    log_->setFont(QFont("monospace"));
    tabs->addTab(log_, tr("Log"));
    tabs->setMinimumHeight(runs_->verticalHeader()->defaultSectionSize() * 5 + runs_->horizontalHeader()->sizeHint().height());
    return tabs;
}

void TrainView::connectControls()
{
    connect(startBtn_, &QPushButton::clicked, this, [this] { start(); });
    connect(stopBtn_, &QPushButton::clicked, this, &TrainView::stop);
    connect(resumeBtn_, &QPushButton::clicked, this, [this] { resume(selectedRun()); });
    connect(form_, &TrainForm::validityChanged, this, [this] { updateButtons(); });
    connect(smoothing_, &QSlider::valueChanged, this, [this](int v) {
        for (auto* c : {loss_, lr_, grad_})
            c->setSmoothing(v / 100.0);
    });
    connect(logScale_, &QCheckBox::toggled, this, [this](bool on) {
        loss_->setLogScale(on);
        grad_->setLogScale(on);
    });
    connect(xAxis_, &QComboBox::currentIndexChanged, this, [this](int i) {
        for (auto* c : {loss_, lr_, grad_})
            c->setTimeAxis(i == 1);
    });
    connect(runsModel_, &RunsModel::overlayToggled, this, &TrainView::setOverlaid);
    connect(runs_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        showCheckpoints(selectedRun());
        updateButtons();
    });
}

void TrainView::connectProcess()
{
    connect(run_, &RunController::event, this, &TrainView::onEvent);
    connect(run_, &RunController::logLine, this, &TrainView::appendLog);
    connect(run_, &RunController::exited, this, &TrainView::onExited);
    connect(run_, &RunController::attached, this, [this](qint64 run, qint64 pid) {
        setOverlaid(run, true);
        appendLog(tr("Re-attached to run %1 (process %2).").arg(run).arg(pid));
    });
    connect(run_, &RunController::advanced, this, [this](qint64 run) { setOverlaid(run, true); });
    connect(run_, &RunController::detached, this, [this](qint64 run) {
        watchChanged();
        const RunRow* r = runsModel_->run(run);
        Q_EMIT runEnded(run, r ? runsModel_->statusText(*r) : QStringLiteral("failed"));
    });
    connect(monitor_, &RunMonitor::snapshot, this, &TrainView::onSnapshot);
    connect(monitor_, &RunMonitor::markedFailed, this, &TrainView::onMarkedFailed);
    connect(monitor_, &RunMonitor::workspaceError, this, [this](const QString& why) {
        wsError_ = true;
        message_->showError(tr("Could not open the runs of %1: %2").arg(wsDir_, why));
        updateButtons();
    });
    // A step line asks for the curves from the database (the same path as a re-attached run),
    // at most once per redraw period however fast the steps come.
    kick_->setSingleShot(true);
    kick_->setInterval(LossChart::kRedrawMs);
    connect(kick_, &QTimer::timeout, this, &TrainView::pollNow);
}

TrainView::~TrainView() = default;

void TrainView::setWorkspace(const QString& dir)
{
    series_.clear();
    overlay_.clear();
    run_->reset();
    wsDir_ = dir;
    wsError_ = false;
    firstSnapshot_ = true;
    shownCheckpointsOf_ = -1;
    shownCheckpoints_.clear();
    runsModel_->setRuns({});
    ckpts_->clear();
    updateCharts();   // empty: the previous workspace's curves go with it
    monitor_->setWorkspace(dir);
    watchChanged();
    updateButtons();
}

void TrainView::onSnapshot(const RunSnapshot& s)
{
    if (s.workspace != wsDir_)
        return;   // the workspace before the last setWorkspace()
    const qint64 keep = selectedRun();
    const bool rebuilt = runsModel_->setRuns(s.runs);
    if (rebuilt && keep)
        if (const int row = runsModel_->rowOf(keep); row >= 0)
            runs_->selectRow(row);
    if (s.seriesChanged) {
        for (auto it = s.series.begin(); it != s.series.end(); ++it)
            series_[it.key()] = it.value();
        updateCharts();
    }
    // Runs this view did not launch: re-attach to a live trainer, follow it, notice its end.
    run_->follow(runsModel_->runs(), s);
    if (firstSnapshot_) {
        // Show the newest training run (or the live one) right away.
        firstSnapshot_ = false;
        if (!run_->activeRun() && !s.runs.isEmpty())
            setOverlaid(s.runs.back().id, true);
        if (runsModel_->rowCount() > 0)
            runs_->selectRow(0);   // the newest run: its checkpoints and where it stands
    }
    updateCheckpointChoices();
    const qint64 shown = selectedRun() ? selectedRun() : run_->activeRun();
    const RunRow* r = runsModel_->run(shown);
    if (rebuilt || shown != shownCheckpointsOf_ || !r || !sameCheckpoints(r->checkpoints, shownCheckpoints_))
        showCheckpoints(shown);
    if (isRunning() || run_->attachedPid())
        updateProgressFromSeries();
    else
        showIdleProgress();
    updateButtons();
}

void TrainView::watchChanged()
{
    QSet<qint64> ids = overlay_;
    if (run_->activeRun())
        ids.insert(run_->activeRun());
    monitor_->watch(ids, run_->attachedPid());
    runsModel_->setOverlaid(overlay_);
}

bool TrainView::isRunning() const { return run_->isRunning(); }

qint64 TrainView::processPid() const { return run_->processPid(); }

bool TrainView::launch(const QStringList& args, const QString& command)
{
    if (wsDir_.isEmpty() || wsError_ || isRunning())
        return false;
    message_->dismiss();
    appendLog("$ embervlm " + command + " -w " + wsDir_ + " " + args.join(' '));
    progress_->setRange(0, 1);
    progress_->setValue(0);
    status_->setText(tr("Starting…"));
    if (!run_->launch(wsDir_, args, command)) {
        message_->showError(tr("Could not start %1").arg(TrainProcess::program()));
        status_->setText(tr("Not running"));
        updateButtons();
        return false;
    }
    updateButtons();
    return true;
}

bool TrainView::start()
{
    QString err;
    const QStringList args = form_->arguments(&err);
    if (args.isEmpty()) {
        message_->showError(tr("The configuration is not valid: %1").arg(err));
        return false;
    }
    return launch(args);
}

bool TrainView::startDemo() { return launch({"--json"}, QStringLiteral("demo")); }

bool TrainView::resume(qint64 runId)
{
    if (runId <= 0)
        return false;
    return launch({"--resume", QString::number(runId)});
}

void TrainView::stop()
{
    status_->setText(tr("Stopping (saving a checkpoint)…"));
    run_->stop();
}

void TrainView::onEvent(ember::train::protocol::Event ev, const QJsonObject& e)
{
    using ember::train::protocol::Event;
    const QString word = e.value("event").toString();
    const qint64 run = run_->activeRun();
    if (ev == Event::Started) {
        runsModel_->setOwnRun(run);
        progress_->setRange(0, static_cast<int>(std::max<qint64>(1, run_->totalSteps())));
        progress_->setValue(static_cast<int>(e.value("start_step").toInteger()));
        appendLog(tr("Run %1 started: stage %2, %3 steps, %4 samples")
                      .arg(run)
                      .arg(e.value("stage").toInt())
                      .arg(run_->totalSteps())
                      .arg(e.value("samples").toInteger()));
        setOverlaid(run, true);
        Q_EMIT runStarted(run);
    } else if (ev == Event::Step) {
        onStepEvent(e);
    } else if (ev == Event::Demo) {
        // `embervlm demo` ends with its test metrics and the model it trained.
        appendLog(tr("Demo model ready: %1 (test accuracy %2)")
                      .arg(e.value("checkpoint").toString())
                      .arg(e.value("test_accuracy").toDouble(), 0, 'f', 3));
        Q_EMIT demoModelReady(e.value("checkpoint").toString());
    } else if (ev == Event::Eval) {
        appendLog(tr("step %1: validation loss %2%3")
                      .arg(e.value("step").toInteger())
                      .arg(e.value("loss").toDouble(), 0, 'g', 5)
                      .arg(e.contains("accuracy") ? tr(", accuracy %1").arg(e.value("accuracy").toDouble(), 0, 'f', 3) : QString()));
    } else if (ev == Event::Checkpoint) {
        appendLog(tr("step %1: checkpoint %2%3")
                      .arg(e.value("step").toInteger())
                      .arg(e.value("path").toString())
                      .arg(e.value("best").toBool() ? tr(" (best)") : QString()));
        pollNow();   // the list shows it once the monitor has read it
    } else if (ember::train::protocol::ends(ev)) {
        onEndEvent(word, e);
    }
}

void TrainView::onStepEvent(const QJsonObject&)
{
    // The step's figures reach the view once, as the metric rows the monitor reads
    // (updateProgressFromSeries); the event only says there are new ones.
    if (!kick_->isActive())
        kick_->start();
}

void TrainView::onEndEvent(const QString& ev, const QJsonObject& e)
{
    const qint64 run = run_->activeRun();
    appendLog(tr("Run %1 %2 at step %3 %4")
                  .arg(run)
                  .arg(ev)
                  .arg(e.value("step").toInteger())
                  .arg(e.value("message").toString()));
    if (ember::train::protocol::parse(ev.toStdString()) == ember::train::protocol::Event::Failed)
        message_->showError(tr("Run %1 failed: %2").arg(run).arg(e.value("message").toString()));
    pollNow();
    Q_EMIT runEnded(run, ev);
}

void TrainView::onExited(qint64 run, int code, bool crashed)
{
    appendLog(tr("embervlm exited with code %1%2").arg(code).arg(crashed ? tr(" (crashed)") : QString()));
    runsModel_->setOwnRun(0);
    if (!wsDir_.isEmpty() && run) {
        // A crash leaves the record "running"; the studio outlives it and says so (once the
        // monitor has marked it failed: onMarkedFailed).
        monitor_->markFailed(run, QString("the training process %1 (code %2)")
                                             .arg(crashed ? QStringLiteral("crashed") : QStringLiteral("exited"))
                                             .arg(code));
    } else if (code != 0) {
        message_->showError(tr("Training did not start; see the log."));
    }
    status_->setText(tr("Not running"));
    pollNow();
    updateButtons();
}

void TrainView::onMarkedFailed(qint64 runId, bool wasRunning)
{
    if (!wasRunning)
        return;
    message_->showError(tr("The training process of run %1 ended unexpectedly (code %2). Resume continues from its "
                           "last checkpoint.")
                            .arg(runId)
                            .arg(run_->lastExitCode()));
    Q_EMIT runEnded(runId, QStringLiteral("crashed"));
}

void TrainView::pollNow() { monitor_->pollSoon(); }

// Where the run this view follows stands, from its metric rows: the trainer's own step, ETA and
// rate, whether this view launched it or re-attached to it.
void TrainView::updateProgressFromSeries()
{
    auto it = series_.find(run_->activeRun());
    if (it == series_.end())
        return;
    const SeriesData* s = it->find("train/loss");
    if (!s || s->step.isEmpty())
        return;
    const double step = s->step.back();
    const qint64 total = std::max<qint64>(run_->totalSteps(), static_cast<qint64>(step));
    progress_->setRange(0, static_cast<int>(std::max<qint64>(1, total)));
    progress_->setValue(static_cast<int>(step));
    const QString text = run_->attachedPid() ? tr("ETA %1 · %2 samples/s (re-attached)") : tr("ETA %1 · %2 samples/s");
    status_->setText(text.arg(duration(it->last("eta_s"))).arg(it->last("samples_per_s"), 0, 'f', 1));
}

void TrainView::showIdleProgress()
{
    // Nothing runs: the bar tells where the selected (else newest ticked) run ended.
    qint64 id = selectedRun();
    if (!id && !overlay_.isEmpty())
        id = overlaid().back();
    const RunRow* r = id ? runsModel_->run(id) : nullptr;
    if (!r) {
        progress_->setRange(0, 1);
        progress_->setValue(0);
        status_->setText(tr("No run"));
        return;
    }
    progress_->setRange(0, static_cast<int>(std::max<qint64>(1, std::max(r->plannedSteps, r->steps))));
    progress_->setValue(static_cast<int>(r->steps));
    status_->setText(tr("Run %1 %2").arg(id).arg(runsModel_->statusText(*r)));
}

void TrainView::setOverlaid(qint64 runId, bool on)
{
    if (on) {
        overlay_.insert(runId);
        if (!series_.contains(runId))
            series_.insert(runId, RunSeries(runId));
    } else {
        overlay_.remove(runId);
    }
    watchChanged();
    pollNow();   // its curves come with the next snapshot
    updateCharts();
}

QList<qint64> TrainView::overlaid() const
{
    QList<qint64> l = overlay_.values();
    std::sort(l.begin(), l.end());
    return l;
}

void TrainView::updateCharts()
{
    QVector<LossChart::Curve> losses, lrs, grads;
    const bool several = overlay_.size() > 1;
    for (qint64 id : overlaid()) {
        const RunSeries& s = series_[id];
        const QString prefix = several ? tr("run %1 · ").arg(id) : QString();
        QStringList names = s.names();
        std::sort(names.begin(), names.end());
        for (const QString& n : names) {
            if (isLossMetric(n))
                losses.push_back({id, n, prefix + n, *s.find(n)});
            else if (n == "lr")
                lrs.push_back({id, n, prefix + tr("learning rate"), *s.find(n)});
            else if (n == "grad_norm")
                grads.push_back({id, n, prefix + tr("gradient norm"), *s.find(n)});
        }
    }
    loss_->setCurves(losses);
    lr_->setCurves(lrs);
    grad_->setCurves(grads);
}

// What the form offers as a starting checkpoint: every run's, newest first.
void TrainView::updateCheckpointChoices()
{
    QStringList cks;
    for (const RunRow& r : runsModel_->runs())
        for (const CheckpointRow& c : r.checkpoints)
            cks.prepend(c.path);
    if (cks != checkpointPaths_) {
        checkpointPaths_ = cks;
        form_->setCheckpoints(cks);
    }
}

qint64 TrainView::selectedRun() const
{
    const auto sel = runs_->selectionModel()->selectedRows();
    return sel.isEmpty() ? 0 : sel.first().data(RunsModel::kRunIdRole).toLongLong();
}

void TrainView::showCheckpoints(qint64 runId)
{
    if (!runId)
        runId = run_->activeRun();
    ckpts_->clear();
    shownCheckpointsOf_ = runId;
    const RunRow* r = runId ? runsModel_->run(runId) : nullptr;
    shownCheckpoints_ = r ? r->checkpoints : QVector<CheckpointRow>{};
    if (!runId)
        return;
    for (const CheckpointRow& c : std::as_const(shownCheckpoints_)) {
        auto* it = new QListWidgetItem(tr("run %1 · step %2%3 · %4")
                                           .arg(runId)
                                           .arg(c.step)
                                           .arg(c.best ? tr(" · best") : QString())
                                           .arg(QFileInfo(c.path).fileName()),
                                       ckpts_);
        it->setData(Qt::UserRole, c.path);
        it->setToolTip(c.path);
    }
    if (ckpts_->count())
        ckpts_->setCurrentRow(ckpts_->count() - 1);
    else
        ckpts_->addItem(new QListWidgetItem(tr("Run %1 has no checkpoint yet.").arg(runId)));   // no path: nothing to open
}

void TrainView::updateButtons()
{
    const bool running = isRunning();
    startBtn_->setEnabled(!wsDir_.isEmpty() && !wsError_ && !running && form_->isValid());
    stopBtn_->setEnabled(running);
    bool resumable = false;
    if (const RunRow* r = running ? nullptr : runsModel_->run(selectedRun()))
        resumable = r->status == data::RunStatus::Paused || r->status == data::RunStatus::Failed || runsModel_->isInterrupted(*r);
    resumeBtn_->setEnabled(resumable);
    form_->setEnabled(!running);
}

void TrainView::appendLog(const QString& line) { log_->appendPlainText(line); }

bool TrainView::exportPng(const QString& path) { return loss_->savePng(path); }

bool TrainView::exportCsv(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text))
        return false;
    QTextStream out(&f);
    out << "run,metric,step,seconds,value\n";
    for (qint64 id : overlaid()) {
        const RunSeries& s = series_[id];
        QStringList names = s.names();
        std::sort(names.begin(), names.end());
        for (const QString& n : names) {
            const SeriesData* d = s.find(n);
            for (int i = 0; i < d->step.size(); ++i)
                out << id << ',' << n << ',' << d->step[i] << ',' << d->seconds[i] << ',' << QString::number(d->value[i], 'g', 10)
                    << '\n';
        }
    }
    return f.error() == QFile::NoError;
}

} // namespace ember::studio
