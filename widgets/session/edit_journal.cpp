#include "edit_journal.h"

#include "sample_store.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <map>

#include <unistd.h>

namespace ember::studio {

namespace data = ember::data;

namespace {
// The field's enum value, not its (translated) name: the journal is read by any build's language.
constexpr int kFieldCount = static_cast<int>(SampleField::Status) + 1;
}

QString editJournalPath(const QString& workspaceDir) { return workspaceDir + "/edits-pending.jsonl"; }

namespace {
void appendLines(const QString& workspaceDir, const QByteArray& lines)
{
    QFile f(editJournalPath(workspaceDir));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Append) || f.write(lines) != lines.size() || !f.flush())
        throw std::runtime_error("cannot write " + f.fileName().toStdString() + ": " + f.errorString().toStdString());
    ::fsync(f.handle());   // a kill -9 (or power cut) after this keeps the edit
}
} // namespace

void appendToEditJournal(const QString& workspaceDir, const QList<FieldEdit>& edits, qint64 batch)
{
    QByteArray lines;
    for (const FieldEdit& e : edits) {
        QJsonObject o{{"batch", batch}, {"id", e.sampleId}, {"field", static_cast<int>(e.field)},
                      {"value", QJsonValue::fromVariant(e.value)}};
        lines += QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
    }
    appendLines(workspaceDir, lines);
}

void markEditsWritten(const QString& workspaceDir, qint64 batch, bool last)
{
    if (last)
        clearEditJournal(workspaceDir);   // nothing after this batch: the journal has done its job
    else
        appendLines(workspaceDir, QJsonDocument(QJsonObject{{"written", batch}}).toJson(QJsonDocument::Compact) + '\n');
}

void clearEditJournal(const QString& workspaceDir) { QFile::remove(editJournalPath(workspaceDir)); }

QList<FieldEdit> readEditJournal(const QString& workspaceDir)
{
    struct Line {
        qint64 batch;
        FieldEdit edit;
    };
    QList<Line> lines;
    qint64 written = 0;   // batches are written to the store in order: all up to this one are in it
    QFile f(editJournalPath(workspaceDir));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    while (!f.atEnd()) {
        const QJsonObject o = QJsonDocument::fromJson(f.readLine()).object();
        if (o.contains("written")) {
            written = std::max(written, o.value("written").toInteger());
            continue;
        }
        const int field = o.value("field").toInt(-1);
        if (field >= 0 && field < kFieldCount && o.value("id").toInteger() > 0)
            lines.append({o.value("batch").toInteger(),
                          {o.value("id").toInteger(), static_cast<SampleField>(field), o.value("value").toVariant()}});
    }
    QList<FieldEdit> out;
    for (const Line& l : lines)
        if (l.batch > written)
            out.append(l.edit);
    return out;
}

int applyEdits(data::SampleStore& store, const QList<FieldEdit>& edits)
{
    if (edits.isEmpty())
        return 0;
    std::map<qint64, std::optional<data::Sample>> samples;   // each sample read and written once
    for (const FieldEdit& e : edits) {
        auto it = samples.find(e.sampleId);
        if (it == samples.end())
            it = samples.emplace(e.sampleId, store.get(e.sampleId)).first;
        if (it->second)
            setFieldValue(*it->second, e.field, e.value);
    }
    std::vector<data::Sample> changed;
    for (auto& [id, s] : samples)
        if (s)
            changed.push_back(std::move(*s));
    store.updateMany(changed);   // one transaction
    return static_cast<int>(changed.size());
}

int replayEditJournal(data::SampleStore& store)
{
    const QString dir = QString::fromStdString(store.location());
    const QList<FieldEdit> edits = readEditJournal(dir);
    const int n = applyEdits(store, edits);
    clearEditJournal(dir);
    return n;
}

} // namespace ember::studio
