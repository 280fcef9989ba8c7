#pragma once
// Field edits that are on their way to the store, kept in <workspace>/edits-pending.jsonl until
// their transaction commits. An import holds the workspace's write lock for its whole
// transaction (all of it or nothing), so an annotator's edit may have to wait minutes for it;
// the journal makes that edit survive a kill -9 meanwhile: the next open applies what is left.
// Runs on the store worker's thread.
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
// Appends the edits (one JSON line each) and flushes them to the disk before returning.
void appendToEditJournal(const QString& workspaceDir, const QList<FieldEdit>& edits);
void clearEditJournal(const QString& workspaceDir);
QList<FieldEdit> readEditJournal(const QString& workspaceDir);   // malformed lines are passed over
// Applies every edit in one transaction (a sample that is gone is passed over), in the order
// written, and removes the journal. Returns how many samples changed; throws DbError (busy when
// the lock is still held: the journal stays for the next try).
int applyEdits(ember::data::SampleStore& ws, const QList<FieldEdit>& edits);
int replayEditJournal(ember::data::SampleStore& ws);

} // namespace ember::studio
