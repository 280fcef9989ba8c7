#pragma once
// The studio's window: navigation between views, the File menu, the status bar with the model,
// and the workspace (a folder) the views work in. All model work goes through EngineWorker.
#include "engine.h"
#include "studio_session.h"
#include "studio_workspace.h"

#include <QMainWindow>

#include <memory>

class QHBoxLayout;
class QLabel;
class QListWidget;
class QMenu;
class QStackedWidget;

namespace ember::data {
class Workspace;
}

namespace ember::studio {

class AnnotateView;
class AskView;
class DataJob;
class WorkspaceSamples;
class StoreWorker;
class StudioSession;
struct StoreState;
class EngineWorker;
class MessageBar;
class ReasoningView;
class TrainView;
class ScreenshotRun;
class EvaluateView;

struct StudioOptions {
    QString workspace;    // empty: the last one used, else the default workspace
    QString checkpoint;   // empty: the workspace's (created with random weights when it has none)
    QString screenshot;   // render the window after loading and exit
    QString view;         // ask | reasoning | annotate | train | evaluate
    QSize size;           // window size for screenshots (default 1280×800)
    QString device = QStringLiteral("cpu");
    QString image;        // open this image in the Ask or Reasoning view first
    QString prompt;       // the question (Ask) or task (Reasoning) a screenshot run submits
};

class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const StudioOptions& options, QWidget* parent = nullptr);
    ~MainWindow() override;

    enum View { Ask, Reasoning, Annotate, Train, Evaluate };
    void showView(int view);
    int currentView() const;

    bool openWorkspace(const QString& dir);
    void openCheckpoint(const QString& path);
    // The dialog's file, on a worker thread: timm or Hugging Face GPT-2 weights (safetensors or a
    // PyTorch .pt/.bin) are converted onto the open model into models/ first, then loaded.
    void openOrImportCheckpoint(const QString& path);

    // For tests.
    AskView* askView() const { return ask_; }
    ReasoningView* reasoningView() const { return reasoning_; }
    AnnotateView* annotateView() const { return annotate_; }
    TrainView* trainView() const { return train_; }
    EvaluateView* evaluateView() const { return evaluate_; }
    WorkspaceSamples* workspaceSamples() const { return samples_; }
    // The workspace's store, read and written on its own thread.
    StoreWorker* store() const { return session_->store(); }
    bool demoRunning() const { return demoJob_ != nullptr; }
    EngineWorker* worker() const { return session_->engine(); }
    StudioSession* session() const { return session_; }
    MessageBar* messageBar() const { return message_; }
    const StudioWorkspace& workspace() const { return session_->workspace(); }
    bool modelReady() const { return session_->modelReady(); }
    const ember::ModelInfo& modelInfo() const { return session_->modelInfo(); }
    QString statusText() const;   // the status bar's permanent labels, joined
    // Help > About: version, Qt, LibTorch, oneDNN, the CPU path, the log file.
    QString aboutText() const;
    // The first start's way out of random weights: the demo recipe in the Train view; its model
    // is loaded in Ask and Reasoning when it finishes.
    bool trainDemoModel();

Q_SIGNALS:
    void modelChanged(const ember::ModelInfo& info);
    void modelLoadFailed(const QString& message);
    void screenshotSaved(const QString& path, bool ok);
    void demoFinished(bool ok);

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    // The constructor's steps, in this order: the frame, the navigation, the views and their
    // wiring, menus, status bar, the engine's signals, the saved layout, the first workspace.
    QHBoxLayout* buildFrame(QWidget* central);   // the message bar above; returns the body row
    void buildNavigation(QWidget* central);
    void buildViews(QWidget* central);
    void connectViews();
    void connectEngine();
    void restoreLayout();
    void openStartupWorkspace();
    void buildMenus();
    void offerDemoTraining();
    void buildStatusBar();
    void onModelLoaded(const ember::ModelInfo& info);
    void onFailed(const QString& path, const QString& message);
    void updateStatus();
    void addRecent(const QString& key, const QString& path);
    void rebuildRecentMenu();
    void newWorkspaceDialog();
    void openWorkspaceDialog();
    void openCheckpointDialog();
    void saveLayout();
    void onStoreOpened(const StoreState& state);
    void startDemoWorld();

    StudioOptions options_;
    // The workspace, its store worker, the engine worker and the checkpoint (widgets/session/).
    StudioSession* session_;
    // A workspace problem stays on screen until another workspace opens: loading a model must not
    // hide that the samples are missing because their database could not be read.
    QString workspaceProblem_;
    ScreenshotRun* screenshot_ = nullptr;   // a --screenshot run only

    QListWidget* nav_;
    QStackedWidget* stack_;
    AskView* ask_;
    ReasoningView* reasoning_;
    AnnotateView* annotate_;
    TrainView* train_;
    EvaluateView* evaluate_;
    WorkspaceSamples* samples_;
    DataJob* demoJob_ = nullptr;
    MessageBar* message_;
    QMenu* recentMenu_;
    QLabel* modelLabel_;
    QLabel* paramsLabel_;
    QLabel* threadsLabel_;
    QLabel* weightsLabel_;
    QLabel* workspaceLabel_;
};

} // namespace ember::studio
