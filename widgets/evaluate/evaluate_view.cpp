#include "evaluate_view.h"
#include "box_layouts.h"

#include "confusion_map.h"
#include "data_job.h"
#include "message_bar.h"
#include "reliability_chart.h"
#include "workspace.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHash>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QSet>
#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <QApplication>
#include <QPointer>
#include <QThreadPool>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace ember::studio {

namespace train = ember::train;
namespace data = ember::data;

namespace {

// A read-only table of figures, columns sized to their contents.
QTableWidget* figureTable(const QStringList& headers, const QString& name, QWidget* parent)
{
    auto* t = new QTableWidget(0, static_cast<int>(headers.size()), parent);
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->hide();
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->setAccessibleName(name);
    return t;
}

enum SampleCol { SId, STruth, SPred, SConf, SLoss, SSteps, SPredB, SConfB, SLossB, SDecided, SBlind, SCount };

QTableWidgetItem* numItem(double v, int decimals = 3)
{
    auto* it = new QTableWidgetItem;
    // Display role holds the number, so sorting is numeric.
    it->setData(Qt::DisplayRole, std::isnan(v) ? QVariant() : QVariant(std::round(v * std::pow(10, decimals)) / std::pow(10, decimals)));
    it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return it;
}

// A difference as shown in the tables: signed, three decimals.
QString signedFigure(double d)
{
    return (d > 0 ? "+" : "") + QString::number(d, 'f', 3);
}

// A row of the metrics or the image-versus-blind table: a name and the two figures compared.
struct FigureRow {
    QString name;
    double first, second;
};

// Row `row` of such a table: name, both figures, then the difference cell the caller made.
void setFigureRow(QTableWidget* t, int row, const FigureRow& r, QTableWidgetItem* difference)
{
    t->setItem(row, 0, new QTableWidgetItem(r.name));
    t->setItem(row, 1, numItem(r.first));
    t->setItem(row, 2, numItem(r.second));
    t->setItem(row, 3, difference);
}

// What one evaluation asks for, copied for the job's thread.
struct EvalRequest {
    QString checkpoints[2];   // A, and B (empty: none)
    QString split, wsDir;
    bool text = false;
};

// What the job's thread hands back: written there, read in DataJob::finished's slot.
struct EvalResults {
    std::optional<train::EvalReport> a, b;
};

// Where an evaluation with texts leaves its predictions as COCO and VQA results files, named as
// those tools name theirs (captions_<split>_<alg>_results.json, OpenEnded_…_results.json), so
// that pycocoevalcap, vqaEval or `embervlm score` can score them.
QStringList resultsFiles(const QString& wsDir, const QString& checkpoint, const QString& split)
{
    const QString alg = QFileInfo(checkpoint).completeBaseName() + "-" +
                        QFileInfo(QFileInfo(checkpoint).absolutePath()).fileName();
    const QString dir = wsDir + "/evaluations/";
    return {dir + "captions_" + split + "_" + alg + "_results.json",
            dir + "OpenEnded_mscoco_" + split + "_" + alg + "_results.json"};
}

// Evaluates A, then B when given; the progress runs over both as one bar.
DataJob::Task evaluationTask(const EvalRequest& req, const std::shared_ptr<EvalResults>& out)
{
    return [req, out](const data::Progress& progress) {
        for (int k = 0; k < 2; ++k) {
            const QString& checkpoint = req.checkpoints[k];
            if (checkpoint.isEmpty())
                continue;
            train::EvalOptions o;
            o.workspaceDir = req.wsDir.toStdString();
            o.checkpoint = checkpoint.toStdString();
            o.split = req.split.toStdString();
            o.textSamples = req.text ? 100 : 0;   // `embervlm eval`'s default when asked for
            o.record = false;     // looking is not a recorded evaluation (`embervlm eval` records)
            if (req.text) {
                const auto files = resultsFiles(req.wsDir, checkpoint, req.split);
                QDir().mkpath(QFileInfo(files[0]).absolutePath());
                o.captionResultsOut = files[0].toStdString();
                o.answerResultsOut = files[1].toStdString();
            }
            o.progress = [&progress, k](int64_t d, int64_t t) { return progress(k * t + d, 2 * t); };
            try {
                (k == 0 ? out->a : out->b) = train::evaluateCheckpoint(o);
            } catch (const std::exception& e) {
                // Named after its file; a plain runtime_error, so a cancel reads as it always did.
                throw std::runtime_error((QFileInfo(checkpoint).fileName() + ": " + QString::fromUtf8(e.what())).toStdString());
            }
        }
        return QStringLiteral("evaluated %1 on %2").arg(QFileInfo(req.checkpoints[0]).fileName(), req.split);
    };
}

} // namespace

