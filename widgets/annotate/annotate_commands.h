#pragma once
// Annotation edits as undoable commands. A command changes one field of one sample and writes
// it to the store at once (redo and undo both write), so nothing waits for a "save". Field
// values travel as QVariants so one command class serves every field.
#include "sample.h"

#include <QUndoCommand>
#include <QVariant>

namespace ember::studio {

enum class SampleField { Task, Caption, Robots, Reasoning, Subtasks, Qa, Split, Status };

// Robots: QVariantList of int; Reasoning: QStringList; Subtasks: QVariantList of
// [text, robot, order]; Qa: QVariantList of [question, answer]; Split, Status: int (enum value).
QVariant fieldValue(const ember::data::Sample& s, SampleField f);
void setFieldValue(ember::data::Sample& s, SampleField f, const QVariant& v);
QString fieldName(SampleField f);
// The rows of a Subtasks or Qa value that have `width` cells; a malformed row is passed over.
QList<QVariantList> tableRows(const QVariant& v, int width);

// Whoever owns the store: reads the sample, sets the field, updates it, refreshes the views.
class FieldWriter {
public:
    virtual ~FieldWriter() = default;
    virtual void writeField(qint64 sampleId, SampleField f, const QVariant& value) = 0;
};

class SetFieldCommand final : public QUndoCommand {
public:
    // mergeKey != 0: consecutive commands with the same key, sample and field become one undo
    // step (the editor gives each stretch of typing in one field its own key).
    SetFieldCommand(FieldWriter* writer, qint64 sampleId, SampleField f, QVariant before, QVariant after,
                    quint64 mergeKey = 0, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    int id() const override { return mergeKey_ ? 0x5a00 + static_cast<int>(field_) : -1; }
    bool mergeWith(const QUndoCommand* other) override;

    qint64 sampleId() const { return sampleId_; }
    SampleField field() const { return field_; }

private:
    FieldWriter* writer_;
    qint64 sampleId_;
    SampleField field_;
    QVariant before_, after_;
    quint64 mergeKey_;
};

} // namespace ember::studio
