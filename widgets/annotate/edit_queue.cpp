#include "edit_queue.h"

#include "store_worker.h"
#include "workspace.h"

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

// The write's outcome as the worker saw it: busy keeps the edits for another try.
struct Outcome {
    bool busy = false;
    QString error;
};
} // namespace

EditQueue::EditQueue(QObject* parent)
    : QObject(parent)
{
    for (QTimer* t : {&pause_, &maxDelay_, &retry_})
        t->setSingleShot(true);
    pause_.setInterval(kPauseMs);
    maxDelay_.setInterval(kMaxDelayMs);
    retry_.setInterval(kRetryMs);
    connect(&pause_, &QTimer::timeout, this, &EditQueue::send);
    connect(&maxDelay_, &QTimer::timeout, this, &EditQueue::send);
    connect(&retry_, &QTimer::timeout, this, &EditQueue::send);
}

void EditQueue::setStore(StoreWorker* store)
{
    flush();
    store_ = store;
}

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

void EditQueue::overlay(data::Sample& s) const
{
    for (const QList<FieldEdit>* list : {&inFlight_, &pending_})
        for (const FieldEdit& e : *list)
            if (e.sampleId == s.id)
                setFieldValue(s, e.field, e.value);
}

void EditQueue::flush()
{
    if (!pending_.isEmpty())
        send();
}

void EditQueue::send()
{
    pause_.stop();
    maxDelay_.stop();
    if (pending_.isEmpty() || !inFlight_.isEmpty() || !store_) {
        if (!pending_.isEmpty() && !inFlight_.isEmpty())
            retry_.start();   // one write at a time keeps them in order; this one goes next
        return;
    }
    retry_.stop();
    inFlight_ = std::move(pending_);
    pending_.clear();
    const QList<FieldEdit> edits = inFlight_;
    store_->update<Outcome>(
        this,
        [edits](data::SampleStore& ws) {
            Outcome o;
            const QString dir = QString::fromStdString(ws.location());
            appendToEditJournal(dir, edits);
            try {
                applyEdits(ws, edits);
                clearEditJournal(dir);
            } catch (const data::DbError& e) {
                o.busy = e.busy;
                o.error = QString::fromUtf8(e.what());
                if (!o.busy)
                    clearEditJournal(dir);
            }
            return o;
        },
        [this](Outcome o) {
            QList<FieldEdit> sent = std::move(inFlight_);
            inFlight_.clear();
            if (o.busy) {
                // Newer edits made meanwhile replace the ones that could not be written.
                QList<FieldEdit> again = sent;
                for (const FieldEdit& e : pending_)
                    merge(again, e);
                pending_ = again;
                retry_.start();
                return;
            }
            if (!o.error.isEmpty()) {
                Q_EMIT failed(o.error);
            } else {
                QList<qint64> ids;
                bool robots = false;
                for (const FieldEdit& e : sent) {
                    if (!ids.contains(e.sampleId))
                        ids << e.sampleId;
                    robots = robots || e.field == SampleField::Robots;
                }
                Q_EMIT saved(ids, robots);
            }
            if (!pending_.isEmpty())
                send();
        },
        [this](const QString& message) {
            inFlight_.clear();
            Q_EMIT failed(message);
        });
}

} // namespace ember::studio
