#pragma once
// Pictures for the views, decoded by core's decodeImage, the decoder the model and the
// workspace's thumbnails use: a phone photo shows upright (EXIF orientation), a GIF its first
// frame, a TIFF its first page, transparency on white, exactly as the model sees them.
// (QImage::load would show a phone photo sideways: Qt applies no EXIF orientation by default.)
// Needs QtGui and embervlm_base only.
#include "image.h"

#include <QByteArray>
#include <QImage>
#include <QString>

namespace ember::studio {

// A copy as QImage::Format_RGB888.
QImage toQImage(const ember::RgbImage& image);
// The picture in `bytes`; a null image with *error set (naming `name`) when it cannot be decoded.
QImage decodeDisplayImage(const QByteArray& bytes, const QString& name, QString* error = nullptr);
// The picture in the file at `path`; a null image with *error set when it cannot be read.
QImage loadDisplayImage(const QString& path, QString* error = nullptr);

} // namespace ember::studio
