#include "train_view.h"

#include "loss_chart.h"
#include "message_bar.h"
#include "train_form.h"
#include "train_process.h"
#include "workspace.h"

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
#include <QTableWidget>
#include <QTextStream>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ember::studio {

namespace data = ember::data;

namespace {

enum RunCol { ColRun, ColStage, ColStatus, ColSteps, ColLast, ColMin, ColBestVal, ColCount };

QString fmt(double v) { return std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'g', 4); }

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

// A run's planned steps from its stored config (max_steps; 0 when the epochs decide).
qint64 configuredSteps(const data::RunInfo& r)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(r.config)).object().value("max_steps").toInteger();
}

} // namespace

TrainView::TrainView(QWidget* parent)
    : QWidget(parent)
    , proc_(new TrainProcess(this))
    , poll_(new QTimer(this))
    , kick_(new QTimer(this))
{
    setObjectName("trainView");
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 8, 8, 8);
    message_ = new MessageBar(this);
    outer->addWidget(message_);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split, 1);

    // --- left: launch form, buttons, checkpoints ------------------------------------------
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
    auto* scroll = new QScrollArea(split);
    scroll->setWidget(left);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(left->sizeHint().width() + 16);
    split->addWidget(scroll);

    // --- right: progress, chart controls, charts, runs and log ----------------------------
    auto* right = new QWidget(split);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(4, 0, 0, 0);
    auto* prog = new QHBoxLayout;
    progress_ = new QProgressBar(right);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("step %v / %m"));
    status_ = new QLabel(tr("No run"), right);
    status_->setMinimumWidth(status_->fontMetrics().horizontalAdvance("M") * 24);
    prog->addWidget(progress_, 1);
    prog->addWidget(status_);
    rl->addLayout(prog);

    auto* ctl = new QHBoxLayout;
    ctl->addWidget(new QLabel(tr("Smoothing"), right));
    smoothing_ = new QSlider(Qt::Horizontal, right);
    smoothing_->setRange(0, 99);
    smoothing_->setValue(60);
    smoothing_->setMaximumWidth(160);
    smoothing_->setToolTip(tr("Debiased exponential moving average; the raw values stay faint behind"));
    ctl->addWidget(smoothing_);
    logScale_ = new QCheckBox(tr("Log scale"), right);
    ctl->addWidget(logScale_);
    ctl->addWidget(new QLabel(tr("x axis"), right));
    xAxis_ = new QComboBox(right);
    xAxis_->addItems({tr("step"), tr("time")});
    ctl->addWidget(xAxis_);
    ctl->addStretch();
    auto* png = new QPushButton(tr("Export PNG…"), right);
    auto* csv = new QPushButton(tr("Export CSV…"), right);
    ctl->addWidget(png);
    ctl->addWidget(csv);
    rl->addLayout(ctl);

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
    auto* tabs = new QTabWidget(vsplit);
    runs_ = new QTableWidget(0, ColCount, tabs);
    runs_->setHorizontalHeaderLabels({tr("Run"), tr("Stage"), tr("Status"), tr("Steps"), tr("Last loss"), tr("Min loss"),
                                      tr("Best val. loss")});
    runs_->verticalHeader()->hide();
    runs_->setSelectionBehavior(QAbstractItemView::SelectRows);
    runs_->setSelectionMode(QAbstractItemView::SingleSelection);
    runs_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    runs_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    runs_->horizontalHeader()->setStretchLastSection(true);
    runs_->setToolTip(tr("Tick runs to overlay their curves"));
    tabs->addTab(runs_, tr("Runs"));
    log_ = new QPlainTextEdit(tabs);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(5000);
    log_->setFont(QFont("monospace"));
    tabs->addTab(log_, tr("Log"));
    vsplit->addWidget(tabs);
    tabs->setMinimumHeight(runs_->verticalHeader()->defaultSectionSize() * 5 + runs_->horizontalHeader()->sizeHint().height());
    vsplit->setStretchFactor(0, 3);
    vsplit->setStretchFactor(1, 1);
    rl->addWidget(vsplit, 1);
    split->addWidget(right);
    split->setStretchFactor(1, 1);

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
    connect(runs_, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* it) {
        if (it->column() != ColRun)
            return;
        const qint64 id = it->data(Qt::UserRole).toLongLong();
        const bool on = it->checkState() == Qt::Checked;
        if (on != overlay_.contains(id))
            setOverlaid(id, on);
    });
    connect(runs_, &QTableWidget::itemSelectionChanged, this, [this] {
        showCheckpoints(selectedRun());
        updateButtons();
    });
    auto openCk = [this](OpenIn where) {
        if (auto* it = ckpts_->currentItem(); it && !it->data(Qt::UserRole).toString().isEmpty())
            Q_EMIT openCheckpointRequested(it->data(Qt::UserRole).toString(), where);
    };
    connect(openAsk, &QPushButton::clicked, this, [openCk] { openCk(OpenIn::Ask); });
    connect(openReason, &QPushButton::clicked, this, [openCk] { openCk(OpenIn::Reasoning); });
    connect(ckpts_, &QListWidget::itemDoubleClicked, this, [openCk] { openCk(OpenIn::Reasoning); });

    connect(proc_, &TrainProcess::event, this, &TrainView::onEvent);
    connect(proc_, &TrainProcess::logLine, this, &TrainView::appendLog);
    connect(proc_, &TrainProcess::exited, this, &TrainView::onExited);
    kick_->setSingleShot(true);
    kick_->setInterval(LossChart::kRedrawMs);
    connect(kick_, &QTimer::timeout, this, &TrainView::poll);
    poll_->setInterval(kPollMs);
    connect(poll_, &QTimer::timeout, this, &TrainView::poll);
    updateButtons();
}

