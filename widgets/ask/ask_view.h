#pragma once
// Ask: an image beside a conversation about it. Answers stream token by token from the engine
// worker; Stop, Regenerate, sampling controls, token alternatives on hover, colour by probability.
#include "conversation_view.h"
#include "engine_worker.h"
#include "studio_workspace.h"

#include <QElapsedTimer>
#include <QThreadPool>
#include <QWidget>

class QCheckBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QSplitter;

namespace ember::studio {

class CurrentImage;
class ImagePane;
class MessageBar;
class SampleSink;

class AskView final : public QWidget {
    Q_OBJECT
public:
    AskView(EngineWorker* worker, QWidget* parent = nullptr);

    void setWorkspace(const StudioWorkspace& ws);
    void setSampleSink(SampleSink* sink);   // nullptr: "Add to dataset" disabled
    void setModelReady(bool ready);

    // Each returns false and shows a message when the image is refused; the current one stays.
    // Read and decoded off the GUI thread; currentImage() says changed() or refused().
    void openImageFile(const QString& path);
    CurrentImage* currentImage() const { return image_; }
    bool setPastedImage(const QImage& image);

    void ask(const QString& question);
    void stop();
    void regenerate();
    void newConversation();

    bool isGenerating() const { return active_ != 0; }
    QString imagePath() const;
    QString imageSha256() const;
    ember::GenerationOptions options() const;
    void setOptions(const ember::GenerationOptions& o);

    // For tests and the main window.
    ConversationView* conversation() const { return conv_; }
    QLineEdit* questionBox() const { return question_; }
    QPushButton* sendButton() const { return send_; }
    QPushButton* stopButton() const { return stop_; }
    QPushButton* regenerateButton() const { return regen_; }
    QPushButton* addToDatasetButton() const { return addSample_; }
    ImagePane* imagePane() const { return pane_; }
    MessageBar* messageBar() const { return message_; }

Q_SIGNALS:
    void generatingChanged(bool generating);
    void answerFinished(const QString& stopReason);
    void imageChanged(const QString& path);

private:
    void onToken(int request, const ember::StreamedToken& t);
    void onFinished(int request, const ember::GenerationResult& r);
    void onFailed(int request, const QString& message);
    void start(const QString& question);
    void endTurn(double msFirst, double tps, const QString& reason);
    void updateButtons();
    void saveConversation();
    void loadConversation();
    void addToDataset();
    void saveSettings() const;
    void restoreSettings(QSplitter* split);
    void showImageName(const QImage& shown);
    QWidget* buildImageSide(QWidget* parent);
    QGroupBox* buildSamplingBox(QWidget* parent);
    QWidget* buildConversationSide(QWidget* parent);
    void connectControls();
    void connectImage();
    void connectWorker();

    EngineWorker* worker_;
    StudioWorkspace ws_;
    QThreadPool files_;             // one thread: conversation files in the order asked
    int conversationRequest_ = 0;   // the newest load; older answers are dropped
    SampleSink* sink_ = nullptr;
    bool modelReady_ = false;
    int active_ = 0;               // request id of the generation streaming now
    QElapsedTimer clock_;
    double msFirst_ = -1;
    CurrentImage* image_ = nullptr;

    ImagePane* pane_;
    QLabel* imageName_;
    ConversationView* conv_;
    QLineEdit* question_;
    QPushButton* send_;
    QPushButton* stop_;
    QPushButton* regen_;
    QPushButton* addSample_;
    QPushButton* newConv_;
    QPushButton* openImage_;
    QPushButton* pasteImage_;
    QDoubleSpinBox* temperature_;
    QSpinBox* topK_;
    QDoubleSpinBox* topP_;
    QSpinBox* maxTokens_;
    QSpinBox* seed_;
    QCheckBox* colour_;
    MessageBar* message_;
};

} // namespace ember::studio
