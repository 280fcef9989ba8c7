#include "studio_session.h"

#include "edit_journal.h"

#include <QFileInfo>

namespace ember::studio {

StudioSession::StudioSession(const QString& device, QObject* parent)
    : QObject(parent)
    , engine_(std::make_unique<EngineWorker>(device))
    , store_(std::make_unique<StoreWorker>())
{
    // Edits typed while another process held the write lock, then killed: applied at the next open.
    store_->setOpenHook([](ember::data::SampleStore& ws) { replayEditJournal(ws); });
    connect(store_.get(), &StoreWorker::opened, this, &StudioSession::storeOpened);
    connect(engine_.get(), &EngineWorker::modelLoaded, this, [this](int request, const ember::ModelInfo& info) {
        if (request != loadRequest_)
            return;   // an older load, overtaken
        loadRequest_ = 0;
        info_ = info;
        modelReady_ = true;
        Q_EMIT modelLoaded(info);
    });
    connect(engine_.get(), &EngineWorker::failed, this, [this](int request, const QString& message) {
        if (request != loadRequest_)
            return;   // a generation's failure is its view's to show
        loadRequest_ = 0;
        Q_EMIT modelFailed(loadingPath_, message);
    });
}

StudioSession::~StudioSession()
{
    engine_->shutdown();
    store_.reset();
}

bool StudioSession::openWorkspace(const QString& dir, QString* error)
{
    StudioWorkspace ws(dir);
    if (!ws.ensureLayout(error))
        return false;
    ws_ = ws;
    store_->open(ws_.dir());
    return true;
}

void StudioSession::loadCheckpoint(const QString& path)
{
    loadingPath_ = QFileInfo(path).absoluteFilePath();
    loadRequest_ = engine_->loadCheckpoint(loadingPath_);
}

void StudioSession::createRandomModel()
{
    loadingPath_ = ws_.defaultCheckpointPath();
    loadRequest_ = engine_->initRandom(QStringLiteral("base"), 0, loadingPath_);
}

} // namespace ember::studio
