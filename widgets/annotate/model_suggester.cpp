#include "model_suggester.h"

#include "sample.h"
#include "store_worker.h"

#include <QFile>

#include <algorithm>

namespace ember::studio {

namespace {
constexpr int kReasoningTokens = 96;   // enough for a few short steps from a small model
}

ModelSuggester::ModelSuggester(EngineWorker* worker, Suggestions* suggestions, QObject* parent)
    : QObject(parent)
    , worker_(worker)
    , suggestions_(suggestions)
{
    if (worker_) {
        connect(worker_, &EngineWorker::selectionFinished, this, &ModelSuggester::onSelection);
        connect(worker_, &EngineWorker::generationFinished, this, &ModelSuggester::onGeneration);
        connect(worker_, &EngineWorker::failed, this, &ModelSuggester::onFailed);
    }
}

void ModelSuggester::suggestOne(qint64 id)
{
    if (isRunning())
        return;
    withReasoning_ = true;
    queue_ = {id};
    done_ = 0;
    total_ = 1;
    next();
}

void ModelSuggester::suggestBatch(const std::vector<int64_t>& ids)
{
    if (isRunning())
        return;
    withReasoning_ = false;
    queue_.assign(ids.begin(), ids.end());
    done_ = 0;
    total_ = static_cast<int>(ids.size());
    next();
}

void ModelSuggester::cancel()
{
    const bool was = isRunning();
    queue_.clear();
    if (request_ > 0)
        worker_->cancel(request_);
    request_ = 0;   // also drops a sample still being read (-1)
    current_ = 0;
    if (was)
        Q_EMIT finished(done_, true);
}

void ModelSuggester::loadInput(qint64 id, std::function<void(bool, const ImageInput&, const QString&)> done)
{
    struct Input {
        bool ok = false;
        ImageInput image;
        QString task;
    };
    if (!store_) {
        done(false, {}, {});
        return;
    }
    store_->read<Input>(
        this,
        [id](ember::data::SampleStore& ws) {
            Input in;
            auto s = ws.get(id);
            if (!s)
                return in;
            in.task = QString::fromStdString(s->task);
            if (s->image.id == 0) {
                in.ok = !in.task.isEmpty();
                return in;
            }
            QFile f(QString::fromStdString(ws.absolutePath(s->image.path)));
            if (!f.open(QIODevice::ReadOnly))
                return in;
            in.image.bytes = f.readAll();
            in.image.sha256 = QString::fromStdString(s->image.hash);   // the store's content hash is the cache key
            in.ok = true;
            return in;
        },
        [done](Input in) { done(in.ok, in.image, in.task); }, [done](const QString&) { done(false, {}, {}); });
}

void ModelSuggester::next()
{
    if (queue_.empty()) {
        current_ = 0;
        Q_EMIT finished(done_, false);
        return;
    }
    current_ = queue_.front();
    queue_.pop_front();
    const qint64 id = current_;
    request_ = -1;   // reading the sample: running, not yet asked
    loadInput(id, [this, id](bool ok, const ImageInput& img, const QString& task) {
        if (request_ != -1 || current_ != id)
            return;   // cancelled meanwhile
        request_ = 0;
        if (!worker_ || !ok || task.trimmed().isEmpty()) {
            ++done_;   // nothing to ask the model about (no task, image gone): skipped
            Q_EMIT progress(done_, total_);
            next();
            return;
        }
        pending_ = {};
        currentImage_ = img;
        currentTask_ = task;
        request_ = worker_->selectRobot(img, task);
    });
}

void ModelSuggester::onSelection(int request, const ember::RobotSelection& sel)
{
    if (request != request_ || request == 0)
        return;
    request_ = 0;
    const auto& probs = sel.trace.answerProbs;
    pending_.probs = QVector<float>(probs.begin(), probs.end());
    pending_.confidence = probs.empty() ? 0.f : *std::max_element(probs.begin(), probs.end());
    if (sel.trace.answer >= 0)
        pending_.robots = {sel.trace.answer};
    if (withReasoning_) {
        ember::GenerationOptions o;
        o.maxNewTokens = kReasoningTokens;
        o.alternatives = 0;
        request_ = worker_->generate(currentImage_, QString::fromStdString(ember::reasoningPrompt(currentTask_.toStdString())), o);
        return;
    }
    suggestions_->set(current_, pending_);
    ++done_;
    Q_EMIT progress(done_, total_);
    next();
}

void ModelSuggester::onGeneration(int request, const ember::GenerationResult& r)
{
    if (request != request_ || request == 0)
        return;
    request_ = 0;
    for (const auto& st : ember::data::parseReasoning(r.text)) {
        const QString t = QString::fromStdString(st).trimmed();
        if (!t.isEmpty())
            pending_.reasoning << t;
    }
    suggestions_->set(current_, pending_);
    ++done_;
    Q_EMIT progress(done_, total_);
    next();
}

void ModelSuggester::onFailed(int request, const QString& msg)
{
    if (request != request_ || request == 0)
        return;
    request_ = 0;
    queue_.clear();
    Q_EMIT failed(msg);
    Q_EMIT finished(done_, false);
}

} // namespace ember::studio