EvaluateView::EvaluateView(QWidget* parent) : QWidget(parent)
{
    setObjectName("evaluateView");
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 8, 8, 8);
    message_ = new MessageBar(this);
    outer->addWidget(message_);
    outer->addLayout(buildToolbar());
    outer->addLayout(buildProgressRow());

    auto* vs = new QSplitter(Qt::Vertical, this);
    vs->addWidget(buildFigures(vs));
    samples_ = buildSampleTable(vs);
    vs->addWidget(samples_);
    vs->setStretchFactor(0, 3);
    vs->setStretchFactor(1, 2);
    outer->addWidget(vs, 1);

    connectSignals();
    showReports();
}

// Checkpoint, Compare with, Split, Text, Evaluate, Cancel.
QHBoxLayout* EvaluateView::buildToolbar()
{
    auto* bar = new QHBoxLayout;
    ckA_ = addCheckpointCombo(bar, tr("Checkpoint"), tr("The checkpoint to evaluate"));
    ckB_ = addCheckpointCombo(bar, tr("Compare with"), tr("Optional: a second checkpoint shown side by side"));
    bar->addWidget(new QLabel(tr("Split"), this));
    split_ = new QComboBox(this);
    split_->addItems({"val", "test", "train", "all"});
    bar->addWidget(split_);
    withText_ = new QCheckBox(tr("Text"), this);
    withText_->setObjectName("evaluateWithText");
    withText_->setToolTip(tr("Also generate captions, answers and reasoning for 100 samples and score them "
                             "(exact match, token F1, distinct-2); about a minute more"));
    bar->addWidget(withText_);
    run_ = new QPushButton(tr("Evaluate"), this);
    cancelBtn_ = new QPushButton(tr("Cancel"), this);
    cancelBtn_->setEnabled(false);
    bar->addWidget(run_);
    bar->addWidget(cancelBtn_);
    return bar;
}

// A label, an editable checkpoint combo and its "…" file chooser, added to bar.
QComboBox* EvaluateView::addCheckpointCombo(QHBoxLayout* bar, const QString& label, const QString& tip)
{
    bar->addWidget(new QLabel(label, this));
    auto* c = new QComboBox(this);
    c->setEditable(true);
    c->setMinimumContentsLength(22);
    c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    c->setToolTip(tip);
    bar->addWidget(c, 2);
    auto* b = new QToolButton(this);
    b->setText("…");
    b->setToolTip(tr("Choose a checkpoint file"));
    connect(b, &QToolButton::clicked, this, [this, c] {
        const QString p = QFileDialog::getOpenFileName(this, tr("Checkpoint"), wsDir_, tr("Checkpoints (*.safetensors)"));
        if (!p.isEmpty())
            c->setEditText(p);
    });
    bar->addWidget(b);
    return c;
}

// The one-line summary and the progress bar.
QHBoxLayout* EvaluateView::buildProgressRow()
{
    auto* pr = new QHBoxLayout;
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setMaximumHeight(progress_->fontMetrics().height() + 4);
    summary_ = new QLabel(tr("Pick a checkpoint and a split, then Evaluate."), this);
    pr->addWidget(summary_, 1);
    pr->addWidget(progress_);
    return pr;
}

