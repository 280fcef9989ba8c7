#pragma once
// The Annotate view's field edits on their way to the store. Typing is not one transaction per
// keystroke: a text field's edits wait until typing pauses (kPauseMs), the user leaves the field
// (flush()), or kMaxDelayMs passed since the first unsaved keystroke, then go as one write.
// Labels, split and status go at once. Each write first lands in the edit journal (fsync), so a
// kill -9 after it loses nothing; while another process (an import) holds the write lock, the
// write is tried again every kRetryMs, newer values of the same field replacing older ones.
#include "edit_journal.h"

#include <QObject>
#include <QTimer>

namespace ember::studio {

class StoreWorker;

class EditQueue final : public QObject {
    Q_OBJECT
public:
    static constexpr int kPauseMs = 400;
    static constexpr int kMaxDelayMs = 1000;
    static constexpr int kRetryMs = 300;

    explicit EditQueue(QObject* parent = nullptr);

    void setStore(StoreWorker* store);
    // typing: a keystroke in a text field (waits for a pause); else written at once.
    void edit(qint64 sampleId, SampleField field, const QVariant& value, bool typing);
    // Sends what waits now (the user left the field, or another sample is shown).
    void flush();
    // Sets the values waiting or in flight for s.id on s: a sample read from the store before
    // they are written shows what the user typed.
    void overlay(ember::data::Sample& s) const;
    // Nothing waiting and nothing in flight.
    bool idle() const { return pending_.isEmpty() && inFlight_.isEmpty(); }

Q_SIGNALS:
    // A write committed: these samples changed; robots: a label edit was among them.
    void saved(const QList<qint64>& sampleIds, bool robots);
    void failed(const QString& message);

private:
    void send();
    void onBusy();

    StoreWorker* store_ = nullptr;
    QList<FieldEdit> pending_;    // newest value per (sample, field), in first-edit order
    QList<FieldEdit> inFlight_;   // posted, not answered
    QTimer pause_;
    QTimer maxDelay_;
    QTimer retry_;
};

} // namespace ember::studio
