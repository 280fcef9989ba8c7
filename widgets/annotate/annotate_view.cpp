#include "annotate_view.h"
#include "box_layouts.h"

#include "data_job.h"
#include "edit_queue.h"
#include "export_dialog.h"
#include "exporters.h"
#include "image_loader.h"
#include "image_pane.h"
#include "importers.h"
#include "label_balance_chart.h"
#include "message_bar.h"
#include "model_suggester.h"
#include "sample_editor.h"
#include "small_button.h"
#include "store_worker.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTimer>
#include <QUndoStack>
#include <QVBoxLayout>

namespace ember::studio {

namespace data = ember::data;

namespace {

constexpr int kSearchDelayMs = 250;    // typing in the search box re-queries once it pauses
constexpr int kChartDelayMs = 300;     // label edits redraw the balance chart at most this often

} // namespace

AnnotateView::AnnotateView(EngineWorker* worker, QWidget* parent)
    : QWidget(parent)
    , worker_(worker)
    , suggestions_(new Suggestions(this))
    , model_(new SampleListModel(suggestions_, this))
    , suggester_(new ModelSuggester(worker, suggestions_, this))
    , undo_(new QUndoStack(this))
    , loader_(new ImageLoader(this))
    , edits_(new EditQueue(this))
{
    setObjectName("annotateView");
    auto* outer = columnLayout(this, {8, 6, 8, 6}, 4);
    message_ = new MessageBar(this);
    outer->addWidget(message_);
    outer->addLayout(buildFilterBar());
    connectFilters();
    outer->addWidget(buildPanes(), 1);
    outer->addLayout(buildActionRow());
    setBackgroundRunning({});
    connectSuggestions();

    chartTimer_ = new QTimer(this);
    chartTimer_->setSingleShot(true);
    chartTimer_->setInterval(kChartDelayMs);
    connect(chartTimer_, &QTimer::timeout, this, &AnnotateView::updateChart);

    buildActions();
    setModelReady(false);

    connect(edits_, &EditQueue::saved, this, [this](const QList<qint64>& ids, bool robots) {
        for (qint64 id : ids)
            model_->refreshSample(id);
        if (robots)
            chartTimer_->start();
    });
    connect(edits_, &EditQueue::failed, this,
            [this](const QString& m) { message_->showError(tr("Could not save: %1").arg(m)); });
    connect(editor_, &SampleEditor::fieldLeft, edits_, &EditQueue::flush);
    connect(model_, &SampleListModel::loaded, this, &AnnotateView::onListLoaded);
    connect(model_, &SampleListModel::rowsArrived, this, [this](int first, int last) {
        // J/K onto a row whose page was still on its way: show it now that its id is known.
        const int row = currentRow();
        if (row >= first && row <= last && model_->idAt(row) != currentId_)
            onCurrentChanged();
    });
}

// Search, split, status, robot, "model disagrees", sort and the count.
QHBoxLayout* AnnotateView::buildFilterBar()
{
    auto* fb = new QHBoxLayout;
    search_ = new QLineEdit(this);
    search_->setObjectName("annotateSearch");
    search_->setPlaceholderText(tr("Search task, caption, source (Ctrl+F)"));
    search_->setClearButtonEnabled(true);
    splitFilter_ = new QComboBox(this);
    splitFilter_->addItems({tr("All splits"), tr("No split"), tr("Train"), tr("Val"), tr("Test")});
    splitFilter_->setToolTip(tr("Show one split"));
    statusFilter_ = new QComboBox(this);
    statusFilter_->addItems({tr("Any status"), tr("Draft"), tr("Reviewed")});
    statusFilter_->setToolTip(tr("Show drafts or reviewed samples"));
    robotFilter_ = new QComboBox(this);
    robotFilter_->addItem(tr("Any robot"));
    for (int i = 0; i < data::robotCount(); ++i)
        robotFilter_->addItem(QString::fromStdString(data::robotName(i)));
    robotFilter_->setToolTip(tr("Samples labelled with this robot"));
    disagree_ = new QCheckBox(tr("Model disagrees"), this);
    disagree_->setToolTip(tr("Only samples whose model suggestion's top robot is none of the labels"));
    sort_ = new QComboBox(this);
    sort_->addItems({tr("Sort: id"), tr("Sort: newest"), tr("Sort: last modified"), tr("Sort: task"),
                     tr("Sort: model confidence (lowest first)"), tr("Sort: disagreement (highest first)")});
    sort_->setToolTip(tr("Order of the list; the model sorts need suggestions (Suggest for list)"));
    count_ = new QLabel(this);
    count_->setObjectName("annotateCount");
    fb->addWidget(search_, 2);
    for (QWidget* w : {static_cast<QWidget*>(splitFilter_), static_cast<QWidget*>(statusFilter_),
                       static_cast<QWidget*>(robotFilter_), static_cast<QWidget*>(disagree_), static_cast<QWidget*>(sort_)})
        fb->addWidget(w);
    fb->addWidget(count_);
    return fb;
}

// The filters re-query at once; the search box once typing pauses.
void AnnotateView::connectFilters()
{
    searchTimer_ = new QTimer(this);
    searchTimer_->setSingleShot(true);
    searchTimer_->setInterval(kSearchDelayMs);
    connect(searchTimer_, &QTimer::timeout, this, &AnnotateView::applyFilter);
    connect(search_, &QLineEdit::textChanged, searchTimer_, qOverload<>(&QTimer::start));
    for (QComboBox* c : {splitFilter_, statusFilter_, robotFilter_, sort_})
        connect(c, &QComboBox::currentIndexChanged, this, &AnnotateView::applyFilter);
    connect(disagree_, &QCheckBox::toggled, this, &AnnotateView::applyFilter);
}

// List | image | fields.
QSplitter* AnnotateView::buildPanes()
{
    auto* split = new QSplitter(Qt::Horizontal, this);
    QWidget* left = buildListColumn(split);

    // Middle: the image, never scrolled away.
    pane_ = new ImagePane(split);
    pane_->setPlaceholder(tr("No image (text-only sample)"));

    // Right: the fields; each edit becomes an undoable command.
    editor_ = new SampleEditor(split);
    connect(editor_, &SampleEditor::edited, this,
            [this](SampleField f, const QVariant& before, const QVariant& after, quint64 key) {
                if (currentId_)
                    undo_->push(new SetFieldCommand(this, currentId_, f, before, after, key));
            });
    connect(editor_, &SampleEditor::acceptSuggestionRequested, this, &AnnotateView::acceptSuggestion);
    split->addWidget(left);
    split->addWidget(pane_);
    split->addWidget(editor_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 4);
    split->setStretchFactor(2, 4);
    split->setSizes({330, 420, 420});
    split->setChildrenCollapsible(false);
    return split;
}

// Left: the sample list, the position under it and the label balance chart.
QWidget* AnnotateView::buildListColumn(QWidget* parent)
{
    auto* left = new QWidget(parent);
    auto* ll = columnLayout(left, {});
    list_ = new QListView(left);
    list_->setObjectName("sampleList");
    list_->setModel(model_);
    list_->setUniformItemSizes(true);   // no per-row size queries: only visible rows are read
    // A reset of 100,000 rows is laid out a batch per turn of the event loop, not in one stall.
    list_->setLayoutMode(QListView::Batched);
    list_->setBatchSize(20000);
    list_->setIconSize(QSize(48, 48));
    list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    list_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    list_->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    list_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    list_->setTextElideMode(Qt::ElideRight);
    list_->setToolTip(tr("J/K or Alt+Down/Up: next/previous sample"));
    connect(list_->selectionModel(), &QItemSelectionModel::currentChanged, this, &AnnotateView::onCurrentChanged);
    position_ = new QLabel(left);
    position_->setObjectName("annotatePosition");
    chart_ = new LabelBalanceChart(left);
    chart_->setMinimumHeight(120);
    chart_->setMaximumHeight(170);
    ll->addWidget(list_, 1);
    ll->addWidget(position_);
    ll->addWidget(chart_);
    return left;
}

// Navigation, undo, suggestions; then the background progress, import and export.
QHBoxLayout* AnnotateView::buildActionRow()
{
    auto* ab = new QHBoxLayout;
    auto* prev = smallButton(tr("◀ Previous"), tr("Previous sample (K or Alt+Up)"), this);
    auto* nextB = smallButton(tr("Next ▶"), tr("Next sample (J or Alt+Down)"), this);
    auto* reviewed = smallButton(tr("Reviewed ✓ and next"), tr("Mark reviewed and go to the next sample (Ctrl+Enter)"), this);
    reviewed->setObjectName("reviewedNext");
    auto* undoB = smallButton(tr("Undo"), tr("Undo the last edit (Ctrl+Z)"), this);
    auto* redoB = smallButton(tr("Redo"), tr("Redo (Ctrl+Shift+Z or Ctrl+Y)"), this);
    suggestBtn_ = smallButton(tr("Suggest"), tr("Fill robots and reasoning steps from the current model as suggestions (Ctrl+G)"), this);
    batchBtn_ = smallButton(tr("Suggest for list"), tr("Suggest robots for the selected samples, or for every listed sample when one or none is selected (Ctrl+Shift+G)"), this);
    auto* imp = smallButton(tr("Import…"), tr("Import images, a folder or a dataset file (Ctrl+I)"), this);
    auto* exp = smallButton(tr("Export…"), tr("Export samples by split and format (Ctrl+E)"), this);
    connect(prev, &QPushButton::clicked, this, &AnnotateView::previous);
    connect(nextB, &QPushButton::clicked, this, &AnnotateView::next);
    connect(reviewed, &QPushButton::clicked, this, &AnnotateView::markReviewedAndNext);
    connect(undoB, &QPushButton::clicked, undo_, &QUndoStack::undo);
    connect(redoB, &QPushButton::clicked, undo_, &QUndoStack::redo);
    connect(undo_, &QUndoStack::canUndoChanged, undoB, &QWidget::setEnabled);
    connect(undo_, &QUndoStack::canRedoChanged, redoB, &QWidget::setEnabled);
    undoB->setEnabled(false);
    redoB->setEnabled(false);
    connect(suggestBtn_, &QPushButton::clicked, this, &AnnotateView::suggestCurrent);
    connect(batchBtn_, &QPushButton::clicked, this, &AnnotateView::suggestFiltered);
    connect(imp, &QPushButton::clicked, this, &AnnotateView::importDialog);
    connect(exp, &QPushButton::clicked, this, &AnnotateView::exportDialog);
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(180);
    progressLabel_ = new QLabel(this);
    cancel_ = smallButton(tr("Cancel"), tr("Stop the background work (Esc)"), this);
    connect(cancel_, &QPushButton::clicked, this, &AnnotateView::cancelBackground);
    for (QWidget* w : {static_cast<QWidget*>(prev), static_cast<QWidget*>(nextB), static_cast<QWidget*>(reviewed),
                       static_cast<QWidget*>(undoB), static_cast<QWidget*>(redoB), static_cast<QWidget*>(suggestBtn_),
                       static_cast<QWidget*>(batchBtn_)})
        ab->addWidget(w);
    ab->addStretch();
    ab->addWidget(progressLabel_);
    ab->addWidget(progress_);
    ab->addWidget(cancel_);
    ab->addWidget(imp);
    ab->addWidget(exp);
    return ab;
}

// The model's suggestions: batch progress, its end, and changes to what the list and editor show.
void AnnotateView::connectSuggestions()
{
    connect(suggester_, &ModelSuggester::progress, this, [this](int done, int total) {
        progress_->setRange(0, total);
        progress_->setValue(done);
    });
    connect(suggester_, &ModelSuggester::finished, this, [this](int done, bool cancelled) {
        setBackgroundRunning({});
        if (cancelled)
            message_->showInfo(tr("Suggestions stopped after %n sample(s).", nullptr, done));
        if (model_->filter().usesSuggestions())
            model_->reload();
        Q_EMIT backgroundFinished(!cancelled, {});
    });
    connect(suggester_, &ModelSuggester::failed, this, [this](const QString& m) { message_->showError(tr("Suggest failed: %1").arg(m)); });
    connect(suggestions_, &Suggestions::changed, this, [this](qint64 id) {
        model_->refreshSample(id);
        if (id == currentId_ || id == 0)
            editor_->setSuggestion(suggestions_->find(currentId_));
    });
}

AnnotateView::~AnnotateView()
{
    edits_->flush();   // what was typed last goes to the store worker, which writes it before it ends
}

void AnnotateView::keyPressEvent(QKeyEvent* e)
{
    // Escape reaches the view only when no child used it (inline editors cancel with it first).
    if (e->key() == Qt::Key_Escape && busy()) {
        cancelBackground();
        return;
    }
    QWidget::keyPressEvent(e);
}

void AnnotateView::buildActions()
{
    auto add = [this](const QList<QKeySequence>& keys, auto slot) {
        auto* a = new QAction(this);
        a->setShortcuts(keys);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);   // only while Annotate is shown
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
        return a;
    };
    add({QKeySequence(Qt::Key_J), QKeySequence(Qt::ALT | Qt::Key_Down)}, [this] { next(); });
    add({QKeySequence(Qt::Key_K), QKeySequence(Qt::ALT | Qt::Key_Up)}, [this] { previous(); });
    add({QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)}, [this] { markReviewedAndNext(); });
    add({QKeySequence::Undo}, [this] { undo_->undo(); });
    add({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)}, [this] { undo_->redo(); });
    add({QKeySequence(Qt::CTRL | Qt::Key_F)}, [this] {
        search_->setFocus(Qt::ShortcutFocusReason);
        search_->selectAll();
    });
    add({QKeySequence(Qt::CTRL | Qt::Key_G)}, [this] { suggestCurrent(); });
    add({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_G)}, [this] { suggestFiltered(); });
    add({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A)}, [this] { acceptSuggestion(); });
    add({QKeySequence(Qt::CTRL | Qt::Key_I)}, [this] { importDialog(); });
    add({QKeySequence(Qt::CTRL | Qt::Key_E)}, [this] { exportDialog(); });
    for (int i = 0; i < data::robotCount() && i < 9; ++i)
        add({QKeySequence(Qt::Key_1 + i)}, [this, i] { editor_->toggleRobot(i); });
}

