#include "image_loader.h"

#include "display_image.h"

#include <QMetaObject>
#include <QPointer>
#include <QRunnable>

namespace ember::studio {

ImageLoader::ImageLoader(QObject* parent)
    : QObject(parent)
{
    // Two decodes at once: the current picture and the prefetched next one.
    pool_.setMaxThreadCount(2);
    pool_.setObjectName("image-loader");
}

ImageLoader::~ImageLoader()
{
    pool_.clear();
    pool_.waitForDone();
}

void ImageLoader::load(const QString& path, QObject* context, std::function<void(const QImage&, const QString&)> done)
{
    if (const QImage* img = cache_.object(path)) {
        done(*img, {});
        return;
    }
    const bool running = waiting_.contains(path);
    waiting_[path].append({QPointer<QObject>(context), std::move(done)});
    if (!running)
        start(path);
}

void ImageLoader::prefetch(const QString& path)
{
    if (path.isEmpty() || cache_.contains(path) || waiting_.contains(path))
        return;
    waiting_[path];
    start(path);
}

void ImageLoader::start(const QString& path)
{
    QPointer<ImageLoader> self(this);
    pool_.start(QRunnable::create([self, path] {
        QString error;
        QImage img = loadDisplayImage(path, &error);
        if (!img.isNull() && std::max(img.width(), img.height()) > kMaxSide)
            img = img.scaled(kMaxSide, kMaxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        if (!self)
            return;
        QMetaObject::invokeMethod(self.data(), [self, path, img, error] {
            if (!self)
                return;
            if (!img.isNull())
                self->cache_.insert(path, new QImage(img), static_cast<int>(std::min<qsizetype>(img.sizeInBytes(), kCacheBytes)));
            const auto receivers = self->waiting_.take(path);
            for (const auto& [ctx, done] : receivers)
                if (ctx)
                    done(img, error);
        }, Qt::QueuedConnection);
    }));
}

} // namespace ember::studio
