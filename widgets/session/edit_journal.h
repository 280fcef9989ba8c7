#pragma once
// Field edits that are on their way to the store, kept in <workspace>/edits-pending.jsonl until
// their transaction commits (EditQueue writes it on a thread of its own, in order). An import holds the workspace's write lock for its whole
// transaction (all of it or nothing), so an annotator's edit may have to wait minutes for it;
// the journal makes that edit survive a kill -9 meanwhile: the next open applies what is left.
// Never on the GUI thread.
#include "annotate_commands.h"

#include <QList>
#include <QString>
#include <QVariant>

namespace ember::data {
class SampleStore;
}

namespace ember::studio {

struct FieldEdit {
    qint64 sampleId = 0;
    SampleField field = SampleField::Task;
    QVariant value;
};

QString editJournalPath(const QString& workspaceDir);
// Appends the edits of one batch (one JSON line each) and syncs them to the disk before returning.
void appendToEditJournal(const QString& workspaceDir, const QList<FieldEdit>& edits, qint64 batch);
// Batch (and every one before it: batches reach the store in order) is in the store; last: no
// batch came after it, and the journal is removed.
void markEditsWritten(const QString& workspaceDir, qint64 batch, bool last);
void clearEditJournal(const QString& workspaceDir);
// The edits of the batches not marked written, in order; malformed lines are passed over.
QList<FieldEdit> readEditJournal(const QString& workspaceDir);
// Applies every edit in one transaction (a sample that is gone is passed over), in the order
// written, and removes the journal. Returns how many samples changed; throws DbError (busy when
// the lock is still held: the journal stays for the next try).
int applyEdits(ember::data::SampleStore& ws, const QList<FieldEdit>& edits);
int replayEditJournal(ember::data::SampleStore& ws);

} // namespace ember::studio