// The upper row: the numbers, the confusion map with its cell list, the reliability diagram.
QWidget* EvaluateView::buildFigures(QWidget* parent)
{
    auto* top = new QSplitter(Qt::Horizontal, parent);
    top->addWidget(buildNumbers(top));
    top->addWidget(buildConfusion(top));
    reliability_ = new ReliabilityChart(top);
    top->addWidget(reliability_);
    // Initial shares of the width: the figures need more room than the numbers.
    top->setSizes({390, 450, 340});
    top->setStretchFactor(0, 0);
    top->setStretchFactor(1, 3);
    top->setStretchFactor(2, 2);
    reliability_->setMinimumWidth(260);
    return top;
}

// The metrics table over the image-versus-blind table.
QWidget* EvaluateView::buildNumbers(QWidget* parent)
{
    auto* left = new QWidget(parent);
    auto* ll = columnLayout(left, {});
    metrics_ = figureTable({tr("Metric"), tr("A"), tr("B"), tr("B − A")}, tr("Metrics"), left);
    ll->addWidget(metrics_, 3);
    auto* relianceTitle = new QLabel(tr("<b>What the image contributes</b> (A; blind: every image replaced by uniform grey)"), left);
    relianceTitle->setWordWrap(true);
    ll->addWidget(relianceTitle);
    reliance_ = figureTable({tr(""), tr("Image"), tr("Blind"), tr("Image adds")}, tr("Image versus blind"), left);
    ll->addWidget(reliance_, 2);
    return left;
}

// The confusion map over the list of the clicked cell's samples.
QWidget* EvaluateView::buildConfusion(QWidget* parent)
{
    auto* mid = new QWidget(parent);
    auto* ml = columnLayout(mid, {});
    matrix_ = new ConfusionMap(mid);
    ml->addWidget(matrix_, 3);
    cellTitle_ = new QLabel(tr("Click a cell to list its samples; double-click one to open it in Annotate."), mid);
    cellTitle_->setWordWrap(true);
    ml->addWidget(cellTitle_);
    cell_ = new QListWidget(mid);
    cell_->setAccessibleName(tr("Samples of the selected cell"));
    ml->addWidget(cell_, 1);
    return mid;
}

// One row per sample, sortable (by loss, worst first, once filled).
QTableWidget* EvaluateView::buildSampleTable(QWidget* parent)
{
    auto* t = new QTableWidget(0, SCount, parent);
    t->setHorizontalHeaderLabels({tr("Sample"), tr("Truth"), tr("Predicted"), tr("Confidence"), tr("Loss"),
                                  tr("Accepted steps"), tr("B predicted"), tr("B confidence"), tr("B loss"),
                                  tr("Image-decided"), tr("Blind predicted")});
    t->verticalHeader()->hide();
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::ExtendedSelection);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    t->horizontalHeader()->setStretchLastSection(true);
    t->setSortingEnabled(true);
    t->setAccessibleName(tr("Per-sample results"));
    t->setToolTip(tr("Click a header to sort (e.g. by loss); double-click a row to open the sample in Annotate"));
    return t;
}

void EvaluateView::connectSignals()
{
    connect(run_, &QPushButton::clicked, this, [this] {
        evaluate(ckA_->currentText().trimmed(), split_->currentText(), ckB_->currentText().trimmed());
    });
    connect(cancelBtn_, &QPushButton::clicked, this, &EvaluateView::cancel);
    connect(matrix_, &ConfusionMap::cellClicked, this, &EvaluateView::onCell);
    connect(cell_, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem* it) { Q_EMIT openSampleRequested(it->data(Qt::UserRole).toLongLong()); });
    connect(samples_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
        if (auto* it = samples_->item(row, SId))
            Q_EMIT openSampleRequested(it->data(Qt::DisplayRole).toLongLong());
    });
}

EvaluateView::~EvaluateView()
{
    delete job_;   // DataJob's destructor cancels and waits for its thread
}

