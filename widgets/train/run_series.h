#pragma once
// The metric curves of training runs, read incrementally from the workspace database. The
// database (not the trainer's pipe) is the source of truth, so a studio restarted mid-run
// re-attaches by reading the same rows. Plain data; no widgets.
#include <QHash>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ember::data {
class Workspace;
}

namespace ember::studio {

struct SeriesData {
    QVector<double> step, seconds, value;   // seconds since the run's first point
};

class RunSeries {
public:
    explicit RunSeries(qint64 runId = 0) : runId_(runId) {}
    qint64 runId() const { return runId_; }
    // Reads every point after the last one read (a resumed run rewrites the steps it repeats,
    // so the last step is read again). Returns true when something changed.
    bool poll(const ember::data::Workspace& ws);
    QStringList names() const { return series_.keys(); }
    const SeriesData* find(const QString& name) const;
    double last(const QString& name) const;   // NaN when none
    double min(const QString& name) const;

private:
    qint64 runId_;
    qint64 t0_ = -1;   // ms of the first point
    QHash<QString, SeriesData> series_;
};

// Debiased exponential moving average (as in Adam): ema_t = β ema_{t−1} + (1−β) x_t, reported
// as ema_t / (1 − β^t) so the first points are not pulled towards zero. β = 0 returns x.
QVector<double> debiasedEma(const QVector<double>& x, double beta);

} // namespace ember::studio
