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

namespace ember::studio {

class ModelSuggester final : public QObject {
    Q_OBJECT
public:
    ModelSuggester(EngineWorker* worker, Suggestions* suggestions, QObject* parent = nullptr);

    void setWorkspace(ember::data::Workspace* ws) { ws_ = ws; }
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
    bool loadInput(qint64 id, ImageInput* img, QString* task);
    void onSelection(int request, const ember::RobotSelection& sel);
    void onGeneration(int request, const ember::GenerationResult& r);
    void onFailed(int request, const QString& msg);

    EngineWorker* worker_;
    Suggestions* suggestions_;
    ember::data::Workspace* ws_ = nullptr;
    std::deque<int64_t> queue_;
    qint64 current_ = 0;
    bool withReasoning_ = false;
    int request_ = 0;
    int done_ = 0, total_ = 0;
    Suggestion pending_;
};

} // namespace ember::studio