void EvaluateView::setWorkspace(const QString& dir)
{
    wsDir_ = dir;
    refreshCheckpoints();
}

void EvaluateView::refreshCheckpoints()
{
    if (wsDir_.isEmpty())
        return;
    // The runs and their checkpoints are read on a pool thread with a connection of its own.
    QPointer<EvaluateView> self(this);
    const QString dir = wsDir_;
    QThreadPool::globalInstance()->start([self, dir] {
        QStringList paths;
        QString error;
        try {
            auto ws = data::Workspace::open(dir.toStdString(), data::Workspace::Mode::Existing);
            for (const auto& r : ws.runs())
                for (const auto& c : ws.checkpoints(r.id))
                    paths.prepend(QString::fromStdString(ws.absolutePath(c.path)));
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(qApp, [self, dir, paths, error] {
            if (self && self->wsDir_ == dir)
                self->showCheckpoints(paths, error);
        }, Qt::QueuedConnection);
    });
}

void EvaluateView::showCheckpoints(QStringList paths, const QString& error)
{
    if (!error.isEmpty())
        message_->showError(tr("Could not read the checkpoints of %1: %2").arg(wsDir_, error));
    paths.removeDuplicates();
    for (auto* c : {ckA_, ckB_}) {
        const QString keep = c->currentText();
        c->clear();
        if (c == ckB_)
            c->addItem(QString());
        c->addItems(paths);
        if (!keep.isEmpty())
            c->setEditText(keep);
    }
    // The newest checkpoint comes first, so it is the one offered when nothing was picked yet.
    Q_EMIT checkpointsRefreshed();
}

bool EvaluateView::isRunning() const { return !job_.isNull(); }

void EvaluateView::cancel()
{
    if (job_)
        job_->cancel();
}

bool EvaluateView::evaluate(const QString& checkpoint, const QString& split, const QString& compareWith)
{
    if (job_ || wsDir_.isEmpty() || checkpoint.isEmpty())
        return false;
    message_->dismiss();
    EvalRequest req;
    req.checkpoints[0] = checkpoint;
    req.checkpoints[1] = compareWith;
    req.split = split;
    req.wsDir = wsDir_;
    req.text = withText_->isChecked();
    ckA_->setEditText(checkpoint);
    ckB_->setEditText(compareWith);
    split_->setCurrentText(split);
    auto results = std::make_shared<EvalResults>();
    job_ = DataJob::start(evaluationTask(req, results), this);
    connect(job_, &DataJob::progress, this, &EvaluateView::onProgress);
    connect(job_, &DataJob::finished, this, [this, results](bool ok, bool, const QString& message) {
        onFinished(ok ? QString() : message, std::move(results->a), std::move(results->b));
    });
    run_->setEnabled(false);
    cancelBtn_->setEnabled(true);
    summary_->setText(tr("Evaluating %1 on %2…").arg(QFileInfo(checkpoint).fileName(), split));
    return true;
}

void EvaluateView::onProgress(qint64 done, qint64 total)
{
    progress_->setRange(0, static_cast<int>(std::max<qint64>(1, total)));
    progress_->setValue(static_cast<int>(done));
}

void EvaluateView::onFinished(const QString& error, std::optional<train::EvalReport> a, std::optional<train::EvalReport> b)
{
    job_ = nullptr;
    run_->setEnabled(true);
    cancelBtn_->setEnabled(false);
    progress_->setRange(0, 1);
    progress_->setValue(error.isEmpty() ? 1 : 0);
    if (!error.isEmpty() || !a) {
        const QString msg = error.isEmpty() ? tr("no result") : error;
        message_->showError(tr("Evaluation failed: %1").arg(msg));
        summary_->setText(tr("Evaluation failed."));
        Q_EMIT evaluationFinished(false, msg);
        return;
    }
    a_ = std::move(a);
    b_ = std::move(b);
    showReports();
    Q_EMIT evaluationFinished(true, {});
}

QString EvaluateView::labelOf(int c) const
{
    if (a_ && c >= 0 && c < static_cast<int>(a_->labels.size()))
        return QString::fromStdString(a_->labels[c]);
    return QString::number(c);
}

int EvaluateView::confusionRow(const train::SampleResult& s)
{
    if (s.truth.empty())
        return s.predicted;
    return std::find(s.truth.begin(), s.truth.end(), s.predicted) != s.truth.end() ? s.predicted : s.truth.front();
}

void EvaluateView::showReports()
{
    QStringList labels;
    QVector<QVector<qint64>> m;
    if (a_) {
        for (const auto& l : a_->labels)
            labels << QString::fromStdString(l);
        for (const auto& row : a_->selection.confusion)
            m.push_back(QVector<qint64>(row.begin(), row.end()));
        summary_->setText(tr("%1 on %2: %3 samples, accuracy %4, macro F1 %5 (%6 s)%7")
                              .arg(QFileInfo(QString::fromStdString(a_->checkpoint)).fileName(),
                                   QString::fromStdString(a_->split))
                              .arg(a_->selection.total)
                              .arg(a_->selection.accuracy, 0, 'f', 3)
                              .arg(a_->selection.macroF1, 0, 'f', 3)
                              .arg(a_->seconds, 0, 'f', 1)
                              .arg(b_ ? tr(" · B: %1, accuracy %2")
                                            .arg(QFileInfo(QString::fromStdString(b_->checkpoint)).fileName())
                                            .arg(b_->selection.accuracy, 0, 'f', 3)
                                      : QString()));
        const auto files = resultsFiles(wsDir_, QString::fromStdString(a_->checkpoint), QString::fromStdString(a_->split));
        if (a_->captionCount || a_->answerCount)
            summary_->setText(summary_->text() + tr(" · predictions as COCO/VQA results files in %1")
                                                     .arg(QFileInfo(files[0]).absolutePath()));
    }
    matrix_->setMatrix(labels, m);
    cell_->clear();
    reliability_->setReports(a_ ? &a_->selection : nullptr, b_ ? &b_->selection : nullptr, "A", "B");
    fillMetrics();
    fillReliance();
    fillSamples();
}

void EvaluateView::fillReliance()
{
    QVector<FigureRow> rows;   // first: with the image, second: blind
    if (a_) {
        const auto& r = *a_;
        rows.push_back({tr("Selection, all (%1)").arg(r.selection.total), r.selection.accuracy, r.blindAccuracy});
        rows.push_back({tr("Selection, image-decided (%1)").arg(r.imageDecidedCount), r.imageDecidedAccuracy, r.imageDecidedBlindAccuracy});
        if (r.answerCount) {
            rows.push_back({tr("Answers, exact match (%1)").arg(r.answerCount), r.answerExactMatch, r.blindAnswerExactMatch});
            rows.push_back({tr("Answers, token F1"), r.answerTokenF1, r.blindAnswerTokenF1});
            rows.push_back({tr("Answers, VQA accuracy (%)"), r.answerVqaAccuracy, r.blindAnswerVqaAccuracy});
        }
    }
    reliance_->setRowCount(rows.size());
    for (int i = 0; i < rows.size(); ++i) {
        const double d = rows[i].first - rows[i].second;
        auto* di = numItem(d);
        if (!std::isnan(d))
            di->setText(signedFigure(d));
        setFigureRow(reliance_, i, rows[i], di);
    }
}

void EvaluateView::fillMetrics()
{
    QVector<FigureRow> rows;   // first: A, second: B
    auto nan = std::nan("");
    auto add = [&](const QString& name, auto get) {
        rows.push_back({name, a_ ? get(*a_) : nan, b_ ? get(*b_) : nan});
    };
    add(tr("accuracy"), [](const train::EvalReport& r) { return r.selection.accuracy; });
    add(tr("macro F1"), [](const train::EvalReport& r) { return r.selection.macroF1; });
    add(tr("calibration error (ECE)"), [](const train::EvalReport& r) { return r.selection.ece; });
    add(tr("reasoning consistency"), [](const train::EvalReport& r) { return r.meanStepConsistency; });
    add(tr("early-stop rate"), [](const train::EvalReport& r) { return r.earlyStopRate; });
    add(tr("samples"), [](const train::EvalReport& r) { return double(r.selection.total); });
    add(tr("blind accuracy (grey images)"), [](const train::EvalReport& r) { return r.blindAccuracy; });
    add(tr("image-decided accuracy"), [](const train::EvalReport& r) { return r.imageDecidedAccuracy; });
    add(tr("image-decided, blind"), [](const train::EvalReport& r) { return r.imageDecidedBlindAccuracy; });
    auto text = [nan](double v, int count) { return count ? v : nan; };
    add(tr("answer exact match"), [text](const train::EvalReport& r) { return text(r.answerExactMatch, r.answerCount); });
    add(tr("answer token F1"), [text](const train::EvalReport& r) { return text(r.answerTokenF1, r.answerCount); });
    add(tr("answer VQA accuracy (%)"), [](const train::EvalReport& r) { return r.answerVqaAccuracy; });
    add(tr("caption token F1"), [text](const train::EvalReport& r) { return text(r.captionTokenF1, r.captionCount); });
    add(tr("caption BLEU-4"), [](const train::EvalReport& r) { return r.captionBleu4; });
    add(tr("caption ROUGE-L"), [](const train::EvalReport& r) { return r.captionRougeL; });
    add(tr("caption CIDEr"), [](const train::EvalReport& r) { return r.captionCider; });
    add(tr("reasoning token F1"), [text](const train::EvalReport& r) { return text(r.reasoningTokenF1, r.reasoningCount); });
    add(tr("reasoning distinct-2"), [text](const train::EvalReport& r) { return text(r.distinct2, r.reasoningCount); });
    if (a_)
        for (int c = 0; c < a_->selection.classes; ++c)
            add(tr("F1 · %1").arg(labelOf(c)), [c](const train::EvalReport& r) {
                return c < static_cast<int>(r.selection.f1.size()) ? r.selection.f1[c] : std::nan("");
            });
    metrics_->setRowCount(rows.size());
    metrics_->setColumnHidden(2, !b_);
    metrics_->setColumnHidden(3, !b_);
    for (int i = 0; i < rows.size(); ++i) {
        const double d = rows[i].second - rows[i].first;
        auto* di = numItem(d);
        if (!std::isnan(d) && std::abs(d) > 1e-9) {
            // ECE is better when lower: colour by whether B improved, not by the sign.
            const bool lowerIsBetter = i == 2;
            di->setForeground((d > 0) != lowerIsBetter ? QColor(20, 130, 60) : QColor(190, 40, 30));
            di->setText(signedFigure(d));
        }
        setFigureRow(metrics_, i, rows[i], di);
    }
}

void EvaluateView::fillSamples()
{
    samples_->setSortingEnabled(false);
    samples_->setRowCount(0);
    for (int c = SPredB; c <= SLossB; ++c)
        samples_->setColumnHidden(c, !b_);
    if (!a_) {
        samples_->setSortingEnabled(true);
        return;
    }
    QHash<qint64, const train::SampleResult*> byId;
    if (b_)
        for (const auto& s : b_->samples)
            byId.insert(s.sampleId, &s);
    samples_->setRowCount(static_cast<int>(a_->samples.size()));
    int row = 0;
    for (const auto& s : a_->samples) {
        auto* id = new QTableWidgetItem;
        id->setData(Qt::DisplayRole, static_cast<qlonglong>(s.sampleId));
        samples_->setItem(row, SId, id);
        QStringList truth;
        for (int t : s.truth)
            truth << labelOf(t);
        samples_->setItem(row, STruth, new QTableWidgetItem(truth.join(", ")));
        auto* pred = new QTableWidgetItem(labelOf(s.predicted));
        const bool hit = std::find(s.truth.begin(), s.truth.end(), s.predicted) != s.truth.end();
        pred->setForeground(hit ? QColor(20, 130, 60) : QColor(190, 40, 30));
        samples_->setItem(row, SPred, pred);
        samples_->setItem(row, SConf, numItem(s.confidence));
        samples_->setItem(row, SLoss, numItem(s.loss));
        samples_->setItem(row, SSteps, numItem(s.acceptedSteps, 0));
        samples_->setItem(row, SDecided, new QTableWidgetItem(s.imageDecided ? tr("yes") : QString()));
        if (s.blindPredicted >= 0) {
            auto* bp = new QTableWidgetItem(labelOf(s.blindPredicted));
            const bool blindHit = std::find(s.truth.begin(), s.truth.end(), s.blindPredicted) != s.truth.end();
            bp->setForeground(blindHit ? QColor(20, 130, 60) : QColor(190, 40, 30));
            samples_->setItem(row, SBlind, bp);
        }
        if (const auto* o = byId.value(s.sampleId)) {
            auto* pb = new QTableWidgetItem(labelOf(o->predicted));
            if (o->predicted != s.predicted) {
                QFont f = pb->font();
                f.setBold(true);   // the two checkpoints disagree here
                pb->setFont(f);
            }
            samples_->setItem(row, SPredB, pb);
            samples_->setItem(row, SConfB, numItem(o->confidence));
            samples_->setItem(row, SLossB, numItem(o->loss));
        }
        ++row;
    }
    samples_->setSortingEnabled(true);
    samples_->sortByColumn(SLoss, Qt::DescendingOrder);   // the worst first: where to look
    samples_->resizeColumnsToContents();
}

QList<qint64> EvaluateView::samplesInCell(int truth, int predicted) const
{
    QList<qint64> ids;
    if (a_)
        for (const auto& s : a_->samples)
            if (confusionRow(s) == truth && s.predicted == predicted)
                ids << s.sampleId;
    return ids;
}

void EvaluateView::onCell(int truth, int predicted)
{
    const QList<qint64> ids = samplesInCell(truth, predicted);
    cellTitle_->setText(tr("True %1, predicted %2: %n sample(s). Double-click one to open it in Annotate.", nullptr, ids.size())
                            .arg(labelOf(truth), labelOf(predicted)));
    cell_->clear();
    QHash<qint64, const train::SampleResult*> byId;
    for (const auto& s : a_->samples)
        byId.insert(s.sampleId, &s);
    for (qint64 id : ids) {
        const auto* s = byId.value(id);
        auto* it = new QListWidgetItem(tr("#%1 · confidence %2 · loss %3").arg(id).arg(s->confidence, 0, 'f', 2).arg(s->loss, 0, 'f', 2),
                                       cell_);
        it->setData(Qt::UserRole, id);
    }
    // The same samples highlighted in the per-sample table.
    const QSet<qint64> want(ids.begin(), ids.end());
    samples_->clearSelection();
    QItemSelection sel;
    int first = -1;
    for (int r = 0; r < samples_->rowCount(); ++r)
        if (want.contains(samples_->item(r, SId)->data(Qt::DisplayRole).toLongLong())) {
            sel.select(samples_->model()->index(r, 0), samples_->model()->index(r, SCount - 1));
            if (first < 0)
                first = r;
        }
    samples_->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect);
    if (first >= 0)
        samples_->scrollToItem(samples_->item(first, SId));
}

QList<qint64> EvaluateView::listedSamples() const
{
    QList<qint64> ids;
    for (int i = 0; i < cell_->count(); ++i)
        ids << cell_->item(i)->data(Qt::UserRole).toLongLong();
    return ids;
}

QList<qint64> EvaluateView::selectedTableSamples() const
{
    QList<qint64> ids;
    for (const auto& i : samples_->selectionModel()->selectedRows())
        ids << samples_->item(i.row(), SId)->data(Qt::DisplayRole).toLongLong();
    std::sort(ids.begin(), ids.end());
    return ids;
}

} // namespace ember::studio
