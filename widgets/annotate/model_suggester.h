#pragma once
// "Suggest": asks the current model for robot labels (and, for a single sample, reasoning
// steps) and stores the answer in Suggestions. The model runs on EngineWorker's thread; this
// object only queues one sample at a time, so a batch never floods the worker's queue and a
// cancel stops after the sample running now.
#include "engine_worker.h"
#include "suggestions.h"
#include "workspace.h"

#include <QObject>

#include <deque>
#include <functional>

namespace ember::studio {

class StoreWorker;

class ModelSuggester final : public QObject {
    Q_OBJECT
public:
    ModelSuggester(EngineWorker* worker, Suggestions* suggestions, QObject* parent = nullptr);

    // Where samples and their image bytes are read (on the store worker's thread).
    void setStore(StoreWorker* store) { store_ = store; }
    // Robots, then reasoning steps (a short greedy generation) for one sample.
    void suggestOne(qint64 sampleId);
    // Robots only, one sample after another.
    void suggestBatch(const std::vector<int64_t>& ids);
    void cancel();
    bool isRunning() const { return !queue_.empty() || request_ != 0; }

Q_SIGNALS:
    void progress(int done, int total);
    void finished(int done, bool cancelled);
    void failed(const QString& message);

private:
    void next();
    // The sample's task and image bytes, read on the store worker; ok false when it is gone.
    void loadInput(qint64 id, std::function<void(bool ok, const ImageInput& img, const QString& task)> done);
    void onSelection(int request, const ember::RobotSelection& sel);
    void onGeneration(int request, const ember::GenerationResult& r);
    void onFailed(int request, const QString& msg);

    EngineWorker* worker_;
    Suggestions* suggestions_;
    StoreWorker* store_ = nullptr;
    ImageInput currentImage_;   // the sample being suggested for (its reasoning needs it again)
    QString currentTask_;
    std::deque<int64_t> queue_;
    qint64 current_ = 0;
    bool withReasoning_ = false;
    int request_ = 0;
    int done_ = 0, total_ = 0;
    Suggestion pending_;
};

} // namespace ember::studio
