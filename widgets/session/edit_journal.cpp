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

void appendToEditJournal(const QString& workspaceDir, const QList<FieldEdit>& edits)
{
    QFile f(editJournalPath(workspaceDir));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Append))
        throw std::runtime_error("cannot write " + f.fileName().toStdString() + ": " + f.errorString().toStdString());
    QByteArray lines;
    for (const FieldEdit& e : edits) {
        QJsonObject o{{"id", e.sampleId}, {"field", static_cast<int>(e.field)}, {"value", QJsonValue::fromVariant(e.value)}};
        lines += QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
    }
    if (f.write(lines) != lines.size() || !f.flush())
        throw std::runtime_error("cannot write " + f.fileName().toStdString() + ": " + f.errorString().toStdString());
    ::fsync(f.handle());   // a kill -9 (or power cut) after this keeps the edit
}

void clearEditJournal(const QString& workspaceDir) { QFile::remove(editJournalPath(workspaceDir)); }

QList<FieldEdit> readEditJournal(const QString& workspaceDir)
{
    QList<FieldEdit> out;
    QFile f(editJournalPath(workspaceDir));
    if (!f.open(QIODevice::ReadOnly))
        return out;
    while (!f.atEnd()) {
        const QJsonObject o = QJsonDocument::fromJson(f.readLine()).object();
        const int field = o.value("field").toInt(-1);
        if (field >= 0 && field < kFieldCount && o.value("id").toInteger() > 0)
            out.append({o.value("id").toInteger(), static_cast<SampleField>(field), o.value("value").toVariant()});
    }
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
