#include "reliability_chart.h"

#include "loss_chart.h"
#include "metrics.h"
#include "qcustomplot_wrap.h"

#include <QVBoxLayout>

namespace ember::studio {

ReliabilityChart::ReliabilityChart(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this))
{
    setAccessibleName(tr("Reliability diagram"));
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(0, 0, 0, 0);
    lay->addWidget(plot_);
    // OpenGL stays off (QCustomPlot's default): LibTorch has crashed Qt OpenGL on software renderers.
    plot_->setBackground(palette().color(QPalette::Base));
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(
        0, 0, new QCPTextElement(plot_, tr("Reliability"), QFont(font().family(), font().pointSize(), QFont::Bold)));
    plot_->xAxis->setLabel(tr("confidence"));
    plot_->yAxis->setLabel(tr("accuracy"));
    for (auto* ax : {plot_->xAxis, plot_->yAxis}) {
        ax->setRange(0, 1);
        ax->setLabelColor(palette().color(QPalette::Text));
        ax->setTickLabelColor(palette().color(QPalette::Text));
        ax->grid()->setPen(QPen(palette().color(QPalette::Midlight), 1, Qt::DotLine));
    }
    QFont lf = font();
    lf.setPointSizeF(lf.pointSizeF() * 0.85);
    plot_->legend->setFont(lf);
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
}

void ReliabilityChart::setReports(const train::ClassificationReport* a, const train::ClassificationReport* b,
                                  const QString& nameA, const QString& nameB)
{
    plot_->clearPlottables();
    auto* diag = plot_->addGraph();
    diag->setData(QVector<double>{0, 1}, QVector<double>{0, 1});
    diag->setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DashLine));
    diag->setName(tr("perfect calibration"));
    const train::ClassificationReport* reps[2] = {a, b};
    const QString names[2] = {nameA, nameB};
    int shown = 0;
    for (int k = 0; k < 2; ++k) {
        const auto* r = reps[k];
        if (!r || r->binCount.empty())
            continue;
        const int bins = static_cast<int>(r->binCount.size());
        const double w = 1.0 / bins;
        auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        QVector<double> x, y;
        for (int i = 0; i < bins; ++i)
            if (r->binCount[i] > 0) {
                x.push_back((i + (b && a ? 0.25 + 0.5 * k : 0.5)) * w);
                y.push_back(r->binAccuracy[i]);
            }
        bars->setData(x, y, true);
        bars->setWidth(b && a ? w * 0.45 : w * 0.9);
        QColor c = curveColour(k);
        bars->setPen(QPen(c.darker(120)));
        c.setAlpha(150);
        bars->setBrush(c);
        bars->setName(names[k].isEmpty() ? tr("accuracy") : names[k] + tr(" (ECE %1)").arg(r->ece, 0, 'f', 3));
        ++shown;
    }
    plot_->legend->setVisible(shown > 0);
    plot_->replot();
}

} // namespace ember::studio
