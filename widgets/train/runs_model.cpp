#include "runs_model.h"
#include "trainer_protocol.h"

#include <cmath>

namespace ember::studio {

namespace data = ember::data;

namespace {

QString fmt(double v) { return std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'g', 4); }

bool sameNumber(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Everything a row's cells show.
bool sameFigures(const RunRow& a, const RunRow& b)
{
    return a.name == b.name && a.stage == b.stage && a.status == b.status && a.config == b.config && a.notes == b.notes &&
           a.livePid == b.livePid && a.steps == b.steps && sameNumber(a.lastLoss, b.lastLoss) &&
           sameNumber(a.minLoss, b.minLoss) && sameNumber(a.bestValLoss, b.bestValLoss);
}

} // namespace

RunsModel::RunsModel(QObject* parent) : QAbstractTableModel(parent) {}

bool RunsModel::setRuns(const QVector<RunRow>& runs)
{
    bool sameRuns = runs.size() == runs_.size();
    for (int i = 0; sameRuns && i < runs.size(); ++i)
        sameRuns = runs[i].id == runs_[i].id;
    if (!sameRuns) {
        beginResetModel();
        runs_ = runs;
        endResetModel();
        return true;
    }
    // Only the rows that changed: a finished run's never does, and each change makes the view
    // measure its cells again (the columns fit their contents).
    for (int i = 0; i < runs.size(); ++i) {
        const bool same = sameFigures(runs[i], runs_[i]);
        runs_[i] = runs[i];   // its checkpoints too, which no cell shows
        if (same)
            continue;
        const int row = rowOf(runs[i].id);
        Q_EMIT dataChanged(index(row, 0), index(row, ColCount - 1));
    }
    return false;
}

void RunsModel::setOverlaid(const QSet<qint64>& ids)
{
    if (ids == overlaid_)
        return;
    overlaid_ = ids;
    if (!runs_.isEmpty())
        Q_EMIT dataChanged(index(0, ColRun), index(rowCount() - 1, ColRun), {Qt::CheckStateRole});
}

void RunsModel::setOwnRun(qint64 runId) { ownRun_ = runId; }

const RunRow* RunsModel::rowAt(int row) const
{
    return row >= 0 && row < runs_.size() ? &runs_[runs_.size() - 1 - row] : nullptr;
}

int RunsModel::rowOf(qint64 id) const
{
    for (int i = 0; i < runs_.size(); ++i)
        if (runs_[i].id == id)
            return runs_.size() - 1 - i;
    return -1;
}

const RunRow* RunsModel::run(qint64 id) const { return rowAt(rowOf(id)); }

QString RunsModel::statusText(const RunRow& r) const
{
    if (r.status != data::RunStatus::Running)
        return QString::fromStdString(ember::train::protocol::statusWord(r.status));
    return isInterrupted(r) ? QStringLiteral("interrupted") : QStringLiteral("running");
}

bool RunsModel::isInterrupted(const RunRow& r) const
{
    return r.status == data::RunStatus::Running && !r.livePid && !(ownRun_ && r.id == ownRun_);
}

int RunsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : static_cast<int>(runs_.size()); }

int RunsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColCount; }

QString RunsModel::cell(const RunRow& r, int column) const
{
    switch (column) {
    case ColRun: return tr("#%1%2").arg(r.id).arg(r.name.isEmpty() ? QString() : " " + r.name);
    case ColStage: return QString::number(r.stage);
    case ColStatus: return statusText(r);
    case ColSteps: return QString::number(r.steps);
    case ColLast: return fmt(r.lastLoss);
    case ColMin: return fmt(r.minLoss);
    case ColBestVal: return fmt(r.bestValLoss);
    default: return {};
    }
}

QVariant RunsModel::data(const QModelIndex& index, int role) const
{
    const RunRow* r = index.isValid() ? rowAt(index.row()) : nullptr;
    if (!r)
        return {};
    switch (role) {
    case Qt::DisplayRole: return cell(*r, index.column());
    case Qt::CheckStateRole:
        if (index.column() == ColRun)
            return overlaid_.contains(r->id) ? Qt::Checked : Qt::Unchecked;
        return {};
    case Qt::ToolTipRole:
        if (index.column() == ColRun)
            return r->config;
        if (index.column() == ColStatus && !r->notes.isEmpty())
            return r->notes;
        return {};
    case kRunIdRole: return r->id;
    default: return {};
    }
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char* const names[ColCount] = {QT_TR_NOOP("Run"),       QT_TR_NOOP("Stage"),    QT_TR_NOOP("Status"),
                                                QT_TR_NOOP("Steps"),     QT_TR_NOOP("Last loss"), QT_TR_NOOP("Min loss"),
                                                QT_TR_NOOP("Best val. loss")};
    return section >= 0 && section < ColCount ? tr(names[section]) : QVariant();
}

Qt::ItemFlags RunsModel::flags(const QModelIndex& index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == ColRun)
        f |= Qt::ItemIsUserCheckable;
    return f;
}

bool RunsModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    const RunRow* r = index.isValid() ? rowAt(index.row()) : nullptr;
    if (!r || role != Qt::CheckStateRole || index.column() != ColRun)
        return false;
    const bool on = value.toInt() == Qt::Checked;
    if (on != overlaid_.contains(r->id))
        Q_EMIT overlayToggled(r->id, on);   // the view decides; setOverlaid() follows
    return true;
}

} // namespace ember::studio