TrainView::~TrainView() = default;

void TrainView::setWorkspace(const QString& dir)
{
    ws_.reset();
    series_.clear();
    overlay_.clear();
    activeRun_ = attachedPid_ = totalSteps_ = 0;
    wsDir_ = dir;
    runs_->setRowCount(0);
    ckpts_->clear();
    if (!dir.isEmpty()) {
        try {
            ws_ = std::make_unique<data::Workspace>(data::Workspace::open(dir.toStdString()));
        } catch (const std::exception& e) {
            message_->showError(tr("Could not open the runs of %1: %2").arg(dir, QString::fromUtf8(e.what())));
        }
    }
    if (ws_) {
        // Show the newest training run (or the live one) right away.
        refreshRuns();
        detectAttached();
        if (!activeRun_) {
            const auto all = ws_->runs();
            for (auto it = all.rbegin(); it != all.rend(); ++it)
                if (it->stage > 0) {
                    setOverlaid(it->id, true);
                    break;
                }
        }
        if (runs_->rowCount() > 0)
            runs_->selectRow(0);   // the newest run: its checkpoints and where it stands
        poll();
        poll_->start();
    } else {
        poll_->stop();
    }
    updateButtons();
}

QString TrainView::runStatus(const data::RunInfo& r) const
{
    if (r.status != data::RunStatus::Running)
        return QString::fromLatin1(r.status == data::RunStatus::Paused ? "stopped" : data::toString(r.status));
    if (ownRun_ && proc_->isRunning() && r.id == activeRun_)
        return QStringLiteral("running");
    return TrainProcess::isTrainerAlive(pidOf(r.id)) ? QStringLiteral("running") : QStringLiteral("interrupted");
}

