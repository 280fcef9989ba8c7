#include "run_series.h"

#include "workspace.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ember::studio {

bool RunSeries::poll(const ember::data::Workspace& ws)
{
    bool changed = false;
    for (const std::string& n : ws.metricNames(runId_)) {
        const QString name = QString::fromStdString(n);
        SeriesData& s = series_[name];
        const qint64 from = s.step.isEmpty() ? 0 : static_cast<qint64>(s.step.back());
        const auto pts = ws.metrics(runId_, n, from);
        const int oldSize = s.step.size();
        const double oldLast = oldSize ? s.value.back() : 0.0;
        // Drop what is read again: the last step (and, after a resume, anything rewritten).
        while (!s.step.isEmpty() && s.step.back() >= from) {
            s.step.pop_back();
            s.seconds.pop_back();
            s.value.pop_back();
        }
        for (const auto& p : pts) {
            if (t0_ < 0)
                t0_ = p.time;
            s.step.push_back(static_cast<double>(p.step));
            s.seconds.push_back((p.time - t0_) / 1000.0);
            s.value.push_back(p.value);
        }
        changed = changed || s.step.size() != oldSize || (oldSize && s.value.back() != oldLast);
    }
    return changed;
}

const SeriesData* RunSeries::find(const QString& name) const
{
    auto it = series_.constFind(name);
    return it == series_.constEnd() ? nullptr : &it.value();
}

double RunSeries::last(const QString& name) const
{
    const auto* s = find(name);
    return s && !s->value.isEmpty() ? s->value.back() : std::numeric_limits<double>::quiet_NaN();
}

double RunSeries::min(const QString& name) const
{
    const auto* s = find(name);
    return s && !s->value.isEmpty() ? *std::min_element(s->value.begin(), s->value.end())
                                    : std::numeric_limits<double>::quiet_NaN();
}

QVector<double> debiasedEma(const QVector<double>& x, double beta)
{
    if (beta <= 0)
        return x;
    QVector<double> out;
    out.reserve(x.size());
    double ema = 0, power = 1;
    for (double v : x) {
        ema = beta * ema + (1 - beta) * v;
        power *= beta;
        out.push_back(ema / (1 - power));
    }
    return out;
}

} // namespace ember::studio
