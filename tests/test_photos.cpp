// Real photographs and odd files: scikit-image's data (Debian's python3-skimage) plus files
// tests/photo_folder.py derives from them (a 4000×3000 JPEG, a sideways phone photo with EXIF
// Orientation 6, 16-bit, palette and RGBA PNGs, multi-page TIFFs, animated GIFs, a CMYK JPEG,
// two truncated JPEGs and a text file named .jpg). The decoder every path uses is checked
// against an independent one (Pillow); a folder import takes every valid file with the size a
// viewer shows, gives one warning per broken file and makes upright thumbnails; the views'
// decoder shows exactly what the model is given. Torch-free: datasets, core's image code and
// the widgets' display_image.cpp.
#include <QtTest>

#include "display_image.h"
#include "image.h"
#include "importers.h"
#include "workspace.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <fstream>

using namespace ember::data;

namespace {

const QString kSkimageData = QStringLiteral("/usr/lib/python3/dist-packages/skimage/data");

cv::Mat asMat(const ember::RgbImage& im)
{
    return cv::Mat(im.height, im.width, CV_8UC3, const_cast<uint8_t*>(im.rgb.data())).clone();
}

// Mean absolute difference (0..255) of two RGB pictures, both scaled to side×side first: JPEG
// decoders and resamplers differ by a grey level or two, a picture turned over by tens.
double difference(const cv::Mat& a, const cv::Mat& b, int side = 64)
{
    cv::Mat sa, sb, d;
    cv::resize(a, sa, cv::Size(side, side), 0, 0, cv::INTER_AREA);
    cv::resize(b, sb, cv::Size(side, side), 0, 0, cv::INTER_AREA);
    cv::absdiff(sa, sb, d);
    const cv::Scalar m = cv::mean(d);
    return (m[0] + m[1] + m[2]) / 3.0;
}

std::vector<uint8_t> readBytes(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

QString decodeError(const std::vector<uint8_t>& bytes, const std::string& what)
{
    try {
        ember::decodeImage(bytes.data(), bytes.size(), what);
    } catch (const ember::ImageError& e) {
        return QString::fromUtf8(e.what());
    }
    return QString();
}

} // namespace

class TestPhotos final : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString photos_, refs_;
    QStringList valid_, invalid_;

