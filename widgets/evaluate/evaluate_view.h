#pragma once
// Evaluate: run a checkpoint (optionally two, side by side) on a split in a worker thread and
// show the figures that lead back to the data: metrics, a confusion heat map whose cells list
// their samples (double-click opens one in Annotate), a reliability diagram and a per-sample
// table sortable by loss and confidence.
#include "evaluate.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QHBoxLayout;
class QTableWidget;

namespace ember::studio {

class ConfusionMap;
class DataJob;
class MessageBar;
class ReliabilityChart;

class EvaluateView final : public QWidget {
    Q_OBJECT
public:
    explicit EvaluateView(QWidget* parent = nullptr);
    ~EvaluateView() override;

    void setWorkspace(const QString& dir);
    void refreshCheckpoints();   // the workspace's training checkpoints
    // Starts the evaluation in the background; compareWith may be empty.
    bool evaluate(const QString& checkpoint, const QString& split, const QString& compareWith = {});
    bool isRunning() const;
    void cancel();

    // The class of a sample's row in the confusion matrix: its prediction when that is one of
    // its labels, else its first label (evaluate.cpp's rule).
    static int confusionRow(const ember::train::SampleResult& s);
    // Samples of cell (truth, predicted) of report A, as the cell click lists them.
    QList<qint64> samplesInCell(int truth, int predicted) const;
    QList<qint64> listedSamples() const;     // the list under the matrix
    QList<qint64> selectedTableSamples() const;

    const std::optional<ember::train::EvalReport>& reportA() const { return a_; }
    const std::optional<ember::train::EvalReport>& reportB() const { return b_; }
    ConfusionMap* confusionMap() const { return matrix_; }
    QTableWidget* metricsTable() const { return metrics_; }
    // Image vs grey image (blind), side by side, for report A.
    QTableWidget* relianceTable() const { return reliance_; }
    QCheckBox* textMetricsBox() const { return withText_; }
    QTableWidget* sampleTable() const { return samples_; }
    QListWidget* cellList() const { return cell_; }
    QComboBox* checkpointBox() const { return ckA_; }
    QComboBox* compareBox() const { return ckB_; }
    QComboBox* splitBox() const { return split_; }

Q_SIGNALS:
    void evaluationFinished(bool ok, const QString& message);
    void openSampleRequested(qint64 sampleId);
    // The checkpoint lists were read again (on a pool thread; refreshCheckpoints() returns at once).
    void checkpointsRefreshed();

private:
    void showCheckpoints(QStringList paths, const QString& error);
    QHBoxLayout* buildToolbar();
    QComboBox* addCheckpointCombo(QHBoxLayout* bar, const QString& label, const QString& tip);
    QHBoxLayout* buildProgressRow();
    QWidget* buildFigures(QWidget* parent);
    QWidget* buildNumbers(QWidget* parent);
    QWidget* buildConfusion(QWidget* parent);
    QTableWidget* buildSampleTable(QWidget* parent);
    void connectSignals();
    void onProgress(qint64 done, qint64 total);
    void onFinished(const QString& error, std::optional<ember::train::EvalReport> a,
                    std::optional<ember::train::EvalReport> b);
    void showReports();
    void fillMetrics();
    void fillReliance();
    void fillSamples();
    void onCell(int truth, int predicted);
    QString labelOf(int c) const;

    QString wsDir_;
    QPointer<DataJob> job_;   // set while an evaluation runs
    std::optional<ember::train::EvalReport> a_, b_;

    MessageBar* message_;
    QComboBox* ckA_;
    QComboBox* ckB_;
    QComboBox* split_;
    QPushButton* run_;
    QPushButton* cancelBtn_;
    QProgressBar* progress_;
    QLabel* summary_;
    QCheckBox* withText_;
    QTableWidget* metrics_;
    QTableWidget* reliance_;
    ConfusionMap* matrix_;
    QListWidget* cell_;
    QLabel* cellTitle_;
    ReliabilityChart* reliability_;
    QTableWidget* samples_;
};

} // namespace ember::studio
