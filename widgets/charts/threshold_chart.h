#pragma once
// Consistency score per reasoning step (QCustomPlot), with the acceptance threshold as a line the
// user drags (mouse) or nudges (Up/Down, Page Up/Down). It only draws and reports the threshold;
// the Reasoning view recomputes the stop from the stored chain.
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPItemStraightLine;
class QCPItemText;
class QCPItemRect;
class QMouseEvent;

namespace ember::studio {

class ThresholdChart final : public QWidget {
    Q_OBJECT
public:
    explicit ThresholdChart(QWidget* parent = nullptr);

    // scores[i] for step i; step 0 has none (hasScore[0] == false).
    void setSteps(const std::vector<float>& scores, const std::vector<bool>& hasScore);
    void clearSteps();
    void setThreshold(double t);   // does not emit
    double threshold() const { return threshold_; }
    // Steps [0, stopStep] were reached; the loop stopped at stopStep (rejected when `rejected`).
    void setStop(int stopStep, bool rejected);
    void setCurrentStep(int step);

    QCustomPlot* plot() const { return plot_; }
    // Plot-widget pixel positions, for tests and hit testing.
    QPoint pixelFor(double step, double score) const;
    double thresholdForPixel(int y) const;

    QSize sizeHint() const override { return {420, 220}; }
    QSize minimumSizeHint() const override { return {240, 150}; }

Q_SIGNALS:
    void thresholdChanged(double t);      // while dragging, and after key presses
    void thresholdDragFinished(double t);

protected:
    void keyPressEvent(QKeyEvent* e) override;
    void focusInEvent(QFocusEvent* e) override;
    void focusOutEvent(QFocusEvent* e) override;
    void showEvent(QShowEvent* e) override;

private:
    void onPress(QMouseEvent* e);
    void onMove(QMouseEvent* e);
    void onRelease(QMouseEvent* e);
    void moveThreshold(double t, bool finished);
    void redraw();
    void replot();

    QCustomPlot* plot_;
    QCPItemStraightLine* line_ = nullptr;
    QCPItemText* label_ = nullptr;
    QCPItemRect* beyond_ = nullptr;
    QCPItemStraightLine* current_ = nullptr;
    std::vector<float> scores_;
    std::vector<bool> hasScore_;
    double threshold_ = 0.5;
    int stop_ = -1;
    bool rejected_ = false;
    bool dragging_ = false;
};

} // namespace ember::studio