void TrainView::detectAttached()
{
    if (!ws_ || (ownRun_ && proc_->isRunning()))
        return;
    if (attachedPid_ && TrainProcess::isTrainerAlive(attachedPid_)) {
        // The same process may have moved on to the next stage ("all"): follow its newest run.
        for (const auto& r : ws_->runs())
            if (qint64 total = 0; r.stage > 0 && r.status == data::RunStatus::Running && r.id > activeRun_ && pidOf(r.id, &total) == attachedPid_) {
                activeRun_ = r.id;
                totalSteps_ = total ? total : configuredSteps(r);
                setOverlaid(r.id, true);
            }
        return;
    }
    if (attachedPid_) {   // it ended while we watched
        const qint64 id = activeRun_;
        attachedPid_ = 0;
        const auto r = ws_->run(id);
        Q_EMIT runEnded(id, r ? runStatus(*r) : QStringLiteral("failed"));
    }
    for (const auto& r : ws_->runs()) {
        if (r.stage <= 0 || r.status != data::RunStatus::Running)
            continue;
        qint64 total = 0;
        const qint64 pid = pidOf(r.id, &total);
        if (TrainProcess::isTrainerAlive(pid)) {
            attachedPid_ = pid;
            activeRun_ = r.id;
            totalSteps_ = total ? total : configuredSteps(r);
            ownRun_ = false;
            setOverlaid(r.id, true);
            appendLog(tr("Re-attached to run %1 (process %2).").arg(r.id).arg(pid));
        }
    }
    updateButtons();
}

qint64 TrainView::pidOf(qint64 runId, qint64* totalSteps) const
{
    if (const qint64 pid = TrainProcess::readPid(wsDir_, runId, totalSteps))
        return pid;
    // No pid file: a run started outside the studio. Only the newest running record can be the
    // live process's; an older one was left "running" by a process that died.
    qint64 newest = 0;
    for (const auto& r : ws_->runs())
        if (r.stage > 0 && r.status == data::RunStatus::Running)
            newest = std::max<qint64>(newest, r.id);
    return runId == newest ? TrainProcess::findTrainerFor(wsDir_) : 0;
}

bool TrainView::isRunning() const
{
    return (ownRun_ && proc_->isRunning()) || (attachedPid_ && TrainProcess::isTrainerAlive(attachedPid_));
}

qint64 TrainView::processPid() const { return ownRun_ && proc_->isRunning() ? proc_->pid() : attachedPid_; }

bool TrainView::launch(const QStringList& args, const QString& command)
{
    if (!ws_ || isRunning())
        return false;
    message_->dismiss();
    appendLog("$ embervlm " + command + " -w " + wsDir_ + " " + args.join(' '));
    activeRun_ = 0;
    totalSteps_ = 0;
    if (!proc_->start(wsDir_, QStringList{"-w", wsDir_} + args, command)) {
        message_->showError(tr("Could not start %1").arg(TrainProcess::program()));
        return false;
    }
    ownRun_ = true;
    progress_->setRange(0, 1);
    progress_->setValue(0);
    status_->setText(tr("Starting…"));
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
    if (ownRun_ && proc_->isRunning())
        proc_->stop();
    else if (attachedPid_)
        TrainProcess::terminate(attachedPid_);
}