void AnnotateView::setStore(StoreWorker* store)
{
    if (store_)
        disconnect(store_, nullptr, this, nullptr);
    edits_->setStore(store);
    store_ = store;
    suggester_->setStore(store);
    if (store_)
        connect(store_, &StoreWorker::opened, this, &AnnotateView::onStoreOpened);
    onStoreOpened();
}

// A workspace opened (or closed): the old one's undo steps, suggestions and rows go.
void AnnotateView::onStoreOpened()
{
    undo_->clear();   // commands refer to the old store's ids
    edits_->reset();
    suggestions_->clear();
    loader_->clear();
    currentId_ = 0;
    ++showRequest_;
    showing_ = false;
    editor_->setSample({});
    pane_->setImage({});
    model_->setStore(store_ && store_->isOpen() ? store_ : nullptr);
    updatePosition();
    updateChart();
}

void AnnotateView::setModelReady(bool ready)
{
    modelReady_ = ready;
    const QString why = tr("No model is loaded yet.");
    suggestBtn_->setEnabled(ready && worker_);
    batchBtn_->setEnabled(ready && worker_);
    if (!ready)
        suggestBtn_->setToolTip(why);
    else
        suggestBtn_->setToolTip(tr("Fill robots and reasoning steps from the current model as suggestions (Ctrl+G)"));
}

