#pragma once
// Annotate: the sample list (lazy, filtered, sorted) on the left, the image fixed in the middle,
// the fields scrolling on the right. Every edit is a command on the view's QUndoStack; the edits
// reach the store through EditQueue (text once typing pauses, labels at once). Every read goes
// through the StoreWorker and every image decode through the ImageLoader: the GUI thread never
// touches the disk. Keyboard first; model suggestions; import and export.
#include "annotate_commands.h"
#include "engine_worker.h"
#include "sample_list_model.h"
#include "suggestions.h"
#include "workspace.h"

#include <QWidget>

#include <functional>

class QAction;
class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QListView;
class QProgressBar;
class QPushButton;
class QSplitter;
class QTimer;
class QUndoStack;

namespace ember::studio {

class DataJob;
class EditQueue;
class ImageLoader;
class ImagePane;
class StoreWorker;
class LabelBalanceChart;
class MessageBar;
class ModelSuggester;
class SampleEditor;

class AnnotateView final : public QWidget, private FieldWriter {
    Q_OBJECT
public:
    // worker may be nullptr (no Suggest).
    explicit AnnotateView(EngineWorker* worker, QWidget* parent = nullptr);
    ~AnnotateView() override;

    // The store worker (owned by the caller); the view follows its opened() signal. nullptr:
    // nothing to show.
    void setStore(StoreWorker* store);
    StoreWorker* store() const { return store_; }
    void setModelReady(bool ready);
    // Reads the list again (after imports, the demo world, other windows' writes).
    void reload();

    void next();
    void previous();
    void markReviewedAndNext();
    void goToRow(int row);
    // Shows sample id, clearing the filters when they hide it (Evaluate's click-through);
    // done(found) once the store answered.
    void openSample(qint64 id, std::function<void(bool found)> done = {});
    qint64 currentId() const { return currentId_; }
    int currentRow() const;
    void suggestCurrent();
    void suggestFiltered();      // every sample the filter lists, in the background
    void acceptSuggestion();
    void cancelBackground();
    void importDialog();
    void exportDialog();
    // Runs an import in the background (format as detectFormat names it); for tests and dialogs.
    // format "" detects each file's format; "image" makes one draft sample of each image file.
    // VQA's questions and annotations files chosen together are imported as one dataset;
    // imagesDir is where the files' image names are looked up first (`--images`).
    void startImport(const QStringList& paths, const QString& format = {}, const QString& imagesDir = {});
    void startExport(const QString& path, const QString& format, int split);   // split: -1 all

    // For tests.
    SampleListModel* listModel() const { return model_; }
    QListView* listView() const { return list_; }
    SampleEditor* editor() const { return editor_; }
    QUndoStack* undoStack() const { return undo_; }
    Suggestions* suggestions() const { return suggestions_; }
    ModelSuggester* suggester() const { return suggester_; }
    QLineEdit* searchBox() const { return search_; }
    QComboBox* splitFilter() const { return splitFilter_; }
    QComboBox* statusFilter() const { return statusFilter_; }
    QComboBox* robotFilter() const { return robotFilter_; }
    QCheckBox* disagreeFilter() const { return disagree_; }
    QComboBox* sortBox() const { return sort_; }
    QLabel* countLabel() const { return count_; }
    QLabel* positionLabel() const { return position_; }
    LabelBalanceChart* balanceChart() const { return chart_; }
    MessageBar* messageBar() const { return message_; }
    ImagePane* imagePane() const { return pane_; }
    ImageLoader* imageLoader() const { return loader_; }
    EditQueue* editQueue() const { return edits_; }
    bool busy() const;
    // Nothing on its way: the list, the current sample, its image and every edit have arrived
    // (tests and benchmarks wait for this; the view itself never does).
    bool settled() const;

Q_SIGNALS:
    void currentSampleChanged(qint64 id);
    // The current sample's fields and picture are shown (its picture may be none).
    void sampleShown(qint64 id);
    void backgroundFinished(bool ok, const QString& message);

protected:
    void keyPressEvent(QKeyEvent* e) override;

private:
    void writeField(qint64 sampleId, SampleField f, const QVariant& value) override;
    QHBoxLayout* buildFilterBar();
    void connectFilters();
    QSplitter* buildPanes();
    QWidget* buildListColumn(QWidget* parent);
    QHBoxLayout* buildActionRow();
    void connectSuggestions();
    void buildActions();
    void applyFilter();
    void onCurrentChanged();
    void showSample(qint64 id);
    void showImage(const QString& path, int request);
    void onStoreOpened();
    void onListLoaded();
    void updatePosition();
    void updateChart();
    void runJob(const QString& title, std::function<QString(ember::data::Workspace&, const ember::data::Progress&)> work,
                bool reloadAfter);
    void setBackgroundRunning(const QString& what);

    EngineWorker* worker_;
    StoreWorker* store_ = nullptr;
    ImageLoader* loader_;
    EditQueue* edits_;
    int showRequest_ = 0;        // the newest showSample(); older answers are dropped
    bool showing_ = false;       // a showSample() waits for the store or the image
    int chartRequest_ = 0;
    bool listing_ = false;       // "Suggest for list" is reading the ids it will ask about
    Suggestions* suggestions_;
    SampleListModel* model_;
    ModelSuggester* suggester_;
    QUndoStack* undo_;
    qint64 currentId_ = 0;
    bool modelReady_ = false;
    DataJob* job_ = nullptr;

    QLineEdit* search_;
    QComboBox* splitFilter_;
    QComboBox* statusFilter_;
    QComboBox* robotFilter_;
    QCheckBox* disagree_;
    QComboBox* sort_;
    QLabel* count_;
    QListView* list_;
    QLabel* position_;
    LabelBalanceChart* chart_;
    ImagePane* pane_;
    SampleEditor* editor_;
    MessageBar* message_;
    QPushButton* suggestBtn_;
    QPushButton* batchBtn_;
    QProgressBar* progress_;
    QPushButton* cancel_;
    QLabel* progressLabel_;
    QTimer* searchTimer_;
    QTimer* chartTimer_;
};

} // namespace ember::studio
