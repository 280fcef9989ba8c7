#include "image_pane.h"

#include <QClipboard>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QMimeData>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace ember::studio {

QColor heatColor(double v, int alpha)
{
    v = std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0;   // std::clamp passes NaN through
    // A short "turbo"-like ramp through five stops.
    static const QColor stops[] = {QColor(48, 18, 109), QColor(33, 145, 200), QColor(120, 200, 80), QColor(250, 200, 40),
                                   QColor(215, 40, 30)};
    const double x = v * 4.0;
    const int i = std::min(3, static_cast<int>(x));
    const double t = x - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    return QColor(static_cast<int>(a.red() + (b.red() - a.red()) * t), static_cast<int>(a.green() + (b.green() - a.green()) * t),
                  static_cast<int>(a.blue() + (b.blue() - a.blue()) * t), alpha);
}

ImagePane::ImagePane(QWidget* parent)
    : QWidget(parent)
    , placeholder_(tr("Drop an image here, paste one (Ctrl+V) or open a file"))
{
    setAcceptDrops(true);
    setFocusPolicy(Qt::StrongFocus);
    setAccessibleName(tr("Image"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ImagePane::setImage(const QImage& image)
{
    image_ = image;
    scaled_ = QPixmap();
    heat_ = QImage();
    update();
}

void ImagePane::setHeatMap(const QVector<float>& map, int rows, int cols)
{
    if (rows <= 0 || cols <= 0 || map.size() != rows * cols) {
        clearHeatMap();
        return;
    }
    QImage h(cols, rows, QImage::Format_ARGB32);
    for (int y = 0; y < rows; ++y)
        for (int x = 0; x < cols; ++x) {
            const double raw = map[y * cols + x];
            const double v = std::isfinite(raw) ? std::clamp(raw, 0.0, 1.0) : 0.0;   // a NaN map shows as cold
            h.setPixelColor(x, y, heatColor(v, static_cast<int>(60 + 140 * v)));
        }
    heat_ = h;
    update();
}

void ImagePane::clearHeatMap()
{
    heat_ = QImage();
    update();
}

void ImagePane::setHeatMapVisible(bool visible)
{
    heatVisible_ = visible;
    update();
}

void ImagePane::setPlaceholder(const QString& text)
{
    placeholder_ = text;
    update();
}

QRect ImagePane::imageRect() const
{
    if (image_.isNull())
        return {};
    const QRect area = rect().adjusted(4, 4, -4, -4);
    QSize s = image_.size().scaled(area.size(), Qt::KeepAspectRatio);
    return QRect(area.x() + (area.width() - s.width()) / 2, area.y() + (area.height() - s.height()) / 2, s.width(), s.height());
}

void ImagePane::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.fillRect(rect(), palette().color(QPalette::Base).darker(104));
    if (image_.isNull()) {
        p.setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DashLine));
        p.drawRect(rect().adjusted(8, 8, -9, -9));
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(24, 24, -24, -24), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
    } else {
        const QRect r = imageRect();
        // Scaled once per picture and size, not at every repaint (a photograph is 1280 pixels wide).
        if (scaled_.size() != r.size())
            scaled_ = QPixmap::fromImage(image_.scaled(r.size(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
        p.drawPixmap(r.topLeft(), scaled_);
        if (!heat_.isNull() && heatVisible_)
            p.drawImage(r, heat_);   // smooth scaling blends the coarse grid
    }
    if (hasFocus()) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 2));
        p.setBrush(Qt::NoBrush);
        p.drawRect(rect().adjusted(1, 1, -1, -1));
    }
}

void ImagePane::dragEnterEvent(QDragEnterEvent* e)
{
    if (e->mimeData()->hasUrls() || e->mimeData()->hasImage())
        e->acceptProposedAction();
}

void ImagePane::dropEvent(QDropEvent* e)
{
    const QMimeData* m = e->mimeData();
    if (m->hasUrls()) {
        for (const QUrl& u : m->urls())
            if (u.isLocalFile()) {
                Q_EMIT fileDropped(u.toLocalFile());
                e->acceptProposedAction();
                return;
            }
    }
    if (m->hasImage()) {
        Q_EMIT imagePasted(qvariant_cast<QImage>(m->imageData()));
        e->acceptProposedAction();
    }
}

void ImagePane::keyPressEvent(QKeyEvent* e)
{
    if (e->matches(QKeySequence::Paste)) {
        const QMimeData* m = QGuiApplication::clipboard()->mimeData();
        if (m && m->hasImage())
            Q_EMIT imagePasted(qvariant_cast<QImage>(m->imageData()));
        else if (m && m->hasUrls() && !m->urls().isEmpty() && m->urls().first().isLocalFile())
            Q_EMIT fileDropped(m->urls().first().toLocalFile());
        return;
    }
    QWidget::keyPressEvent(e);
}

void ImagePane::mousePressEvent(QMouseEvent* e)
{
    setFocus(Qt::MouseFocusReason);
    QWidget::mousePressEvent(e);
}

QString chooseImageFile(QWidget* parent, const QString& startDir)
{
    return QFileDialog::getOpenFileName(parent, QObject::tr("Open image"), startDir,
                                        QObject::tr("Images (*.png *.jpg *.jpeg *.bmp *.webp *.gif *.tif *.tiff);;All files (*)"));
}

} // namespace ember::studio