    // Pillow's picture (upright, first frame or page, alpha on white) as RGB.
    cv::Mat reference(const QString& name) const
    {
        cv::Mat bgr = cv::imread((refs_ + "/" + name + ".png").toStdString(), cv::IMREAD_COLOR), rgb;
        if (!bgr.empty())
            cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        return rgb;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(kSkimageData + "/astronaut.png"),
                 "scikit-image's photographs are missing: install python3-skimage (scripts/deps.sh --tests does)");
        QProcess p;
        p.start(QStringLiteral("/usr/bin/python3"),
                {QStringLiteral(EMBERVLM_SOURCE_DIR "/tests/photo_folder.py"), kSkimageData, dir_.path()});
        QVERIFY2(p.waitForFinished(180000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
                 qPrintable(QString::fromUtf8(p.readAllStandardError())));
        photos_ = dir_.path() + "/photos";
        refs_ = dir_.path() + "/refs";
        QFile f(dir_.path() + "/manifest.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject m = QJsonDocument::fromJson(f.readAll()).object();
        for (const auto& v : m["valid"].toArray()) valid_ << v.toString();
        for (const auto& v : m["invalid"].toArray()) invalid_ << v.toString();
        QCOMPARE(valid_.size(), 19);
        QCOMPARE(invalid_.size(), 3);
    }

    // Every valid file decodes to what Pillow (with tifffile and exif_transpose) shows.
    void decoderAgreesWithPillow_data()
    {
        QTest::addColumn<QString>("name");
        for (const auto& n : valid_) QTest::newRow(qPrintable(n)) << n;
    }

    void decoderAgreesWithPillow()
    {
        QFETCH(QString, name);
        const ember::RgbImage im = ember::decodeImageFile((photos_ + "/" + name).toStdString());
        const cv::Mat ref = reference(name);
        QVERIFY(!ref.empty());
        QCOMPARE(im.width, ref.cols);
        QCOMPARE(im.height, ref.rows);
        QCOMPARE(im.rgb.size(), size_t(im.width) * im.height * 3);
        const double d = difference(asMat(im), ref);
        QVERIFY2(d < 2.5, qPrintable(QString("%1 differs from Pillow's by %2 grey levels").arg(name).arg(d)));
    }

    // The phone photo: stored 300×451 with Orientation 6, it is the 451×300 cat of chelsea.png
    // for the decoder, the model's preprocessing and the views alike.
    void phonePhotoComesOutUpright()
    {
        const std::string path = (photos_ + "/phone_rotated.jpg").toStdString();
        const ember::RgbImage im = ember::decodeImageFile(path);
        QCOMPARE(im.width, 451);
        QCOMPARE(im.height, 300);
        const cv::Mat upright = reference("chelsea.png");   // Pillow's, not our decoder's
        QVERIFY(difference(asMat(im), upright) < 3.0);
        // Turned back the way it is stored, it no longer matches: the check sees orientation.
        cv::Mat stored;
        cv::rotate(asMat(im), stored, cv::ROTATE_90_COUNTERCLOCKWISE);
        cv::resize(stored, stored, upright.size());
        QVERIFY(difference(stored, upright) > 20.0);
        const auto prepared = ember::prepareImageFile(path, 64);
        QCOMPARE(prepared.originalWidth, 451);
        QCOMPARE(prepared.originalHeight, 300);
        const QImage shown = ember::studio::loadDisplayImage(QString::fromStdString(path));
        QCOMPARE(shown.size(), QSize(451, 300));
    }

    // Every EXIF orientation (JPEG APP1, PNG eXIf) and a TIFF's Orientation tag.
    void everyOrientationComesOutUpright_data()
    {
        QTest::addColumn<QString>("name");
        for (int o = 1; o <= 8; ++o)
            for (const char* ext : {"jpg", "png"}) {
                const QString n = QString("o%1.%2").arg(o).arg(ext);
                QTest::newRow(qPrintable(n)) << n;
            }
        QTest::newRow("o6.tif") << QStringLiteral("o6.tif");
    }

    void everyOrientationComesOutUpright()
    {
        QFETCH(QString, name);
        const QString path = dir_.path() + "/orientations/" + name;
        const cv::Mat im = asMat(ember::decodeImageFile(path.toStdString()));
        const cv::Mat upright = reference("chelsea.png");
        QCOMPARE(im.size(), upright.size());
        const double d = difference(im, upright);
        QVERIFY2(d < 2.5, qPrintable(QString("%1 differs from the upright photo by %2").arg(name).arg(d)));
        QCOMPARE(ember::studio::loadDisplayImage(path).size(), QSize(upright.cols, upright.rows));
    }

    void alphaIsCompositedOnWhite()
    {
        const cv::Mat im = asMat(ember::decodeImageFile((photos_ + "/rgba_half.png").toStdString()));
        const cv::Mat astronaut = reference("astronaut.png");
        const cv::Rect left(0, 0, im.cols / 2, im.rows), right(im.cols / 2, 0, im.cols - im.cols / 2, im.rows);
        double lo = 0, hi = 0;
        cv::minMaxLoc(im(left).reshape(1), &lo, &hi);
        QCOMPARE(lo, 255.0);   // the transparent half is white
        QCOMPARE(cv::norm(im(right), astronaut(right), cv::NORM_INF), 0.0);   // the opaque half as it is
    }

    void sixteenBitIsScaledNotTruncated()
    {
        const cv::Mat im = asMat(ember::decodeImageFile((photos_ + "/grey16.png").toStdString()));
        QVERIFY(cv::norm(im, reference("grey16.png"), cv::NORM_INF) <= 1.0);
    }

    // First frame and first page, never a later one.
    void firstFrameAndFirstPage()
    {
        const cv::Mat gif = asMat(ember::decodeImageFile((photos_ + "/animated.gif").toStdString()));
        QCOMPARE(gif.size(), cv::Size(160, 120));
        const cv::Mat coffee = reference("coffee.png");
        QVERIFY(difference(gif, coffee) < 8.0);   // GIF's 256 colours, but the coffee
        const cv::Mat tif = asMat(ember::decodeImageFile((photos_ + "/pages.tif").toStdString()));
        const cv::Mat astronaut = reference("astronaut.png");
        QCOMPARE(cv::norm(tif, astronaut, cv::NORM_INF), 0.0);
    }

    // A folder of them: every valid file imported, one warning naming each broken one, sizes as
    // viewers show them, upright thumbnails.
    void folderImport()
    {
        auto ws = Workspace::open((dir_.path() + "/ws").toStdString());
        const auto r = importImageFolder(ws, photos_.toStdString());
        QStringList warnings;
        for (const auto& w : r.warnings) warnings << QString::fromStdString(w);
        QCOMPARE(r.imported, int64_t(valid_.size()));
        QCOMPARE(r.skipped, int64_t(0));
        QVERIFY2(warnings.size() == invalid_.size(), qPrintable(warnings.join('\n')));
        for (const auto& bad : invalid_) {
            const auto naming = std::count_if(warnings.begin(), warnings.end(),
                                              [&](const QString& w) { return w.contains("/" + bad + ":"); });
            QVERIFY2(naming == 1, qPrintable(bad + " in:\n" + warnings.join('\n')));
        }
        // The samples come in file-name order: the valid files, sorted.
        QStringList names = valid_;
        std::sort(names.begin(), names.end(), [](const QString& a, const QString& b) { return a.toStdString() < b.toStdString(); });
        QCOMPARE(r.ids.size(), size_t(names.size()));
        for (int i = 0; i < names.size(); ++i) {
            const auto s = ws.get(r.ids[static_cast<size_t>(i)]);
            QVERIFY(s && s->image.id);
            const cv::Mat ref = reference(names[i]);
            QVERIFY2(s->image.width == ref.cols && s->image.height == ref.rows,
                     qPrintable(QString("%1: stored %2×%3").arg(names[i]).arg(s->image.width).arg(s->image.height)));
            const auto jpeg = ws.thumbnail(s->image.id);
            cv::Mat thumb = cv::imdecode(jpeg, cv::IMREAD_COLOR);
            QVERIFY(!thumb.empty());
            cv::cvtColor(thumb, thumb, cv::COLOR_BGR2RGB);
            QCOMPARE(std::max(thumb.cols, thumb.rows), std::min(96, std::max(ref.cols, ref.rows)));
            QCOMPARE(thumb.cols >= thumb.rows, ref.cols >= ref.rows);   // landscape stays landscape
            // Compared at 16×16 (a 96-pixel JPEG at quality 80 keeps no finer detail); turned
            // over, even a symmetric-looking photo differs by far more.
            if (std::min(ref.cols, ref.rows) < 32)
                continue;   // the 10×10 noise TIFF, the 14×25 GIF: JPEG keeps too little of them
            cv::Mat flipped;
            cv::flip(ref, flipped, -1);
            const double d = difference(thumb, ref, 16), turned = difference(thumb, flipped, 16);
            QVERIFY2(d < 4.0 && turned > 2 * d, qPrintable(QString("%1: thumbnail differs by %2, upside down by %3").arg(names[i]).arg(d).arg(turned)));
            // The list views read the thumbnail with Qt: the same way up.
            const QImage listed = QImage::fromData(jpeg.data(), static_cast<int>(jpeg.size()));
            QCOMPARE(listed.size(), QSize(thumb.cols, thumb.rows));
        }
    }

    // What the Annotate, Ask and Reasoning views show is what the model is given: the pixels the
    // views decode, prepared for the encoder, equal the model's own preparation of the file.
    void viewsShowWhatTheModelSees_data()
    {
        QTest::addColumn<QString>("name");
        for (const auto& n : valid_) QTest::newRow(qPrintable(n)) << n;
    }

    void viewsShowWhatTheModelSees()
    {
        QFETCH(QString, name);
        const QString path = photos_ + "/" + name;
        QString error;
        QImage shown = ember::studio::loadDisplayImage(path, &error);
        QVERIFY2(!shown.isNull(), qPrintable(error));
        shown = shown.convertToFormat(QImage::Format_RGB888);
        const auto model = ember::prepareImageFile(path.toStdString(), 32);
        const auto view = ember::prepareImageRGB(shown.constBits(), shown.width(), shown.height(),
                                                 static_cast<int>(shown.bytesPerLine()), 32);
        QCOMPARE(view.originalWidth, model.originalWidth);
        QCOMPARE(view.originalHeight, model.originalHeight);
        QVERIFY(view.chw == model.chw);
        // The same from the bytes (the Ask and Reasoning views read the file, then decode).
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        const QImage fromBytes = ember::studio::decodeDisplayImage(bytes, name).convertToFormat(QImage::Format_RGB888);
        QCOMPARE(fromBytes, shown);
        const auto engine = ember::prepareImageBytes(bytes.constData(), static_cast<size_t>(bytes.size()), 32);
        QVERIFY(engine.chw == model.chw);
    }

    // Broken files: an ImageError naming the file, never a crash; a JPEG cut anywhere is refused
    // (libjpeg alone would fill the missing rows with grey); the other formats cut short decode
    // or are refused.
    void brokenFilesAreRefusedByName()
    {
        for (const auto& bad : invalid_) {
            const QString path = photos_ + "/" + bad;
            QString message;
            try {
                ember::decodeImageFile(path.toStdString());
            } catch (const ember::ImageError& e) {
                message = QString::fromUtf8(e.what());
            }
            QVERIFY2(message.startsWith(path + ": "), qPrintable(bad + ": " + message));
            QString shownError;
            QVERIFY(ember::studio::loadDisplayImage(path, &shownError).isNull());
            QVERIFY2(shownError.contains(bad), qPrintable(shownError));
        }
        for (const QString name : {"phone_rotated.jpg", "cmyk.jpg", "large_4000x3000.jpg", "pages.tif", "multipage_rgb.tif",
                                   "animated.gif", "no_time_for_that_tiny.gif", "grey16.png", "green_palette.png"}) {
            const auto whole = readBytes(photos_ + "/" + name);
            QVERIFY(!whole.empty());
            for (const size_t cut : {size_t(6), size_t(40), whole.size() / 8, whole.size() / 2, whole.size() - 1}) {
                const std::vector<uint8_t> part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
                const QString e = decodeError(part, "cut.bin");
                QVERIFY2(e.isEmpty() || e.startsWith("cut.bin: "), qPrintable(e));
                if (name.endsWith(".jpg"))
                    QVERIFY2(!e.isEmpty(), qPrintable(QString("%1 cut at %2 decoded").arg(name).arg(cut)));
            }
        }
    }

    // Sizes from headers, so that a huge picture is refused before any decoding.
    void headersGiveTheSize()
    {
        const std::vector<std::pair<QString, QSize>> files{{"animated.gif", {160, 120}},
                                                           {"pages.tif", {512, 512}},
                                                           {"multipage_rgb.tif", {10, 10}},
                                                           {"large_4000x3000.jpg", {4000, 3000}},
                                                           {"phone_rotated.jpg", {300, 451}}};   // as stored
        for (const auto& [name, size] : files) {
            const auto b = readBytes(photos_ + "/" + name);
            int64_t w = 0, h = 0;
            QVERIFY2(ember::imageHeaderSize(b.data(), b.size(), &w, &h), qPrintable(name));
            QCOMPARE(QSize(int(w), int(h)), size);
        }
        // GIF 60000×60000, TIFF 50000×50000 (LONG width and height), WebP VP8X 20000×20000.
        const std::string gif("GIF89a\x60\xEA\x60\xEA\x80\x00\x00", 13);
        const std::string tif("II*\x00\x08\x00\x00\x00\x02\x00"
                              "\x00\x01\x04\x00\x01\x00\x00\x00\x50\xC3\x00\x00"
                              "\x01\x01\x04\x00\x01\x00\x00\x00\x50\xC3\x00\x00"
                              "\x00\x00\x00\x00",
                              38);
        const std::string webp("RIFF\x00\x00\x00\x00WEBPVP8X\x0A\x00\x00\x00\x00\x00\x00\x00"
                               "\x1F\x4E\x00\x1F\x4E\x00",
                               30);
        for (const auto& [bytes, size] : std::vector<std::pair<std::string, QString>>{
                 {gif, "60000×60000"}, {tif, "50000×50000"}, {webp, "20000×20000"}}) {
            const std::vector<uint8_t> b(bytes.begin(), bytes.end());
            const QString e = decodeError(b, "huge");
            QVERIFY2(e.startsWith("huge: ") && e.contains("image too large (" + size), qPrintable(e));
        }
    }
};

QTEST_GUILESS_MAIN(TestPhotos)
#include "test_photos.moc"
