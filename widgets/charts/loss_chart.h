#pragma once
// One live chart of training curves (QCustomPlot): for each (run, metric) a faint raw line and
// its debiased-EMA smoothing on top. Data may arrive at any rate; the plot is redrawn at most
// once per kRedrawMs by a single-shot timer (PlotJuggler's coalescing).
#include "run_series.h"

#include <QWidget>

class QCustomPlot;
class QTimer;

namespace ember::studio {

class LossChart final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kRedrawMs = 50;

    explicit LossChart(const QString& title, QWidget* parent = nullptr);

    // The chart keeps its own copy of each curve's points (implicitly shared, so copying costs
    // three reference counts): it never points into storage its caller may free or rebuild.
    struct Curve {
        qint64 runId;
        QString metric;
        QString label;
        SeriesData data;
    };
    void setCurves(const QVector<Curve>& curves);
    void setSmoothing(double beta);
    void setLogScale(bool on);
    void setTimeAxis(bool on);   // x: seconds since the run began instead of the step

    // Asks for a redraw; many requests within kRedrawMs make one replot.
    void scheduleReplot();
    int replotCount() const { return replots_; }
    bool redrawPending() const;   // a coalesced redraw is scheduled
    int pointCount() const;    // raw points plotted (tests)
    bool savePng(const QString& path);
    QCustomPlot* plot() const { return plot_; }

private:
    void rebuild();

    QCustomPlot* plot_;
    QTimer* redraw_;
    QVector<Curve> curves_;
    double beta_ = 0.6;
    bool log_ = false, time_ = false;
    int replots_ = 0;
};

// A stable colour per curve index.
QColor curveColour(int i);

} // namespace ember::studio
