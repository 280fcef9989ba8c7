#pragma once
// Class balance of the robot labels among the listed samples: one horizontal bar per robot.
#include <QWidget>

#include <cstdint>
#include <vector>

class QCustomPlot;
class QCPBars;

namespace ember::studio {

class LabelBalanceChart final : public QWidget {
    Q_OBJECT
public:
    explicit LabelBalanceChart(QWidget* parent = nullptr);
    void setCounts(const std::vector<int64_t>& perRobot);
    const std::vector<int64_t>& counts() const { return counts_; }
    QSize sizeHint() const override { return {260, 150}; }

private:
    QCustomPlot* plot_;
    QCPBars* bars_;
    std::vector<int64_t> counts_;
};

} // namespace ember::studio
