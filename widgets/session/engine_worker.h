#pragma once
// The studio's only door to the model: an object living on its own QThread that runs every
// engine call there and reports back with queued signals. The GUI thread never waits on it;
// cancel() is the one call made directly from the GUI thread (Engine::requestCancel is atomic).
#include "engine.h"

#include <QByteArray>
#include <QImage>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QThread>
#include <QVector>

#include <atomic>
#include <memory>

Q_DECLARE_METATYPE(ember::StreamedToken)
Q_DECLARE_METATYPE(ember::GenerationResult)
Q_DECLARE_METATYPE(ember::RobotSelection)
Q_DECLARE_METATYPE(ember::ModelInfo)
Q_DECLARE_METATYPE(ember::GenerationOptions)

namespace ember::studio {

// An image as the views hold it: encoded bytes plus their SHA-256 (the engine's cache key).
struct ImageInput {
    QByteArray bytes;
    QString sha256;
    // The picture as the model sees it (RGB888), when the view has decoded it already: the
    // engine takes these pixels instead of decoding the bytes a second time.
    QImage decoded;
    bool empty() const { return bytes.isEmpty(); }
};

class EngineWorker final : public QObject {
    Q_OBJECT
public:
    // Creates the engine (CPU, or CUDA when device is empty and available) and starts the thread.
    explicit EngineWorker(const QString& device = QStringLiteral("cpu"));
    ~EngineWorker() override;

    // Ends any generation, finishes the current call and joins the thread. Safe to call twice.
    void shutdown();

    // Each call queues one job and returns at once with the job's request id.
    int loadCheckpoint(const QString& path);
    int initRandom(const QString& configJson, quint64 seed, const QString& saveTo = {});   // configJson: preset name or JSON
    int generate(const ImageInput& image, const QString& prompt, const ember::GenerationOptions& options);
    int selectRobot(const ImageInput& image, const QString& task);
    int gradCam(const ImageInput& image, const QString& task, int robot);

    // Cancels the jobs with ids up to `upTo` (all issued so far when -1), queued or running:
    // a running generation stops before its next token. Callable from any thread.
    void cancel(int upTo = -1);
    bool busy() const { return pending_.load() > 0; }
    // For tests and the command line: the engine itself (call only when no job runs).
    ember::Engine* engineUnsafe() const { return engine_.get(); }

Q_SIGNALS:
    void modelLoaded(int request, const ember::ModelInfo& info);
    void tokenStreamed(int request, const ember::StreamedToken& token);
    void generationFinished(int request, const ember::GenerationResult& result);
    void selectionFinished(int request, const ember::RobotSelection& selection);
    void gradCamFinished(int request, int robot, const QVector<float>& map, int rows, int cols);
    void failed(int request, const QString& message);
    void busyChanged(bool busy);

private:
    template <class F> int post(F&& job);
    void useImage(const ImageInput& image);   // on the worker thread
    bool cancelled(int request) const { return request <= cancelUpTo_.load(); }

    QThread thread_;
    std::unique_ptr<ember::Engine> engine_;
    QString imageKey_;                        // sha256 of the image the engine holds
    std::atomic<int> nextRequest_{1};
    std::atomic<int> cancelUpTo_{0};
    std::atomic<int> pending_{0};
    std::atomic<int> running_{0};             // id of the job running now, 0 when idle
    bool shutDown_ = false;
};

QString sha256Hex(const QByteArray& bytes);

// Reads an image file for the views: the picture to show, decoded as the engine decodes it
// (display_image.h), and the file's bytes for the engine. Refuses files that are not images,
// truncated ones and images over kMaxImagePixels; the message names the file and says why.
bool readImageFile(const QString& path, QImage* image, ImageInput* input, QString* error);
// A pasted or dropped picture, encoded as PNG for the engine.
ImageInput encodeImage(const QImage& image);

} // namespace ember::studio
