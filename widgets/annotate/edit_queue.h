#pragma once
// The Annotate view's field edits on their way to the store. Typing is not one transaction per
// keystroke: a text field's edits wait until typing pauses (kPauseMs), the user leaves the field
// (flush()), or kMaxDelayMs passed since the first unsaved keystroke, then go as one batch.
// Labels, split and status go at once. Each batch is first appended to the edit journal and
// synced, on a thread of its own, so a kill -9 after that loses nothing even while the store is
// busy; batches then reach the store in order, one transaction each. While another process (an
// import) holds the write lock, the batch at the head is tried again every kRetryMs.
#include "edit_journal.h"

#include <QObject>
#include <QThreadPool>
#include <QTimer>

#include <deque>

namespace ember::data {
struct Sample;
}

namespace ember::studio {

class StoreWorker;

class EditQueue final : public QObject {
    Q_OBJECT
public:
    static constexpr int kPauseMs = 400;
    static constexpr int kMaxDelayMs = 1000;
    static constexpr int kRetryMs = 300;

    explicit EditQueue(QObject* parent = nullptr);
    ~EditQueue() override;   // the journal's appends finish first

    void setStore(StoreWorker* store);
    // The store opened another workspace: nothing of the old one is followed any more.
    void reset();
    // typing: a keystroke in a text field (waits for a pause); else written at once.
    void edit(qint64 sampleId, SampleField field, const QVariant& value, bool typing);
    // Sends what waits now (the user left the field, or another sample is shown).
    void flush();
    // Sets the values not yet in the store on s (waiting, journalled or in flight), oldest first:
    // a sample read from the store before they are written shows what the user typed.
    void overlay(ember::data::Sample& s) const;
    // Nothing waiting, nothing on its way to the journal or the store.
    bool idle() const;

Q_SIGNALS:
    // A batch committed: these samples changed; robots: a label edit was among them.
    void saved(const QList<qint64>& sampleIds, bool robots);
    void failed(const QString& message);

private:
    struct Batch {
        qint64 number = 0;
        QList<FieldEdit> edits;
    };
    void send();
    void pump();
    void written(const Batch& b);

    StoreWorker* store_ = nullptr;
    QString dir_;                   // the store's folder, where the journal lives
    QList<FieldEdit> pending_;      // newest value per (sample, field), in first-edit order
    std::deque<Batch> batches_;     // journalled, not yet in the store; the head may be in flight
    bool inFlight_ = false;
    qint64 nextBatch_ = 1;
    QThreadPool journal_;           // one thread: appends in the order sent
    QTimer pause_;
    QTimer maxDelay_;
    QTimer retry_;
};

} // namespace ember::studio
