#pragma once
// Reasoning: run robot selection on an image and a task, then step through the latent trace.
// The whole chain is computed once; moving the threshold re-applies the stopping rule
// (ember::applyThreshold) without running the model, and shows where the loop would stop and
// which robot it would pick. Beside it: the generated text reasoning and a Grad-CAM heat map.
#include "engine_worker.h"
#include "studio_workspace.h"

#include <QTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSplitter;
class QTreeWidget;

namespace ember::studio {

class CurrentImage;
class DistributionBars;
class ImagePane;
class MessageBar;
class SampleSource;
class ThresholdChart;

class ReasoningView final : public QWidget {
    Q_OBJECT
public:
    explicit ReasoningView(EngineWorker* worker, QWidget* parent = nullptr);

    void setWorkspace(const StudioWorkspace& ws);
    void setSampleSource(SampleSource* source);
    void setModelReady(bool ready);

    // Read and decoded off the GUI thread; currentImage() says changed() or refused().
    void openImageFile(const QString& path);
    CurrentImage* currentImage() const { return image_; }
    void setTask(const QString& task);
    void run();
    void setThreshold(double t);   // as if the user moved it
    void setCurrentStep(int step);
    void nextStep();
    void previousStep();

    bool exportJson(const QString& path, QString* error = nullptr) const;
    bool exportPng(const QString& path) ;

    bool isRunning() const { return selReq_ || textReq_ || camReq_; }
    bool hasSelection() const { return !sel_.chain.empty(); }
    const ember::RobotSelection& selection() const { return sel_; }
    const ember::ReasoningTrace& predicted() const { return trace_; }   // at the current threshold
    int predictedStopStep() const;
    int currentStep() const { return current_; }
    double threshold() const { return threshold_; }
    QString imagePath() const;

    ThresholdChart* chart() const { return chart_; }
    QLabel* predictionLabel() const { return prediction_; }
    QTreeWidget* stepList() const { return steps_; }
    QPushButton* runButton() const { return runButton_; }
    QPushButton* nextButton() const { return next_; }
    QPushButton* previousButton() const { return prev_; }
    QLineEdit* taskBox() const { return task_; }
    ImagePane* imagePane() const { return pane_; }
    MessageBar* messageBar() const { return message_; }
    QPlainTextEdit* reasoningText() const { return text_; }

Q_SIGNALS:
    void runningChanged(bool running);
    void predictionChanged(int stopStep, int answer);

private:
    void onSelection(int request, const ember::RobotSelection& s);
    void onToken(int request, const ember::StreamedToken& t);
    void onGenerationFinished(int request, const ember::GenerationResult& r);
    void onGradCam(int request, int robot, const QVector<float>& map, int rows, int cols);
    void onFailed(int request, const QString& message);
    void refresh();
    void showStep();
    void requestGradCam();
    void updateButtons();
    void finishedOne();
    void pickSample();
    QHBoxLayout* buildTaskRow();
    QWidget* buildImageSide(QWidget* parent);
    QWidget* buildTraceSide(QWidget* parent);
    QTreeWidget* buildStepList(QWidget* parent);
    QHBoxLayout* buildStepNavigation(QWidget* parent);
    QWidget* buildTextSide(QWidget* parent);
    void restoreSettings(QSplitter* split);
    void connectControls();
    void connectImage();
    void connectWorker();
    void exportJsonDialog();
    void exportPngDialog();

    EngineWorker* worker_;
    StudioWorkspace ws_;
    SampleSource* source_ = nullptr;
    bool modelReady_ = false;
    CurrentImage* image_ = nullptr;
    QString runTask_;
    ImageInput runImage_;
    int selReq_ = 0, textReq_ = 0, camReq_ = 0;
    ember::RobotSelection sel_;
    ember::ReasoningTrace trace_;
    double threshold_ = 0.5;
    int current_ = -1;
    int camRobot_ = -1;
    QString generated_;
    QTimer camDebounce_;

    MessageBar* message_;
    QLineEdit* task_;
    QPushButton* fromSample_;
    QPushButton* openImage_;
    QPushButton* runButton_;
    ImagePane* pane_;
    QComboBox* camRobot_Box_;
    QCheckBox* showCam_;
    ThresholdChart* chart_;
    QDoubleSpinBox* thresholdBox_;
    QLabel* prediction_;
    QTreeWidget* steps_;
    QPushButton* prev_;
    QPushButton* next_;
    QLabel* stepTitle_;
    DistributionBars* bars_;
    QPlainTextEdit* text_;
    QPushButton* exportJson_;
    QPushButton* exportPng_;
};

} // namespace ember::studio
