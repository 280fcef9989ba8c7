#pragma once
// The look the studio's QCustomPlot charts share, so that charts side by side match the palette.
class QCustomPlot;
class QPalette;

namespace ember::studio {

// Both axes: labels and tick labels in the text colour, axis and tick lines in Mid, and a
// dotted Midlight grid.
void styleAxes(QCustomPlot* plot, const QPalette& palette);

} // namespace ember::studio
