#include "threshold_chart.h"

#include "plot_style.h"
#include "qcustomplot_wrap.h"

#include <QKeyEvent>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ember::studio {

namespace {
const QColor kAccepted(46, 139, 87);
const QColor kRejected(200, 50, 40);
const QColor kUnreached(150, 150, 150);
const QColor kThreshold(230, 120, 20);
constexpr int kGrabPixels = 8;   // how near the line a press must be to grab it (logical px)
} // namespace

ThresholdChart::ThresholdChart(QWidget* parent)
    : QWidget(parent)
    , plot_(new QCustomPlot(this))
{
    setFocusPolicy(Qt::StrongFocus);
    setAccessibleName(tr("Consistency score per step"));
    setToolTip(tr("Drag the orange line (or use Up/Down) to try another acceptance threshold"));
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(2, 2, 2, 2);
    lay->addWidget(plot_);
    // OpenGL stays off (QCustomPlot's default): LibTorch has crashed Qt OpenGL on software renderers.
    plot_->setFocusPolicy(Qt::NoFocus);
    plot_->setInteractions(QCP::Interactions());
    plot_->setBackground(palette().color(QPalette::Base));
    plot_->xAxis->setLabel(tr("reasoning step"));
    plot_->yAxis->setLabel(tr("consistency score"));
    plot_->yAxis->setRange(0, 1.0);
    QSharedPointer<QCPAxisTickerFixed> xt(new QCPAxisTickerFixed);
    xt->setTickStep(1.0);
    xt->setScaleStrategy(QCPAxisTickerFixed::ssNone);
    plot_->xAxis->setTicker(xt);
    styleAxes(plot_, palette());

    beyond_ = new QCPItemRect(plot_);
    beyond_->setPen(Qt::NoPen);
    beyond_->setBrush(QColor(128, 128, 128, 40));
    beyond_->setVisible(false);

    // graph 0: the score line; 1..3: accepted / rejected / not reached points.
    auto* line = plot_->addGraph();
    line->setPen(QPen(palette().color(QPalette::Text).lighter(150), 1.5));
    const QColor colours[] = {kAccepted, kRejected, kUnreached};
    for (const QColor& c : colours) {
        auto* g = plot_->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, c, c, 9));
    }
    current_ = new QCPItemStraightLine(plot_);
    current_->setPen(QPen(palette().color(QPalette::Highlight), 2, Qt::SolidLine));
    current_->setVisible(false);

    line_ = new QCPItemStraightLine(plot_);
    line_->setPen(QPen(kThreshold, 2.5, Qt::DashLine));
    label_ = new QCPItemText(plot_);
    label_->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    label_->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    label_->position->setTypeY(QCPItemPosition::ptPlotCoords);
    label_->setColor(kThreshold.darker(120));
    label_->setPadding(QMargins(2, 0, 4, 2));

    connect(plot_, &QCustomPlot::mousePress, this, &ThresholdChart::onPress);
    connect(plot_, &QCustomPlot::mouseMove, this, &ThresholdChart::onMove);
    connect(plot_, &QCustomPlot::mouseRelease, this, &ThresholdChart::onRelease);
    plot_->setMouseTracking(true);
    redraw();
}

