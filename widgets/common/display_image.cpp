#include "display_image.h"

#include <QFileInfo>

#include <cstring>

namespace ember::studio {

QImage toQImage(const ember::RgbImage& image)
{
    if (image.empty())
        return {};
    QImage out(image.width, image.height, QImage::Format_RGB888);
    if (out.isNull())   // allocation refused
        return {};
    const size_t row = static_cast<size_t>(image.width) * 3;
    for (int y = 0; y < image.height; ++y)
        std::memcpy(out.scanLine(y), image.rgb.data() + row * y, row);
    return out;
}

QImage decodeDisplayImage(const QByteArray& bytes, const QString& name, QString* error)
{
    try {
        return toQImage(ember::decodeImage(bytes.constData(), static_cast<size_t>(bytes.size()), name.toStdString()));
    } catch (const std::exception& e) {   // ImageError, or memory for a huge one
        if (error)
            *error = QString::fromUtf8(e.what());
        return {};
    }
}

QImage loadDisplayImage(const QString& path, QString* error)
{
    try {
        return toQImage(ember::decodeImageFile(path.toStdString()));
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return {};
    }
}

} // namespace ember::studio