void AnnotateView::reload()
{
    model_->reload();   // loaded() then shows the kept sample again (re-read: another window may have changed it)
    updateChart();
}

// The list's new rows arrived (a reload or a filter): the current sample stays when the filter
// still lists it, else the first row is shown.
void AnnotateView::onListLoaded()
{
    const qint64 keep = currentId_;
    currentId_ = 0;
    if (model_->rowCount() == 0) {
        showSample(0);
        updatePosition();
        return;
    }
    if (!keep) {
        goToRow(0);
        return;
    }
    model_->locate(keep, [this, keep](int row) {
        if (currentId_ != 0 && currentId_ != keep)
            return;   // the user moved on meanwhile
        goToRow(row >= 0 ? row : 0);
        if (row >= 0 && model_->idAt(row) == keep && currentId_ != keep)
            showSample(keep);
    });
}

void AnnotateView::applyFilter()
{
    ListFilter f;
    f.query.text = search_->text().trimmed().toStdString();
    if (splitFilter_->currentIndex() > 0)
        f.query.split = static_cast<data::Split>(splitFilter_->currentIndex() - 1);
    if (statusFilter_->currentIndex() > 0)
        f.query.status = static_cast<data::Status>(statusFilter_->currentIndex() - 1);
    f.query.robot = robotFilter_->currentIndex() - 1;
    switch (sort_->currentIndex()) {
    case 1: f.query.sort = data::SampleQuery::Sort::Created; f.query.descending = true; break;
    case 2: f.query.sort = data::SampleQuery::Sort::Modified; f.query.descending = true; break;
    case 3: f.query.sort = data::SampleQuery::Sort::Task; break;
    case 4: f.modelSort = ListFilter::ModelSort::Confidence; break;
    case 5: f.modelSort = ListFilter::ModelSort::Disagreement; break;
    default: break;
    }
    f.disagreeOnly = disagree_->isChecked();
    model_->setFilter(f);   // loaded() keeps the current sample when the filter lists it
    updateChart();
}