void ThresholdChart::replot()
{
    if (plot_->isVisible())   // a hidden plot has no paint buffer; showEvent replots
        plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ThresholdChart::showEvent(QShowEvent* e)
{
    QWidget::showEvent(e);
    plot_->replot();
}

void ThresholdChart::setSteps(const std::vector<float>& scores, const std::vector<bool>& hasScore)
{
    scores_ = scores;
    hasScore_ = hasScore;
    redraw();
}

void ThresholdChart::clearSteps()
{
    scores_.clear();
    hasScore_.clear();
    stop_ = -1;
    redraw();
}

void ThresholdChart::setThreshold(double t)
{
    threshold_ = std::clamp(t, 0.0, 1.0);
    redraw();
}

void ThresholdChart::setStop(int stopStep, bool rejected)
{
    stop_ = stopStep;
    rejected_ = rejected;
    redraw();
}

void ThresholdChart::setCurrentStep(int step)
{
    current_->setVisible(step >= 0 && step < static_cast<int>(scores_.size()));
    current_->point1->setCoords(step, 0);
    current_->point2->setCoords(step, 1);
    replot();
}

void ThresholdChart::redraw()
{
    const int n = static_cast<int>(scores_.size());
    QVector<double> lx, ly, ax, ay, rx, ry, ux, uy;
    for (int i = 0; i < n; ++i) {
        if (!hasScore_[i])
            continue;
        lx << i;
        ly << scores_[i];
        if (stop_ >= 0 && i > stop_) {
            ux << i;
            uy << scores_[i];
        } else if (stop_ >= 0 && i == stop_ && rejected_) {
            rx << i;
            ry << scores_[i];
        } else {
            ax << i;
            ay << scores_[i];
        }
    }
    plot_->graph(0)->setData(lx, ly, true);
    plot_->graph(1)->setData(ax, ay, true);
    plot_->graph(2)->setData(rx, ry, true);
    plot_->graph(3)->setData(ux, uy, true);
    plot_->xAxis->setRange(-0.3, std::max(1, n - 1) + 0.3);
    line_->point1->setCoords(0, threshold_);
    line_->point2->setCoords(1, threshold_);
    label_->position->setCoords(1.0, threshold_);
    label_->setText(tr("threshold %1").arg(threshold_, 0, 'f', 2));
    beyond_->setVisible(stop_ >= 0 && stop_ < n - 1);
    beyond_->topLeft->setCoords(stop_ + 0.5, 1.0);
    beyond_->bottomRight->setCoords(n - 1 + 0.5, 0.0);
    replot();
}

QPoint ThresholdChart::pixelFor(double step, double score) const
{
    return QPoint(static_cast<int>(std::lround(plot_->xAxis->coordToPixel(step))),
                  static_cast<int>(std::lround(plot_->yAxis->coordToPixel(score))));
}

double ThresholdChart::thresholdForPixel(int y) const { return std::clamp(plot_->yAxis->pixelToCoord(y), 0.0, 1.0); }

void ThresholdChart::moveThreshold(double t, bool finished)
{
    t = std::clamp(std::round(t * 1000.0) / 1000.0, 0.0, 1.0);
    const bool changed = t != threshold_;
    threshold_ = t;
    if (changed) {
        redraw();
        Q_EMIT thresholdChanged(t);
    }
    if (finished)
        Q_EMIT thresholdDragFinished(t);
}

void ThresholdChart::onPress(QMouseEvent* e)
{
    if (e->button() != Qt::LeftButton)
        return;
    const QRect area = plot_->axisRect()->rect();
    const int ly = static_cast<int>(plot_->yAxis->coordToPixel(threshold_));
    const int py = static_cast<int>(e->position().y());
    if (std::abs(py - ly) <= kGrabPixels || area.contains(e->position().toPoint())) {
        dragging_ = true;
        setFocus(Qt::MouseFocusReason);
        moveThreshold(thresholdForPixel(py), false);
    }
}

void ThresholdChart::onMove(QMouseEvent* e)
{
    const int py = static_cast<int>(e->position().y());
    if (dragging_) {
        moveThreshold(thresholdForPixel(py), false);
        return;
    }
    const int ly = static_cast<int>(plot_->yAxis->coordToPixel(threshold_));
    plot_->setCursor(std::abs(py - ly) <= kGrabPixels ? Qt::SplitVCursor : Qt::ArrowCursor);
}

void ThresholdChart::onRelease(QMouseEvent* e)
{
    if (!dragging_)
        return;
    dragging_ = false;
    moveThreshold(thresholdForPixel(static_cast<int>(e->position().y())), true);
}

void ThresholdChart::keyPressEvent(QKeyEvent* e)
{
    double step = 0;
    switch (e->key()) {
    case Qt::Key_Up: step = 0.01; break;
    case Qt::Key_Down: step = -0.01; break;
    case Qt::Key_PageUp: step = 0.1; break;
    case Qt::Key_PageDown: step = -0.1; break;
    default: QWidget::keyPressEvent(e); return;
    }
    moveThreshold(threshold_ + step, true);
}

void ThresholdChart::focusInEvent(QFocusEvent* e)
{
    QWidget::focusInEvent(e);
    line_->setPen(QPen(kThreshold, 3.5, Qt::DashLine));
    replot();
}

void ThresholdChart::focusOutEvent(QFocusEvent* e)
{
    QWidget::focusOutEvent(e);
    line_->setPen(QPen(kThreshold, 2.5, Qt::DashLine));
    replot();
}

} // namespace ember::studio
