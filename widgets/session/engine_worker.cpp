#include "engine_worker.h"

#include "content_hash.h"
#include "display_image.h"
#include "studio_log.h"

#include "image.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>

#include <exception>

namespace ember::studio {

namespace {

QString firstLine(const char* what)
{
    QString s = QString::fromUtf8(what);
    const int nl = s.indexOf('\n');
    return nl < 0 ? s : s.left(nl);
}

struct MetaTypes {
    MetaTypes()
    {
        qRegisterMetaType<ember::StreamedToken>();
        qRegisterMetaType<ember::GenerationResult>();
        qRegisterMetaType<ember::RobotSelection>();
        qRegisterMetaType<ember::ModelInfo>();
        qRegisterMetaType<ember::GenerationOptions>();
        qRegisterMetaType<QVector<float>>();
    }
};

} // namespace

QString sha256Hex(const QByteArray& bytes)
{
    return QString::fromStdString(ember::data::sha256Hex(bytes.constData(), static_cast<size_t>(bytes.size())));
}

bool readImageFile(const QString& path, QImage* image, ImageInput* input, QString* error)
{
    const QString name = QFileInfo(path).fileName();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QObject::tr("Cannot open %1: %2").arg(name, f.errorString());
        return false;
    }
    const QByteArray bytes = f.readAll();
    // Shown as the model sees it (core's decoder: EXIF orientation, first frame or page, alpha on
    // white); the file's own bytes go to the engine, which decodes them the same way.
    QString why;
    QImage img = decodeDisplayImage(bytes, name, &why);
    if (!img.isNull()) {
        *image = img;
        *input = ImageInput{bytes, sha256Hex(bytes), img};
        return true;
    }
    // Formats only Qt reads (ICO, SVG, XPM…) are shown by Qt and go to the engine as PNG. The
    // decoder's own formats keep its verdict: a truncated JPEG is refused, never shown half grey.
    static const QList<QByteArray> kDecoderFormats{"png", "jpeg", "jpg", "bmp", "gif", "tif", "tiff", "webp", "pbm", "pgm", "ppm"};
    QBuffer buf;
    buf.setData(bytes);
    buf.open(QIODevice::ReadOnly);
    QImageReader reader(&buf);
    reader.setAutoTransform(true);
    const QByteArray format = reader.format();
    if (format.isEmpty() || !reader.canRead()) {
        *error = QObject::tr("%1 is not an image the studio can read.").arg(name);
        return false;
    }
    if (kDecoderFormats.contains(format)) {
        *error = why;   // names the file
        return false;
    }
    const QSize size = reader.size();
    if (size.isValid() && static_cast<qint64>(size.width()) * size.height() > ember::kMaxImagePixels) {
        *error = QObject::tr("%1 is too large (%2×%3 pixels).").arg(name).arg(size.width()).arg(size.height());
        return false;
    }
    img = reader.read();
    if (img.isNull()) {
        *error = QObject::tr("%1 could not be decoded: %2").arg(name, reader.errorString());
        return false;
    }
    *image = img;
    *input = encodeImage(img);
    return true;
}

ImageInput encodeImage(const QImage& image)
{
    QByteArray png;
    QBuffer buf(&png);
    buf.open(QIODevice::WriteOnly);
    image.convertToFormat(QImage::Format_RGB888).save(&buf, "PNG");
    return ImageInput{png, sha256Hex(png)};
}

EngineWorker::EngineWorker(const QString& device)
    : QObject(nullptr)
{
    static MetaTypes registered;
    engine_ = std::make_unique<ember::Engine>(device.toStdString());
    thread_.setObjectName("engine");
    moveToThread(&thread_);
    thread_.start();
}

EngineWorker::~EngineWorker() { shutdown(); }

void EngineWorker::shutdown()
{
    if (shutDown_)
        return;
    shutDown_ = true;
    cancel();
    // Jobs still queued see themselves cancelled and return at once.
    thread_.quit();
    thread_.wait();
    engine_.reset();
}

template <class F> int EngineWorker::post(F&& job)
{
    const int id = nextRequest_.fetch_add(1);
    if (pending_.fetch_add(1) == 0)
        Q_EMIT busyChanged(true);
    QMetaObject::invokeMethod(
        this,
        [this, id, job = std::forward<F>(job)]() mutable {
            running_.store(id);
            try {
                job(id);
            } catch (const std::exception& e) {
                qCWarning(lcEngine).noquote() << "request" << id << "failed:" << firstLine(e.what());
                Q_EMIT failed(id, firstLine(e.what()));
            } catch (...) {
                qCWarning(lcEngine) << "request" << id << "failed: unknown error";
                Q_EMIT failed(id, QStringLiteral("unknown error"));
            }
            running_.store(0);
            if (pending_.fetch_sub(1) == 1)
                Q_EMIT busyChanged(false);
        },
        Qt::QueuedConnection);
    return id;
}

