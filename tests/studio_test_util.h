#pragma once
// Shared set-up for the studio's widget tests: a small random model on an EngineWorker and a
// structured test image. Header-only; each test executable includes it once.
#include "engine_worker.h"
#include "runtime.h"

#include <QCoreApplication>
#include <QImage>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

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

inline QString writeImage(const QString& dir, const QString& name = "scene.png", int w = 200, int h = 150)
{
    QImage img(w, h, QImage::Format_RGB888);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int dx = x - w / 3, dy = y - h / 2;
            const bool disc = dx * dx + dy * dy < (h / 4) * (h / 4);
            img.setPixel(x, y, qRgb((x * 255) / w, disc ? 240 : (y * 255) / h, (x * y) % 256));
        }
    const QString path = dir + "/" + name;
    img.save(path);
    return path;
}

// Loads the small random model on the worker and waits for it.
inline bool loadSmallModel(ember::studio::EngineWorker& worker, quint64 seed = 1)
{
    QSignalSpy spy(&worker, &ember::studio::EngineWorker::modelLoaded);
    worker.initRandom(QString::fromUtf8(kSmallConfig), seed);
    return spy.wait(60000);
}

} // namespace studio_test
