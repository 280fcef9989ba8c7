#include "plot_style.h"

#include "qcustomplot_wrap.h"

#include <QPalette>

namespace ember::studio {

void styleAxes(QCustomPlot* plot, const QPalette& palette)
{
    for (auto* ax : {plot->xAxis, plot->yAxis}) {
        ax->setLabelColor(palette.color(QPalette::Text));
        ax->setTickLabelColor(palette.color(QPalette::Text));
        ax->setBasePen(QPen(palette.color(QPalette::Mid)));
        ax->setTickPen(QPen(palette.color(QPalette::Mid)));
        ax->setSubTickPen(QPen(palette.color(QPalette::Mid)));
        ax->grid()->setPen(QPen(palette.color(QPalette::Midlight), 1, Qt::DotLine));
    }
}

} // namespace ember::studio