void AnnotateView::updatePosition()
{
    const int n = model_->rowCount();
    count_->setText(model_->loading() && n == 0 ? tr("loading…") : tr("%L1 samples").arg(n));
    const int row = currentRow();
    position_->setText(n == 0 ? tr("no samples") : tr("%L1 / %L2").arg(row + 1).arg(n));
}

void AnnotateView::updateChart()
{
    const int request = ++chartRequest_;
    if (!store_ || !store_->isOpen()) {
        chart_->setCounts(std::vector<int64_t>(static_cast<size_t>(data::robotCount()), 0));
        return;
    }
    store_->read<std::vector<int64_t>>(
        this, [q = model_->filter().query](data::SampleStore& ws) { return ws.labelHistogram(q); },
        [this, request](std::vector<int64_t> counts) {
            if (request == chartRequest_)
                chart_->setCounts(counts);
        },
        [](const QString&) {});   // a busy store: the chart keeps its last counts until the next edit
}

int AnnotateView::currentRow() const { return list_->currentIndex().isValid() ? list_->currentIndex().row() : -1; }

void AnnotateView::goToRow(int row)
{
    if (row < 0 || row >= model_->rowCount())
        return;
    const QModelIndex i = model_->index(row);
    list_->selectionModel()->setCurrentIndex(i, QItemSelectionModel::ClearAndSelect);
    list_->scrollTo(i);
    if (model_->idAt(row) != currentId_)
        onCurrentChanged();
}

