#include "annotate_commands.h"

#include <QCoreApplication>
#include <QStringList>

namespace ember::studio {

namespace data = ember::data;

QList<QVariantList> tableRows(const QVariant& v, int width)
{
    QList<QVariantList> rows;
    for (const QVariant& x : v.toList())
        if (QVariantList t = x.toList(); t.size() == width)
            rows << std::move(t);
    return rows;
}

QVariant fieldValue(const data::Sample& s, SampleField f)
{
    switch (f) {
    case SampleField::Task:
        return QString::fromStdString(s.task);
    case SampleField::Caption:
        return QString::fromStdString(s.caption);
    case SampleField::Robots: {
        QVariantList l;
        for (int r : s.robots)
            l << r;
        return l;
    }
    case SampleField::Reasoning: {
        QStringList l;
        for (const auto& st : s.reasoning)
            l << QString::fromStdString(st);
        return l;
    }
    case SampleField::Subtasks: {
        QVariantList l;
        for (const auto& st : s.subtasks)
            l << QVariant(QVariantList{QString::fromStdString(st.text), st.robot, st.order});
        return l;
    }
    case SampleField::Qa: {
        QVariantList l;
        for (const auto& qa : s.qa)
            l << QVariant(QVariantList{QString::fromStdString(qa.question), QString::fromStdString(qa.answer)});
        return l;
    }
    case SampleField::Split:
        return static_cast<int>(s.split);
    case SampleField::Status:
        return static_cast<int>(s.status);
    }
    return {};
}

void setFieldValue(data::Sample& s, SampleField f, const QVariant& v)
{
    switch (f) {
    case SampleField::Task:
        s.task = v.toString().toStdString();
        break;
    case SampleField::Caption:
        s.caption = v.toString().toStdString();
        break;
    case SampleField::Robots: {
        std::vector<int> r;
        for (const QVariant& x : v.toList())
            r.push_back(x.toInt());
        s.robots = data::normalizeRobots(r);
        break;
    }
    case SampleField::Reasoning:
        s.reasoning.clear();
        for (const QString& x : v.toStringList())
            s.reasoning.push_back(x.toStdString());
        break;
    case SampleField::Subtasks:
        s.subtasks.clear();
        for (const QVariantList& t : tableRows(v, 3))
            s.subtasks.push_back({t[0].toString().toStdString(), t[1].toInt(), t[2].toInt()});
        break;
    case SampleField::Qa: {
        // The table shows question and answer only: a pair keeps its VQA id, types and human
        // answers while its question stays (wherever its row moves), so editing loses none.
        std::vector<data::QaPair> old = std::move(s.qa);
        std::vector<bool> used(old.size(), false);
        s.qa.clear();
        for (const QVariantList& t : tableRows(v, 2)) {
            data::QaPair p;
            p.question = t[0].toString().toStdString();
            for (size_t k = 0; k < old.size(); ++k)
                if (!used[k] && old[k].question == p.question) {
                    p = old[k];
                    used[k] = true;
                    break;
                }
            p.answer = t[1].toString().toStdString();
            s.qa.push_back(std::move(p));
        }
        break;
    }
    case SampleField::Split:
        s.split = static_cast<data::Split>(v.toInt());
        break;
    case SampleField::Status:
        s.status = static_cast<data::Status>(v.toInt());
        break;
    }
}

QString fieldName(SampleField f)
{
    static const char* names[] = {QT_TRANSLATE_NOOP("Annotate", "task"),      QT_TRANSLATE_NOOP("Annotate", "caption"),
                                  QT_TRANSLATE_NOOP("Annotate", "robots"),    QT_TRANSLATE_NOOP("Annotate", "reasoning"),
                                  QT_TRANSLATE_NOOP("Annotate", "subtasks"),  QT_TRANSLATE_NOOP("Annotate", "questions"),
                                  QT_TRANSLATE_NOOP("Annotate", "split"),     QT_TRANSLATE_NOOP("Annotate", "status")};
    return QCoreApplication::translate("Annotate", names[static_cast<int>(f)]);
}

SetFieldCommand::SetFieldCommand(FieldWriter* writer, qint64 sampleId, SampleField f, QVariant before, QVariant after,
                                 quint64 mergeKey, QUndoCommand* parent)
    : QUndoCommand(parent)
    , writer_(writer)
    , sampleId_(sampleId)
    , field_(f)
    , before_(std::move(before))
    , after_(std::move(after))
    , mergeKey_(mergeKey)
{
    setText(QCoreApplication::translate("Annotate", "edit %1 of #%2").arg(fieldName(f)).arg(sampleId));
}

void SetFieldCommand::redo() { writer_->writeField(sampleId_, field_, after_); }
void SetFieldCommand::undo() { writer_->writeField(sampleId_, field_, before_); }

bool SetFieldCommand::mergeWith(const QUndoCommand* other)
{
    const auto* o = static_cast<const SetFieldCommand*>(other);
    if (o->mergeKey_ != mergeKey_ || o->sampleId_ != sampleId_ || o->field_ != field_)
        return false;
    after_ = o->after_;
    return true;
}

} // namespace ember::studio
