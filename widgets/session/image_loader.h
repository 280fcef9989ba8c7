#pragma once
// Image files decoded for display off the GUI thread: a request names a file, the decode (the
// model's decoder: EXIF orientation, first frame, alpha on white) and a downscale to at most
// kMaxSide run on a small thread pool, and the picture comes back as a queued call. The last few
// pictures stay cached, so stepping back and forth, or a prefetched next sample, shows at once.
#include <QCache>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QString>
#include <QThreadPool>

#include <functional>

namespace ember::studio {

class ImageLoader final : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxSide = 1024;        // a large pane's worth; painting scales no more than that
    static constexpr int kCacheBytes = 64 << 20;

    explicit ImageLoader(QObject* parent = nullptr);
    ~ImageLoader() override;   // waits for the decodes that run (bounded by one image each)

    // done(image, error) on context's thread; a cached picture is delivered at once (before
    // load returns). A null image with an error when the file cannot be decoded.
    void load(const QString& path, QObject* context, std::function<void(const QImage&, const QString&)> done);
    // Decodes into the cache without a receiver (the sample after the current one).
    void prefetch(const QString& path);
    bool cached(const QString& path) const { return cache_.contains(path); }
    void clear() { cache_.clear(); }

private:
    void start(const QString& path);

    QThreadPool pool_;
    QCache<QString, QImage> cache_{kCacheBytes};
    QHash<QString, QList<std::pair<QPointer<QObject>, std::function<void(const QImage&, const QString&)>>>> waiting_;
};

} // namespace ember::studio