void AnnotateView::openSample(qint64 id, std::function<void(bool found)> done)
{
    model_->locate(id, [this, id, done](int row) {
        if (row >= 0) {
            goToRow(row);
            if (done)
                done(true);
            return;
        }
        // Hidden by the filters: clear them, then look again in the whole list.
        {
            const QSignalBlocker b1(search_), b2(splitFilter_), b3(statusFilter_), b4(robotFilter_), b5(disagree_);
            search_->clear();
            splitFilter_->setCurrentIndex(0);
            statusFilter_->setCurrentIndex(0);
            robotFilter_->setCurrentIndex(0);
            disagree_->setChecked(false);
        }
        currentId_ = id;   // loaded() keeps it when the whole list has it
        applyFilter();
        model_->locate(id, [this, done](int again) {
            if (again >= 0)
                goToRow(again);
            if (done)
                done(again >= 0);
        });
    });
}

void AnnotateView::next() { goToRow(std::min(currentRow() + 1, model_->rowCount() - 1)); }
void AnnotateView::previous() { goToRow(std::max(currentRow() - 1, 0)); }

void AnnotateView::markReviewedAndNext()
{
    if (!currentId_)
        return;
    if (editor_->sample().status != data::Status::Reviewed)
        editor_->statusBox()->setCurrentIndex(static_cast<int>(data::Status::Reviewed));   // pushes the command
    next();
}

void AnnotateView::onCurrentChanged()
{
    const int row = currentRow();
    const qint64 id = row >= 0 ? model_->idAt(row) : 0;
    // id 0 on a valid row: its page is on its way, and rowsArrived() brings us back here.
    if (id != currentId_ && (id != 0 || row < 0))
        showSample(id);
    updatePosition();
}

