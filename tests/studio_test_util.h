#pragma once
// Shared set-up for the studio's widget tests: a small random model on an EngineWorker and a
// structured test image. Header-only; each test executable includes it once.
#include "datasets_test_util.h"
#include "current_image.h"
#include "engine_worker.h"
#include "runtime.h"
#include "test_image_util.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

namespace studio_test {

inline const char* kSmallConfig =
    R"({"vision_widths":[16,32,48,64],"vision_depths":[1,2,3,1],"visual_grid":[2,4],"n_embd":64,"n_head":4,)"
    R"("n_layer":2,"n_inner":128,"proj_hidden":96,"reasoning_hidden":96,"validator_hidden":48,"answer_hidden":32,)"
    R"("max_reasoning_steps":5,"consistency_threshold":0.5})";

inline void isolateSettings()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("EmberVLM-tests");
    QCoreApplication::setApplicationName("studio-tests");
}

using test_image::writeImage;

// Opens an image file in a view (Ask or Reasoning: read and decoded off the GUI thread) and
// waits for the answer: true when it was taken, false when it was refused.
template <class View>
bool openImage(View* view, const QString& path)
{
    auto* image = view->currentImage();
    QSignalSpy changed(image, &ember::studio::CurrentImage::changed);
    QSignalSpy refused(image, &ember::studio::CurrentImage::refused);
    view->openImageFile(path);
    QElapsedTimer t;
    t.start();
    while (changed.isEmpty() && refused.isEmpty() && t.elapsed() < 30000)
        QTest::qWait(2);
    return !changed.isEmpty();
}

// Loads the small random model on the worker and waits for it.
inline bool loadSmallModel(ember::studio::EngineWorker& worker, quint64 seed = 1)
{
    QSignalSpy spy(&worker, &ember::studio::EngineWorker::modelLoaded);
    worker.initRandom(QString::fromUtf8(kSmallConfig), seed);
    return spy.wait(60000);
}

// What the workspace-driven view suites start from: settings isolated and the small demo world
// at dir/ws. Its path, or empty when the temporary folder is not valid.
inline QString startWithDemoWorkspace(const QTemporaryDir& dir)
{
    isolateSettings();
    if (!dir.isValid())
        return {};
    const QString ws = dir.path() + "/ws";
    testutil::makeDemoWorkspace(ws.toStdString());
    return ws;
}

// What the model-driven view suites start from: settings isolated, the test image written into
// dir (its path in image) and a new worker with the small model loaded. Empty when all went
// well, else what failed.
inline QString startWithSmallModel(const QTemporaryDir& dir, QString& image,
                                   std::unique_ptr<ember::studio::EngineWorker>& worker, quint64 seed = 1)
{
    isolateSettings();
    if (!dir.isValid())
        return "the temporary folder is not valid";
    image = writeImage(dir.path());
    worker = std::make_unique<ember::studio::EngineWorker>();
    if (!loadSmallModel(*worker, seed))
        return "the small model did not load";
    return {};
}

} // namespace studio_test
