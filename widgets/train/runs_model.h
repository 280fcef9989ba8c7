#pragma once
// The runs table of the Train view: one row per training run, newest first, the overlay tick in
// the first column. Fed whole snapshots by RunMonitor; never reads the database itself.
#include "run_monitor.h"

#include <QAbstractTableModel>
#include <QSet>

namespace ember::studio {

class RunsModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { ColRun, ColStage, ColStatus, ColSteps, ColLast, ColMin, ColBestVal, ColCount };
    static constexpr int kRunIdRole = Qt::UserRole;

    explicit RunsModel(QObject* parent = nullptr);

    // Replaces the rows (oldest first, as the snapshot has them). Returns true when the set of
    // runs changed (rows were added or removed), false when only their figures did.
    bool setRuns(const QVector<RunRow>& runs);
    void setOverlaid(const QSet<qint64>& ids);
    // The run this studio's own child process trains: "running" before its pid file exists.
    void setOwnRun(qint64 runId);

    const RunRow* run(qint64 id) const;
    const RunRow* rowAt(int row) const;
    int rowOf(qint64 id) const;   // -1 when absent
    const QVector<RunRow>& runs() const { return runs_; }   // oldest first
    QString statusText(const RunRow& r) const;   // finished | stopped | failed | running | interrupted | ...
    // Recorded as running, but no process trains it (killed): resumable like a stopped run.
    bool isInterrupted(const RunRow& r) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

Q_SIGNALS:
    void overlayToggled(qint64 runId, bool on);   // the user ticked or unticked a run

private:
    QString cell(const RunRow& r, int column) const;

    QVector<RunRow> runs_;   // oldest first; row 0 shows the last
    QSet<qint64> overlaid_;
    qint64 ownRun_ = 0;
};

} // namespace ember::studio