void TrainView::onEvent(const QJsonObject& e)
{
    const QString ev = e.value("event").toString();
    if (ev == "started") {
        activeRun_ = e.value("run").toInteger();
        totalSteps_ = e.value("total_steps").toInteger();
        progress_->setRange(0, static_cast<int>(std::max<qint64>(1, totalSteps_)));
        progress_->setValue(static_cast<int>(e.value("start_step").toInteger()));
        appendLog(tr("Run %1 started: stage %2, %3 steps, %4 samples")
                      .arg(activeRun_)
                      .arg(e.value("stage").toInt())
                      .arg(totalSteps_)
                      .arg(e.value("samples").toInteger()));
        refreshRuns();
        setOverlaid(activeRun_, true);
        Q_EMIT runStarted(activeRun_);
    } else if (ev == "step") {
        progress_->setRange(0, static_cast<int>(std::max<qint64>(1, e.value("total").toInteger())));
        progress_->setValue(static_cast<int>(e.value("step").toInteger()));
        status_->setText(tr("ETA %1 · %2 samples/s")
                             .arg(duration(e.value("eta_s").toDouble()))
                             .arg(e.value("samples_per_s").toDouble(), 0, 'f', 1));
        // The curves come from the database (the same path as a re-attached run), read at most
        // once per redraw period however fast the steps come.
        if (!kick_->isActive())
            kick_->start();
    } else if (ev == "demo") {
        // `embervlm demo` ends with its test metrics and the model it trained.
        appendLog(tr("Demo model ready: %1 (test accuracy %2)")
                      .arg(e.value("checkpoint").toString())
                      .arg(e.value("test_accuracy").toDouble(), 0, 'f', 3));
        Q_EMIT demoModelReady(e.value("checkpoint").toString());
    } else if (ev == "eval") {
        appendLog(tr("step %1: validation loss %2%3")
                      .arg(e.value("step").toInteger())
                      .arg(e.value("loss").toDouble(), 0, 'g', 5)
                      .arg(e.contains("accuracy") ? tr(", accuracy %1").arg(e.value("accuracy").toDouble(), 0, 'f', 3) : QString()));
    } else if (ev == "checkpoint") {
        appendLog(tr("step %1: checkpoint %2%3")
                      .arg(e.value("step").toInteger())
                      .arg(e.value("path").toString())
                      .arg(e.value("best").toBool() ? tr(" (best)") : QString()));
        if (selectedRun() == activeRun_ || selectedRun() == 0)
            showCheckpoints(activeRun_);
    } else if (ev == "finished" || ev == "failed" || ev == "stopped") {
        appendLog(tr("Run %1 %2 at step %3 %4")
                      .arg(activeRun_)
                      .arg(ev)
                      .arg(e.value("step").toInteger())
                      .arg(e.value("message").toString()));
        if (ev == "failed")
            message_->showError(tr("Run %1 failed: %2").arg(activeRun_).arg(e.value("message").toString()));
        pollNow();
        Q_EMIT runEnded(activeRun_, ev);
    }
}

void TrainView::onExited(int code, bool crashed)
{
    appendLog(tr("embervlm exited with code %1%2").arg(code).arg(crashed ? tr(" (crashed)") : QString()));
    if (ws_ && activeRun_) {
        // A crash leaves the record "running"; the studio outlives it and says so.
        if (auto r = ws_->run(activeRun_); r && r->status == data::RunStatus::Running) {
            r->status = data::RunStatus::Failed;
            r->notes = "the training process " + std::string(crashed ? "crashed" : "exited") + " (code " +
                       std::to_string(code) + ")";
            try {
                ws_->updateRun(*r);
            } catch (const std::exception&) {
            }
            message_->showError(tr("The training process of run %1 ended unexpectedly (code %2). Resume continues from its "
                                   "last checkpoint.")
                                    .arg(activeRun_)
                                    .arg(code));
            Q_EMIT runEnded(activeRun_, QStringLiteral("crashed"));
        }
    } else if (code != 0) {
        message_->showError(tr("Training did not start; see the log."));
    }
    status_->setText(tr("Not running"));
    pollNow();
    updateButtons();
}

void TrainView::pollNow() { poll(); }

void TrainView::poll()
{
    if (!ws_)
        return;
    detectAttached();
    bool changed = false;
    try {
        for (qint64 id : overlay_)
            changed = series_[id].poll(*ws_) || changed;
        if (activeRun_ && !overlay_.contains(activeRun_))
            changed = series_[activeRun_].poll(*ws_) || changed;
    } catch (const std::exception& e) {
        appendLog(tr("Could not read metrics: %1").arg(QString::fromUtf8(e.what())));
    }
    if (changed)
        updateCharts();
    refreshRuns();
    if (attachedPid_)
        updateProgressFromSeries();
    else if (!isRunning())
        showIdleProgress();
    updateButtons();
}

