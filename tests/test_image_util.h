#pragma once
// A structured test image (gradients in every channel and a disc), saved as PNG: shared by the
// model suite and the studio suites. Needs only QtGui.
#include <QImage>
#include <QString>

namespace test_image {

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

} // namespace test_image
