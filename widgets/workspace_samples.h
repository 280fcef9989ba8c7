#pragma once
// The views' sample hooks on top of the datasets store: Ask's "Add to dataset" becomes a draft
// sample (image stored in the workspace, question/answer as a QA pair, source "ask"), and
// Reasoning's "From sample…" picks a task from the store in a searchable list.
#include "sample_hooks.h"
#include "workspace.h"

#include <QObject>

namespace ember::studio {

class WorkspaceSamples final : public QObject, public SampleSink, public SampleSource {
    Q_OBJECT
public:
    using QObject::QObject;
    void setWorkspace(ember::data::Workspace* ws) { ws_ = ws; }

    QString addDraftSample(const DraftSample& sample) override;
    std::optional<TaskSample> pickTaskSample(QWidget* parent) override;

    qint64 lastAddedId() const { return lastAdded_; }

Q_SIGNALS:
    void sampleAdded(qint64 id);

private:
    ember::data::Workspace* ws_ = nullptr;
    qint64 lastAdded_ = 0;
};

} // namespace ember::studio
