#include "edit_queue.h"

#include "sample_store.h"
#include "sqlite_db.h"
#include "store_worker.h"

#include <QMetaObject>
#include <QPointer>

namespace ember::studio {

namespace data = ember::data;

namespace {
// The newest value of each (sample, field) wins; a field keeps its place in the order.
void merge(QList<FieldEdit>& into, const FieldEdit& e)
{
    for (FieldEdit& x : into)
        if (x.sampleId == e.sampleId && x.field == e.field) {
            x.value = e.value;
            return;
        }
    into.append(e);
}

// The write's outcome as the worker saw it: busy keeps the batch for another try.
struct Outcome {
    bool busy = false;
    QString error;
};
} // namespace

EditQueue::EditQueue(QObject* parent)
    : QObject(parent)
{
    journal_.setMaxThreadCount(1);
    for (QTimer* t : {&pause_, &maxDelay_, &retry_})
        t->setSingleShot(true);
    pause_.setInterval(kPauseMs);
    maxDelay_.setInterval(kMaxDelayMs);
    retry_.setInterval(kRetryMs);
    connect(&pause_, &QTimer::timeout, this, &EditQueue::send);
    connect(&maxDelay_, &QTimer::timeout, this, &EditQueue::send);
    connect(&retry_, &QTimer::timeout, this, &EditQueue::pump);
}

EditQueue::~EditQueue() { journal_.waitForDone(); }

void EditQueue::setStore(StoreWorker* store)
{
    flush();
    store_ = store;
    dir_ = store ? store->dir() : QString();
}

void EditQueue::reset()
{
    // Calls posted to the store before it opened another workspace ran there, but their answers
    // are dropped: what was not confirmed stays in that workspace's journal.
    retry_.stop();
    batches_.clear();
    pending_.clear();
    inFlight_ = false;
    dir_ = store_ ? store_->dir() : QString();
}

bool EditQueue::idle() const { return pending_.isEmpty() && batches_.empty() && journal_.activeThreadCount() == 0; }

void EditQueue::edit(qint64 sampleId, SampleField field, const QVariant& value, bool typing)
{
    merge(pending_, {sampleId, field, value});
    if (!typing) {
        send();
        return;
    }
    pause_.start();
    if (!maxDelay_.isActive())
        maxDelay_.start();
}

void EditQueue::flush()
{
    if (!pending_.isEmpty())
        send();
}

void EditQueue::overlay(data::Sample& s) const
{
    for (const Batch& b : batches_)
        for (const FieldEdit& e : b.edits)
            if (e.sampleId == s.id)
                setFieldValue(s, e.field, e.value);
    for (const FieldEdit& e : pending_)
        if (e.sampleId == s.id)
            setFieldValue(s, e.field, e.value);
}

// What waits becomes a batch: journalled at once (its own thread), then queued for the store.
void EditQueue::send()
{
    pause_.stop();
    maxDelay_.stop();
    if (pending_.isEmpty() || !store_)
        return;
    Batch b{nextBatch_++, std::move(pending_)};
    pending_.clear();
    const QString dir = dir_;
    QPointer<EditQueue> self(this);
    journal_.start([dir, b, self] {
        try {
            appendToEditJournal(dir, b.edits, b.number);
        } catch (const std::exception& e) {
            const QString message = QString::fromUtf8(e.what());
            QMetaObject::invokeMethod(self.data(), [self, message] {
                if (self)
                    Q_EMIT self->failed(message);
            }, Qt::QueuedConnection);
        }
    });
    batches_.push_back(std::move(b));
    pump();
}

// The head batch to the store, one at a time so that batches land in order.
void EditQueue::pump()
{
    if (inFlight_ || batches_.empty() || !store_)
        return;
    inFlight_ = true;
    const QList<FieldEdit> edits = batches_.front().edits;
    store_->update<Outcome>(
        this,
        [edits](data::SampleStore& store) {
            Outcome o;
            try {
                applyEdits(store, edits);
            } catch (const data::DbError& e) {
                o.busy = e.busy;
                o.error = QString::fromUtf8(e.what());
            }
            return o;
        },
        [this](Outcome o) {
            inFlight_ = false;
            if (o.busy) {
                retry_.start();   // the batch stays at the head, journalled
                return;
            }
            const Batch b = std::move(batches_.front());
            batches_.pop_front();
            if (!o.error.isEmpty())
                Q_EMIT failed(o.error);
            written(b);
            pump();
        },
        [this](const QString& message) {
            // The store could not run it at all: the batch stays in the journal for the next open.
            inFlight_ = false;
            batches_.pop_front();
            Q_EMIT failed(message);
            pump();
        });
}

void EditQueue::written(const Batch& b)
{
    const bool last = batches_.empty() && pending_.isEmpty() && b.number == nextBatch_ - 1;
    const QString dir = dir_;
    const qint64 number = b.number;
    journal_.start([dir, number, last] {
        try {
            markEditsWritten(dir, number, last);
        } catch (const std::exception&) {
            // The batch is in the store: replaying it once more at the next open is harmless.
        }
    });
    QList<qint64> ids;
    bool robots = false;
    for (const FieldEdit& e : b.edits) {
        if (!ids.contains(e.sampleId))
            ids << e.sampleId;
        robots = robots || e.field == SampleField::Robots;
    }
    Q_EMIT saved(ids, robots);
}

} // namespace ember::studio
