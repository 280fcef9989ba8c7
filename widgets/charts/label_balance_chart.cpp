#include "label_balance_chart.h"

#include "qcustomplot_wrap.h"
#include "sample.h"

#include <QVBoxLayout>

#include <algorithm>

namespace ember::studio {

LabelBalanceChart::LabelBalanceChart(QWidget* parent)
    : QWidget(parent)
    , plot_(new QCustomPlot(this))
{
    setAccessibleName(tr("Robot label balance"));
    setToolTip(tr("How many of the listed samples carry each robot label"));
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(0, 0, 0, 0);
    lay->addWidget(plot_);
    // OpenGL stays off (QCustomPlot's default): LibTorch has crashed Qt OpenGL on software renderers.
    plot_->setInteractions(QCP::Interactions());
    plot_->setBackground(palette().color(QPalette::Base));
    plot_->axisRect()->setAutoMargins(QCP::msLeft | QCP::msBottom);
    plot_->axisRect()->setMargins(QMargins(0, 4, 8, 0));
    bars_ = new QCPBars(plot_->yAxis, plot_->xAxis);   // horizontal: keys on the vertical axis
    bars_->setBrush(QColor(90, 120, 200));
    bars_->setPen(Qt::NoPen);
    bars_->setWidth(0.7);
    QSharedPointer<QCPAxisTickerText> t(new QCPAxisTickerText);
    for (int i = 0; i < ember::data::robotCount(); ++i)
        t->addTick(i, QString::fromStdString(ember::data::robotName(i)));
    plot_->yAxis->setTicker(t);
    plot_->yAxis->setRangeReversed(true);
    plot_->yAxis->setRange(-0.6, ember::data::robotCount() - 0.4);
    plot_->yAxis->grid()->setVisible(false);
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 0.85);
    plot_->yAxis->setTickLabelFont(f);
    plot_->xAxis->setTickLabelFont(f);
}

void LabelBalanceChart::setCounts(const std::vector<int64_t>& perRobot)
{
    counts_ = perRobot;
    QVector<double> keys, values;
    double mx = 1;
    for (size_t i = 0; i < perRobot.size(); ++i) {
        keys << static_cast<double>(i);
        values << static_cast<double>(perRobot[i]);
        mx = std::max(mx, static_cast<double>(perRobot[i]));
    }
    bars_->setData(keys, values, true);
    plot_->xAxis->setRange(0, mx * 1.08);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace ember::studio