void TrainView::updateProgressFromSeries()
{
    auto it = series_.find(activeRun_);
    if (it == series_.end())
        return;
    const SeriesData* s = it->find("train/loss");
    if (!s || s->step.isEmpty())
        return;
    const double step = s->step.back();
    const qint64 total = std::max<qint64>(totalSteps_, static_cast<qint64>(step));
    progress_->setRange(0, static_cast<int>(std::max<qint64>(1, total)));
    progress_->setValue(static_cast<int>(step));
    const int k = std::min<int>(10, s->step.size() - 1);
    double perStep = NAN;
    if (k > 0) {
        const int n = s->step.size() - 1;
        perStep = (s->seconds[n] - s->seconds[n - k]) / std::max(1.0, s->step[n] - s->step[n - k]);
    }
    status_->setText(tr("ETA %1 · %2 samples/s (re-attached)")
                         .arg(duration(perStep * (total - step)))
                         .arg(it->last("samples_per_s"), 0, 'f', 1));
}

void TrainView::showIdleProgress()
{
    // Nothing runs: the bar tells where the selected (else newest ticked) run ended.
    qint64 id = selectedRun();
    if (!id && !overlay_.isEmpty())
        id = overlaid().back();
    const auto r = id && ws_ ? ws_->run(id) : std::nullopt;
    if (!r) {
        progress_->setRange(0, 1);
        progress_->setValue(0);
        status_->setText(tr("No run"));
        return;
    }
    const SeriesData* s = series_.contains(id) ? series_[id].find("train/loss") : nullptr;
    const qint64 step = s && !s->step.isEmpty() ? static_cast<qint64>(s->step.back()) : 0;
    const qint64 planned = configuredSteps(*r);
    progress_->setRange(0, static_cast<int>(std::max<qint64>(1, std::max(planned, step))));
    progress_->setValue(static_cast<int>(step));
    status_->setText(tr("Run %1 %2").arg(id).arg(runStatus(*r)));
}

void TrainView::setOverlaid(qint64 runId, bool on)
{
    if (on) {
        overlay_.insert(runId);
        if (!series_.contains(runId))
            series_.insert(runId, RunSeries(runId));
        if (ws_)
            series_[runId].poll(*ws_);
    } else {
        overlay_.remove(runId);
    }
    for (int r = 0; r < runs_->rowCount(); ++r)
        if (auto* it = runs_->item(r, ColRun); it && it->data(Qt::UserRole).toLongLong() == runId) {
            const QSignalBlocker b(runs_);
            it->setCheckState(on ? Qt::Checked : Qt::Unchecked);
        }
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
                losses.push_back({id, n, prefix + n, s.find(n)});
            else if (n == "lr")
                lrs.push_back({id, n, prefix + tr("learning rate"), s.find(n)});
            else if (n == "grad_norm")
                grads.push_back({id, n, prefix + tr("gradient norm"), s.find(n)});
        }
    }
    loss_->setCurves(losses);
    lr_->setCurves(lrs);
    grad_->setCurves(grads);
}