void AnnotateView::showSample(qint64 id)
{
    edits_->flush();   // leaving a sample is leaving its fields
    currentId_ = id;
    const int request = ++showRequest_;
    if (!id || !store_) {
        showing_ = false;
        editor_->setSample({});
        editor_->setSuggestion(nullptr);
        pane_->setImage({});
        Q_EMIT currentSampleChanged(id);
        Q_EMIT sampleShown(id);
        return;
    }
    showing_ = true;
    // The neighbours' pictures are decoded ahead, so J/K shows the next one at once.
    std::vector<std::string> near;
    const int row = currentRow();
    for (int r : {row + 1, row - 1})
        if (const data::SampleRow* x = model_->rowAt(r); x && x->imageId)
            near.push_back(x->imagePath);
    struct Shown {
        std::optional<data::Sample> sample;
        QString image;
        QStringList near;
    };
    store_->read<Shown>(
        this,
        [id, near](data::SampleStore& ws) {
            Shown r;
            r.sample = ws.get(id);
            if (r.sample && r.sample->image.id)
                r.image = QString::fromStdString(ws.absolutePath(r.sample->image.path));
            for (const std::string& p : near) {
                try {
                    r.near << QString::fromStdString(ws.absolutePath(p));
                } catch (const std::exception&) {
                    // a path leading out of the workspace is refused when it is shown, not here
                }
            }
            return r;
        },
        [this, id, request](Shown r) {
            if (request != showRequest_)
                return;
            data::Sample s = r.sample ? *r.sample : data::Sample{};
            edits_->overlay(s);   // typed and not yet written: the editor shows what was typed
            editor_->setSample(s);
            editor_->setSuggestion(suggestions_->find(id));
            Q_EMIT currentSampleChanged(id);
            if (!r.sample)
                message_->showError(tr("Sample #%1 is gone (removed in another window?).").arg(id));
            showImage(r.image, request);
            for (const QString& p : r.near)
                loader_->prefetch(p);
        },
        [this, id, request](const QString& m) {
            if (request != showRequest_)
                return;
            showing_ = false;
            message_->showError(tr("Could not read sample #%1: %2").arg(id).arg(m));
        });
}

// The picture decoded off the GUI thread, as the model sees it (upright, first frame or page,
// alpha on white); a cached one (prefetched) shows before load() returns.
void AnnotateView::showImage(const QString& path, int request)
{
    const qint64 id = currentId_;
    pane_->setPlaceholder(tr("No image (text-only sample)"));
    if (path.isEmpty()) {
        pane_->setImage({});
        showing_ = false;
        Q_EMIT sampleShown(id);
        return;
    }
    auto delivered = std::make_shared<bool>(false);
    loader_->load(path, this, [this, request, id, delivered](const QImage& img, const QString& error) {
        *delivered = true;
        if (request != showRequest_)
            return;
        pane_->setImage(img);
        if (img.isNull())
            pane_->setPlaceholder(error);
        showing_ = false;
        Q_EMIT sampleShown(id);
    });
    if (!*delivered)
        pane_->setImage({});   // never the previous sample's picture beside these fields
}

void AnnotateView::writeField(qint64 id, SampleField f, const QVariant& value)
{
    if (!store_)
        return;
    edits_->edit(id, f, value, f == SampleField::Task || f == SampleField::Caption);
    if (id == currentId_) {
        editor_->showField(f, value);
        return;
    }
    // Undo or redo of an edit made on another sample: show that sample.
    model_->locate(id, [this](int row) {
        if (row >= 0)
            goToRow(row);
    });
}

void AnnotateView::suggestCurrent()
{
    if (!currentId_ || !worker_ || !modelReady_ || busy())
        return;
    setBackgroundRunning(tr("Suggesting…"));
    suggester_->suggestOne(currentId_);
}

void AnnotateView::suggestFiltered()
{
    if (!store_ || !store_->isOpen() || !worker_ || !modelReady_ || busy())
        return;
    auto start = [this](std::vector<int64_t> ids) {
        listing_ = false;
        setBackgroundRunning(tr("Suggesting for %n sample(s)…", nullptr, static_cast<int>(ids.size())));
        progress_->setRange(0, static_cast<int>(ids.size()));
        suggester_->suggestBatch(ids);
    };
    const QModelIndexList sel = list_->selectionModel()->selectedIndexes();
    if (sel.size() > 1) {
        std::vector<int64_t> ids;
        for (const QModelIndex& i : sel)
            if (const qint64 id = model_->idAt(i.row()))
                ids.push_back(id);
        start(std::move(ids));
        return;
    }
    listing_ = true;
    setBackgroundRunning(tr("Listing the samples…"));
    store_->read<std::vector<int64_t>>(
        this, [q = model_->filter().query](data::SampleStore& ws) { return ws.ids(q); },
        [this, start](std::vector<int64_t> ids) {
            if (!listing_)
                return;   // cancelled
            start(std::move(ids));
        },
        [this](const QString& m) {
            listing_ = false;
            setBackgroundRunning({});
            message_->showError(tr("Could not list the samples: %1").arg(m));
        });
}

