#include "loss_chart.h"

#include "plot_style.h"
#include "qcustomplot_wrap.h"

#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace ember::studio {

QColor curveColour(int i)
{
    static const QColor c[] = {{31, 119, 180}, {214, 39, 40},  {44, 160, 44},  {255, 127, 14}, {148, 103, 189},
                               {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    return c[i % 10];
}

LossChart::LossChart(const QString& title, QWidget* parent)
    : QWidget(parent)
    , plot_(new QCustomPlot(this))
    , redraw_(new QTimer(this))
{
    setAccessibleName(title);
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(0, 0, 0, 0);
    lay->addWidget(plot_);
    // OpenGL stays off (QCustomPlot's default): LibTorch has crashed Qt OpenGL on software renderers.
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setBackground(palette().color(QPalette::Base));
    plot_->plotLayout()->insertRow(0);
    auto* t = new QCPTextElement(plot_, title, QFont(font().family(), font().pointSize(), QFont::Bold));
    t->setTextColor(palette().color(QPalette::Text));
    plot_->plotLayout()->addElement(0, 0, t);
    styleAxes(plot_, palette());
    plot_->xAxis->setLabel(tr("step"));
    plot_->legend->setVisible(true);
    QFont lf = font();
    lf.setPointSizeF(lf.pointSizeF() * 0.85);
    plot_->legend->setFont(lf);
    plot_->legend->setBrush(QColor(255, 255, 255, 200));
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    redraw_->setSingleShot(true);
    redraw_->setInterval(kRedrawMs);
    connect(redraw_, &QTimer::timeout, this, &LossChart::rebuild);
}

void LossChart::setCurves(const QVector<Curve>& curves)
{
    curves_ = curves;
    scheduleReplot();
}

void LossChart::setSmoothing(double beta)
{
    beta_ = beta;
    scheduleReplot();
}

void LossChart::setLogScale(bool on)
{
    log_ = on;
    plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on)
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    scheduleReplot();
}

void LossChart::setTimeAxis(bool on)
{
    time_ = on;
    plot_->xAxis->setLabel(on ? tr("time (s)") : tr("step"));
    scheduleReplot();
}

void LossChart::scheduleReplot()
{
    if (!redraw_->isActive())
        redraw_->start();
}

int LossChart::pointCount() const
{
    int n = 0;
    for (int i = 0; i < plot_->graphCount(); i += 2)
        n += plot_->graph(i)->dataCount();
    return n;
}

void LossChart::rebuild()
{
    plot_->clearGraphs();
    bool any = false;
    for (int i = 0; i < curves_.size(); ++i) {
        const Curve& c = curves_[i];
        if (c.data.value.isEmpty())
            continue;
        const QVector<double> x = time_ ? c.data.seconds : c.data.step;
        QVector<double> y = c.data.value, ys = debiasedEma(y, beta_);
        if (log_) {   // a log axis cannot show non-positive values (smoothed first, so no NaN spreads)
            for (auto* v : {&y, &ys})
                for (double& e : *v)
                    if (!(e > 0))
                        e = std::nan("");
        }
        const QColor col = curveColour(i);
        QColor faint = col;
        faint.setAlpha(60);
        auto* raw = plot_->addGraph();
        raw->setPen(QPen(faint, 1));
        raw->setData(x, y, true);
        raw->removeFromLegend();
        auto* smooth = plot_->addGraph();
        smooth->setPen(QPen(col, 1.8));
        smooth->setName(c.label);
        smooth->setData(x, ys, true);
        smooth->setLineStyle(x.size() == 1 ? QCPGraph::lsNone : QCPGraph::lsLine);
        smooth->setScatterStyle(x.size() == 1 ? QCPScatterStyle(QCPScatterStyle::ssDisc, 6) : QCPScatterStyle());
        any = true;
    }
    plot_->legend->setVisible(any);
    if (any) {
        plot_->rescaleAxes();
        const QCPRange r = plot_->yAxis->range();
        if (!log_)
            plot_->yAxis->setRange(r.lower - 0.05 * r.size() - 1e-9, r.upper + 0.05 * r.size() + 1e-9);
    }
    plot_->replot(QCustomPlot::rpQueuedReplot);
    ++replots_;
}

bool LossChart::savePng(const QString& path)
{
    if (redraw_->isActive()) {
        redraw_->stop();
        rebuild();
    }
    return plot_->savePng(path, 0, 0, 1.0);
}

bool LossChart::redrawPending() const { return redraw_->isActive(); }

} // namespace ember::studio
