#pragma once
// Reliability diagram: per confidence bin, the accuracy of the predictions in it, against the
// diagonal of perfect calibration. A second report (another checkpoint) is drawn beside it.
#include <QWidget>

class QCustomPlot;

namespace ember::train {
struct ClassificationReport;
}

namespace ember::studio {

class ReliabilityChart final : public QWidget {
    Q_OBJECT
public:
    explicit ReliabilityChart(QWidget* parent = nullptr);
    // b may be null (no comparison).
    void setReports(const ember::train::ClassificationReport* a, const ember::train::ClassificationReport* b,
                    const QString& nameA = {}, const QString& nameB = {});
    QCustomPlot* plot() const { return plot_; }

private:
    QCustomPlot* plot_;
};

} // namespace ember::studio