void EngineWorker::useImage(const ImageInput& image)
{
    if (image.empty()) {
        if (!imageKey_.isEmpty())
            engine_->clearImage();
        imageKey_.clear();
        return;
    }
    if (image.sha256 == imageKey_ && engine_->hasImage())
        return;
    const int size = static_cast<int>(engine_->config().image_size);
    const QImage& d = image.decoded;
    if (!d.isNull() && d.format() == QImage::Format_RGB888)
        engine_->setImage(ember::prepareImageRGB(d.constBits(), d.width(), d.height(), static_cast<int>(d.bytesPerLine()), size));
    else
        engine_->setImage(ember::prepareImageBytes(image.bytes.constData(), static_cast<size_t>(image.bytes.size()), size));
    imageKey_ = image.sha256;
}

namespace {

void logModel(const ember::ModelInfo& info)
{
    qCInfo(lcEngine).noquote() << "model" << QString::fromStdString(info.name) << "loaded:"
                               << QString::fromStdString(info.preset) << info.parameters << "parameters,"
                               << (info.trained ? "trained," : "random weights,") << QString::fromStdString(info.device)
                               << info.threads << "threads" << QString::fromStdString(info.path);
    for (const auto& w : info.warnings)
        qCWarning(lcEngine).noquote() << "model warning:" << QString::fromStdString(w);
}

} // namespace

int EngineWorker::loadCheckpoint(const QString& path)
{
    return post([this, path](int id) {
        if (cancelled(id))
            return;
        engine_->loadCheckpoint(path.toStdString());
        imageKey_.clear();
        engine_->clearImage();
        logModel(engine_->info());
        Q_EMIT modelLoaded(id, engine_->info());
    });
}

int EngineWorker::initRandom(const QString& configJson, quint64 seed, const QString& saveTo)
{
    return post([this, configJson, seed, saveTo](int id) {
        if (cancelled(id))
            return;
        const std::string spec = configJson.toStdString();
        ember::ModelConfig cfg = spec.empty() || spec.front() != '{' ? ember::ModelConfig::preset_named(spec.empty() ? "base" : spec)
                                                                     : ember::ModelConfig::fromJson(spec);
        if (!saveTo.isEmpty()) {
            // Build and save on a scratch engine so a failure leaves the current model alone.
            ember::Engine scratch("cpu");
            scratch.initRandom(cfg, seed);
            scratch.saveCheckpoint(saveTo.toStdString());
            engine_->loadCheckpoint(saveTo.toStdString());
        } else {
            engine_->initRandom(cfg, seed);
        }
        imageKey_.clear();
        engine_->clearImage();
        logModel(engine_->info());
        Q_EMIT modelLoaded(id, engine_->info());
    });
}

int EngineWorker::generate(const ImageInput& image, const QString& prompt, const ember::GenerationOptions& options)
{
    return post([this, image, prompt, options](int id) {
        ember::GenerationResult res;
        if (cancelled(id)) {
            res.stopReason = "cancelled";
            Q_EMIT generationFinished(id, res);
            return;
        }
        useImage(image);
        res = engine_->generate(prompt.toStdString(), options, [this, id](const ember::StreamedToken& t) {
            Q_EMIT tokenStreamed(id, t);
            if (cancelled(id))
                engine_->requestCancel();   // a cancel that came before the engine reset its flag
        });
        qCInfo(lcEngine).noquote() << "answer:" << res.tokens.size() << "tokens, first after" << res.msToFirstToken << "ms,"
                                   << res.tokensPerSecond << "tokens/s," << QString::fromStdString(res.stopReason);
        Q_EMIT generationFinished(id, res);
    });
}

int EngineWorker::selectRobot(const ImageInput& image, const QString& task)
{
    return post([this, image, task](int id) {
        if (cancelled(id))
            return;
        useImage(image);
        const auto sel = engine_->selectRobot(task.toStdString());
        if (sel.trace.answer >= 0 && sel.trace.answer < static_cast<int>(sel.labels.size()))
            qCInfo(lcEngine).noquote() << "selection:" << QString::fromStdString(sel.labels[sel.trace.answer]) << "p ="
                                       << sel.trace.answerProbs[sel.trace.answer] << "in" << sel.ms << "ms";
        Q_EMIT selectionFinished(id, sel);
    });
}

int EngineWorker::gradCam(const ImageInput& image, const QString& task, int robot)
{
    return post([this, image, task, robot](int id) {
        if (cancelled(id))
            return;
        useImage(image);
        int rows = 0, cols = 0;
        const auto map = engine_->gradCam(task.toStdString(), robot, &rows, &cols);
        Q_EMIT gradCamFinished(id, robot, QVector<float>(map.begin(), map.end()), rows, cols);
    });
}

void EngineWorker::cancel(int upTo)
{
    if (upTo < 0)
        upTo = nextRequest_.load() - 1;
    int cur = cancelUpTo_.load();
    while (cur < upTo && !cancelUpTo_.compare_exchange_weak(cur, upTo)) {
    }
    const int running = running_.load();
    if (running != 0 && running <= upTo)
        engine_->requestCancel();
}

} // namespace ember::studio