void AnnotateView::acceptSuggestion()
{
    const Suggestion* s = suggestions_->find(currentId_);
    if (!s || !currentId_)
        return;
    const data::Sample& cur = editor_->sample();
    undo_->beginMacro(tr("accept suggestion for #%1").arg(currentId_));
    QVariantList robots;
    for (int r : s->robots)
        robots << r;
    if (fieldValue(cur, SampleField::Robots) != QVariant(robots))
        undo_->push(new SetFieldCommand(this, currentId_, SampleField::Robots, fieldValue(cur, SampleField::Robots), robots));
    if (!s->reasoning.isEmpty() && fieldValue(cur, SampleField::Reasoning) != QVariant(s->reasoning))
        undo_->push(new SetFieldCommand(this, currentId_, SampleField::Reasoning, fieldValue(cur, SampleField::Reasoning),
                                        s->reasoning));
    undo_->endMacro();
    Suggestion accepted = *s;
    accepted.accepted = true;
    suggestions_->set(currentId_, accepted);
}

bool AnnotateView::busy() const { return listing_ || suggester_->isRunning() || job_ != nullptr; }

bool AnnotateView::settled() const
{
    return !model_->loading() && !showing_ && edits_->idle() && (!store_ || store_->pending() == 0);
}

void AnnotateView::cancelBackground()
{
    if (listing_) {
        listing_ = false;
        setBackgroundRunning({});
        Q_EMIT backgroundFinished(false, tr("Suggestions stopped."));
    }
    if (suggester_->isRunning())
        suggester_->cancel();
    if (job_)
        job_->cancel();
}

void AnnotateView::setBackgroundRunning(const QString& what)
{
    const bool on = !what.isEmpty();
    progress_->setVisible(on);
    cancel_->setVisible(on);
    progressLabel_->setText(what);
    progressLabel_->setVisible(on);
    if (on) {
        progress_->setRange(0, 0);
        progress_->setValue(0);
    }
}

void AnnotateView::runJob(const QString& title, std::function<QString(data::Workspace&, const data::Progress&)> work,
                          bool reloadAfter)
{
    if (!store_ || !store_->isOpen() || busy())
        return;
    setBackgroundRunning(title);
    job_ = DataJob::start(store_->dir(), std::move(work), this);
    connect(job_, &DataJob::progress, this, [this](qint64 done, qint64 total) {
        // Scaled to per mille: QProgressBar holds an int, and imports may pass two billion bytes.
        progress_->setRange(0, 1000);
        progress_->setValue(total > 0 ? static_cast<int>(done * 1000 / total) : 0);
    });
    connect(job_, &DataJob::finished, this, [this, reloadAfter](bool ok, bool cancelled, const QString& msg) {
        job_ = nullptr;
        setBackgroundRunning({});
        if (ok)
            message_->showInfo(msg);
        else if (cancelled)
            message_->showInfo(msg);
        else
            message_->showError(msg);
        if (ok && reloadAfter)
            reload();
        Q_EMIT backgroundFinished(ok, msg);
    });
}

void AnnotateView::importDialog()
{
    if (!store_ || !store_->isOpen() || busy())
        return;
    QMenu m(this);
    QAction* files = m.addAction(tr("Images or a dataset file…"));
    QAction* folder = m.addAction(tr("A folder of images, an imagefolder or a COCO/VQA export…"));
    QAction* withImages = m.addAction(tr("A dataset file whose images are elsewhere (LLaVA, COCO, VQA)…"));
    QAction* chosen = m.exec(mapToGlobal(rect().bottomRight() - QPoint(200, 80)));
    if (chosen == withImages) {
        const QStringList f = QFileDialog::getOpenFileNames(this, tr("Import a dataset file"), QDir::homePath(),
                                                            tr("LLaVA, COCO or VQA JSON, chat JSONL (*.json *.jsonl);;All files (*)"));
        if (f.isEmpty())
            return;
        const QString images = QFileDialog::getExistingDirectory(this, tr("The folder its image names refer to"),
                                                                 QFileInfo(f.front()).absolutePath());
        if (!images.isEmpty())
            startImport(f, {}, images);
    } else if (chosen == folder) {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Import a folder of images"), QDir::homePath());
        if (!d.isEmpty())
            startImport({d});
    } else if (chosen == files) {
        // Several at once: VQA comes as a questions and an annotations file.
        const QStringList f = QFileDialog::getOpenFileNames(
            this, tr("Import"), QDir::homePath(),
            tr("Datasets and images (*.json *.jsonl *.png *.jpg *.jpeg *.bmp *.webp *.gif *.tif *.tiff);;"
               "LLaVA, COCO or VQA JSON (*.json);;JSON lines: chat messages or the studio's own (*.jsonl);;All files (*)"));
        if (f.isEmpty())
            return;
        static const QStringList kImageExts{"png", "jpg", "jpeg", "bmp", "webp", "gif", "tif", "tiff"};
        const bool images = std::all_of(f.begin(), f.end(), [](const QString& p) {
            return kImageExts.contains(QFileInfo(p).suffix().toLower());
        });
        startImport(f, images ? "image" : QString());
    }
}

