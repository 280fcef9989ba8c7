#pragma once
// The open workspace and what works on it, owned in one place: the folder (StudioWorkspace),
// the store worker (its database on its own thread), the engine worker (the model on its own
// thread) and the checkpoint the engine holds or is loading. The main window owns one session
// and hands each view the part it works with; no view reaches another for them.
#include "engine_worker.h"
#include "store_worker.h"
#include "studio_workspace.h"

#include <QObject>
#include <QString>

#include <memory>

namespace ember::studio {

class StudioSession final : public QObject {
    Q_OBJECT
public:
    // device: "cpu", "cuda", or empty for CUDA when available (EngineWorker).
    explicit StudioSession(const QString& device, QObject* parent = nullptr);
    // The engine stops first; the store worker then writes what was posted to it and ends.
    ~StudioSession() override;

    EngineWorker* engine() const { return engine_.get(); }
    StoreWorker* store() const { return store_.get(); }
    const StudioWorkspace& workspace() const { return ws_; }

    // Creates the folder's layout (images/, models/, conversations/, the demo image) and opens
    // its store on the store worker; storeOpened() follows. False with *error when the folder
    // cannot be written (the open workspace stays).
    bool openWorkspace(const QString& dir, QString* error);

    // The checkpoint at path, or a new random base model saved as the workspace's
    // models/random-base.safetensors; modelLoaded() or modelFailed() follows.
    void loadCheckpoint(const QString& path);
    void createRandomModel();
    bool modelReady() const { return modelReady_; }
    const ember::ModelInfo& modelInfo() const { return info_; }
    bool loading() const { return loadRequest_ != 0; }
    const QString& loadingPath() const { return loadingPath_; }

    // Ends a generation and joins the engine's thread (the window closes).
    void shutdownEngine() { engine_->shutdown(); }

Q_SIGNALS:
    void storeOpened(const ember::studio::StoreState& state);
    void modelLoaded(const ember::ModelInfo& info);
    // A load asked for through this session failed; the model loaded before stays.
    void modelFailed(const QString& path, const QString& message);

private:
    std::unique_ptr<EngineWorker> engine_;
    std::unique_ptr<StoreWorker> store_;
    StudioWorkspace ws_;
    ember::ModelInfo info_;
    bool modelReady_ = false;
    int loadRequest_ = 0;
    QString loadingPath_;
};

} // namespace ember::studio
