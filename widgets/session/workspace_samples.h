#pragma once
// The views' sample hooks on top of the store worker (nothing waits on the GUI thread): Ask's "Add to dataset" becomes a draft
// sample (image stored in the workspace, question/answer as a QA pair, source "ask"), and
// Reasoning's "From sample…" picks a task from the store in a searchable list.
#include "sample_hooks.h"

#include <QObject>

namespace ember::studio {

class StoreWorker;

class WorkspaceSamples final : public QObject, public SampleSink, public SampleSource {
    Q_OBJECT
public:
    using QObject::QObject;
    void setStore(StoreWorker* store) { store_ = store; }

    void addDraftSample(const DraftSample& sample, std::function<void(const QString& error)> done) override;
    void pickTaskSample(QWidget* parent, std::function<void(const TaskSample& task)> chosen) override;

    qint64 lastAddedId() const { return lastAdded_; }

Q_SIGNALS:
    void sampleAdded(qint64 id);

private:
    StoreWorker* store_ = nullptr;
    qint64 lastAdded_ = 0;
};

} // namespace ember::studio