void TrainView::refreshRuns()
{
    if (!ws_)
        return;
    std::vector<data::RunInfo> all;
    try {
        all = ws_->runs();
    } catch (const std::exception&) {
        return;
    }
    std::vector<data::RunInfo> train;
    for (auto& r : all)
        if (r.stage > 0)
            train.push_back(r);
    const QSignalBlocker block(runs_);
    const qint64 keep = selectedRun();
    const bool rebuild = runs_->rowCount() != static_cast<int>(train.size());
    if (rebuild)
        runs_->setRowCount(static_cast<int>(train.size()));
    // Newest first.
    for (int row = 0; row < static_cast<int>(train.size()); ++row) {
        const auto& r = train[train.size() - 1 - row];
        // Stats read once per finished run, and on every poll while it runs.
        if (!series_.contains(r.id)) {
            series_.insert(r.id, RunSeries(r.id));
            series_[r.id].poll(*ws_);
        } else if (r.status == data::RunStatus::Running && !overlay_.contains(r.id) && r.id != activeRun_) {
            series_[r.id].poll(*ws_);
        }
        const RunSeries& s = series_[r.id];
        const auto* loss = s.find("train/loss");
        const QString name = QString::fromStdString(r.name);
        const QString cells[ColCount] = {
            tr("#%1%2").arg(r.id).arg(name.isEmpty() ? QString() : " " + name), QString::number(r.stage), runStatus(r),
            loss && !loss->step.isEmpty() ? QString::number(loss->step.back()) : QStringLiteral("0"), fmt(s.last("train/loss")),
            fmt(s.min("train/loss")), fmt(s.min("val/loss"))};
        for (int c = 0; c < ColCount; ++c) {
            auto* it = runs_->item(row, c);
            if (!it) {
                it = new QTableWidgetItem;
                runs_->setItem(row, c, it);
            }
            it->setText(cells[c]);
            if (c == ColRun) {
                it->setData(Qt::UserRole, static_cast<qlonglong>(r.id));
                it->setFlags(it->flags() | Qt::ItemIsUserCheckable);
                it->setCheckState(overlay_.contains(r.id) ? Qt::Checked : Qt::Unchecked);
                it->setToolTip(QString::fromStdString(r.config));
            }
            if (c == ColStatus && !r.notes.empty())
                it->setToolTip(QString::fromStdString(r.notes));
        }
    }
    if (rebuild && keep)
        for (int row = 0; row < runs_->rowCount(); ++row)
            if (runs_->item(row, ColRun)->data(Qt::UserRole).toLongLong() == keep)
                runs_->selectRow(row);
    QStringList cks;
    for (const auto& r : train)
        for (const auto& c : ws_->checkpoints(r.id))
            cks.prepend(QString::fromStdString(ws_->absolutePath(c.path)));
    if (cks != checkpointPaths_) {
        checkpointPaths_ = cks;
        form_->setCheckpoints(cks);
    }
    if (rebuild)
        showCheckpoints(selectedRun() ? selectedRun() : activeRun_);
}

qint64 TrainView::selectedRun() const
{
    const auto sel = runs_->selectionModel()->selectedRows();
    if (sel.isEmpty())
        return 0;
    auto* it = runs_->item(sel.first().row(), ColRun);
    return it ? it->data(Qt::UserRole).toLongLong() : 0;
}

void TrainView::showCheckpoints(qint64 runId)
{
    if (!runId)
        runId = activeRun_;
    ckpts_->clear();
    if (!ws_ || !runId)
        return;
    for (const auto& c : ws_->checkpoints(runId)) {
        const QString path = QString::fromStdString(ws_->absolutePath(c.path));
        auto* it = new QListWidgetItem(tr("run %1 · step %2%3 · %4")
                                           .arg(runId)
                                           .arg(c.step)
                                           .arg(c.isBest ? tr(" · best") : QString())
                                           .arg(QFileInfo(path).fileName()),
                                       ckpts_);
        it->setData(Qt::UserRole, path);
        it->setToolTip(path);
    }
    if (ckpts_->count())
        ckpts_->setCurrentRow(ckpts_->count() - 1);
    else
        ckpts_->addItem(new QListWidgetItem(tr("Run %1 has no checkpoint yet.").arg(runId)));   // no path: nothing to open
}

void TrainView::updateButtons()
{
    const bool running = isRunning();
    startBtn_->setEnabled(ws_ && !running && form_->isValid());
    stopBtn_->setEnabled(running);
    qint64 sel = selectedRun();
    bool resumable = false;
    if (sel && ws_ && !running)
        if (auto r = ws_->run(sel))
            resumable = r->status == data::RunStatus::Paused || r->status == data::RunStatus::Failed || runStatus(*r) == "interrupted";
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