void AnnotateView::startImport(const QStringList& paths, const QString& format, const QString& imagesDir)
{
    const std::string images = imagesDir.toStdString();
    std::vector<std::string> ps;
    for (const auto& p : paths) ps.push_back(p.toStdString());
    const std::string fmt = format.toStdString();
    runJob(tr("Importing %1…").arg(paths.size() == 1 ? QFileInfo(paths.front()).fileName() : tr("%n file(s)", "", paths.size())),
           [ps, fmt, images](data::Workspace& ws, const data::Progress& progress) -> QString {
               data::ImportReport total;
               if (fmt == "image") {
                   // Image files: a draft sample of each, in one transaction.
                   data::Transaction tx(ws.database());
                   for (size_t i = 0; i < ps.size(); ++i) {
                       data::report(progress, static_cast<int64_t>(i), static_cast<int64_t>(ps.size()));
                       data::Sample s;
                       s.image = ws.storeImageFile(ps[i]).info;
                       s.source = "image:" + QFileInfo(QString::fromStdString(ps[i])).fileName().toStdString();
                       ws.insertInTransaction(s);
                       ++total.imported;
                   }
                   tx.commit();
               } else {
                   // As `embervlm data import`: all the files or none.
                   std::vector<std::string> written;
                   data::ImportOptions o;
                   o.newFilesOut = &written;
                   o.imagesDir = images;
                   data::Transaction tx(ws.database());
                   try {
                       for (const auto& step : data::planImport(ps, fmt)) {
                           const auto r = data::importStep(ws, step, o, progress);
                           total.imported += r.imported;
                           total.skipped += r.skipped;
                           total.warnings.insert(total.warnings.end(), r.warnings.begin(), r.warnings.end());
                       }
                       tx.commit();
                   } catch (...) {
                       std::error_code ec;
                       for (const auto& f : written) std::filesystem::remove(f, ec);
                       throw;
                   }
               }
               QString msg = QObject::tr("Imported %1 sample(s), skipped %2.").arg(total.imported).arg(total.skipped);
               if (!total.warnings.empty())
                   msg += QObject::tr(" %1 warning(s), first: %2")
                              .arg(total.warnings.size())
                              .arg(QString::fromStdString(total.warnings.front()));
               return msg;
           },
           true);
}

void AnnotateView::exportDialog()
{
    if (!store_ || !store_->isOpen() || busy())
        return;
    ExportDialog d(store_->dir() + "/exports", this);
    if (d.exec() != QDialog::Accepted || d.path().isEmpty())
        return;
    startExport(d.path(), d.format(), d.split());
}

void AnnotateView::startExport(const QString& path, const QString& format, int split)
{
    const std::string p = path.toStdString();
    const std::string fmt = format.toStdString();
    runJob(tr("Exporting to %1…").arg(QFileInfo(path).fileName()),
           [p, fmt, split](data::Workspace& ws, const data::Progress& progress) -> QString {
               data::ExportOptions o;
               if (split >= 0 && split <= 3)
                   o.filter.split = static_cast<data::Split>(split);
               data::ExportReport r;
               if (split == 4) {
                   r = data::exportSplits(ws, p, fmt, o, progress);
               } else {
                   QDir().mkpath(QFileInfo(QString::fromStdString(p)).absolutePath());
                   r = data::exportAs(ws, fmt, p, o, progress);
               }
               return QObject::tr("Exported %1 sample(s) to %2 (%3 skipped: the format cannot hold them).")
                   .arg(r.written)
                   .arg(QString::fromStdString(p))
                   .arg(r.skipped);
           },
           false);
}

} // namespace ember::studio
