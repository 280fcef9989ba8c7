#include "current_image.h"

#include "image_pane.h"

#include <QApplication>
#include <QClipboard>
#include <QFileInfo>
#include <QMimeData>
#include <QPointer>
#include <QThreadPool>
#include <QUrl>

namespace ember::studio {

CurrentImage::CurrentImage(ImagePane* pane, QObject* parent)
    : QObject(parent)
    , pane_(pane)
{
    connect(pane_, &ImagePane::fileDropped, this, &CurrentImage::openFile);
    connect(pane_, &ImagePane::imagePasted, this, &CurrentImage::setPasted);
}

void CurrentImage::openFile(const QString& path)
{
    const int request = ++request_;
    ++loading_;
    QPointer<CurrentImage> self(this);
    QThreadPool::globalInstance()->start([self, path, request] {
        QImage img;
        ImageInput in;
        QString err;
        const bool ok = readImageFile(path, &img, &in, &err);
        const QString absolute = QFileInfo(path).absoluteFilePath();
        QMetaObject::invokeMethod(qApp, [self, ok, img, in, err, absolute, request] {
            if (!self)
                return;
            --self->loading_;
            if (request != self->request_)
                return;   // a newer image was asked for meanwhile
            if (ok)
                self->set(img, in, absolute);
            else
                Q_EMIT self->refused(err);
        }, Qt::QueuedConnection);
    });
}

bool CurrentImage::setPasted(const QImage& image)
{
    if (image.isNull() || static_cast<qint64>(image.width()) * image.height() > ember::kMaxImagePixels) {
        Q_EMIT refused(tr("The clipboard holds no usable image."));
        return false;
    }
    set(image, encodeImage(image), QString());
    return true;
}

void CurrentImage::openDialog(QWidget* parent, const QString& defaultDir)
{
    const QString start = path_.isEmpty() ? defaultDir : QFileInfo(path_).absolutePath();
    const QString f = chooseImageFile(parent, start);
    if (!f.isEmpty())
        openFile(f);
}

void CurrentImage::pasteFromClipboard()
{
    const QMimeData* m = QApplication::clipboard()->mimeData();
    if (m && m->hasImage())
        setPasted(qvariant_cast<QImage>(m->imageData()));
    else if (m && m->hasUrls() && !m->urls().isEmpty() && m->urls().first().isLocalFile())
        openFile(m->urls().first().toLocalFile());
    else
        Q_EMIT refused(tr("The clipboard holds no image."));
}

void CurrentImage::set(const QImage& shown, const ImageInput& input, const QString& path)
{
    Q_EMIT aboutToChange();
    pane_->setImage(shown);
    input_ = input;
    path_ = path;
    Q_EMIT changed(shown);
}

} // namespace ember::studio
