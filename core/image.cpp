#include "image.h"

#include <opencv2/core.hpp>
#include "image_codecs.h"

#include <opencv2/imgcodecs.hpp>   // the IMREAD_ flags only: the codecs load on first use
#include <opencv2/imgproc.hpp>

#include <gif_lib.h>
#include <tiffio.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sys/stat.h>

namespace ember {

namespace {

constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
constexpr size_t kMaxFileBytes = 512u << 20;

PreparedImage fromRgb(const cv::Mat& rgb, int size, ResizeMode mode)
{
    if (size <= 0)
        throw ImageError("image size must be positive");
    PreparedImage out;
    out.size = size;
    out.originalWidth = rgb.cols;
    out.originalHeight = rgb.rows;
    cv::Mat sized;
    if (mode == ResizeMode::Resize) {
        cv::resize(rgb, sized, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
    } else if (mode == ResizeMode::CenterCrop) {
        // Crop the centred square first, then scale it: scaling a thin image by its short side
        // first could ask for gigabytes.
        const int side = std::min(rgb.cols, rgb.rows);
        const cv::Mat square = rgb(cv::Rect((rgb.cols - side) / 2, (rgb.rows - side) / 2, side, side));
        cv::resize(square, sized, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
    } else {
        const double s = static_cast<double>(size) / std::max(rgb.cols, rgb.rows);
        const int w = std::max(1, std::min(size, static_cast<int>(std::lround(rgb.cols * s))));
        const int h = std::max(1, std::min(size, static_cast<int>(std::lround(rgb.rows * s))));
        cv::Mat scaled;
        cv::resize(rgb, scaled, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
        const cv::Scalar mean(kMean[0] * 255.0, kMean[1] * 255.0, kMean[2] * 255.0);
        sized = cv::Mat(size, size, CV_8UC3, mean);
        scaled.copyTo(sized(cv::Rect((size - w) / 2, (size - h) / 2, w, h)));
    }
    out.chw.resize(static_cast<size_t>(3) * size * size);
    const size_t plane = static_cast<size_t>(size) * size;
    for (int y = 0; y < size; ++y) {
        const auto* row = sized.ptr<uint8_t>(y);
        for (int x = 0; x < size; ++x)
            for (int c = 0; c < 3; ++c)
                out.chw[c * plane + static_cast<size_t>(y) * size + x] =
                    (row[3 * x + c] / 255.0f - kMean[c]) / kStd[c];
    }
    return out;
}

} // namespace

ResizeMode resizeModeFromString(const std::string& s)
{
    if (s == "resize") return ResizeMode::Resize;
    if (s == "crop") return ResizeMode::CenterCrop;
    if (s == "pad") return ResizeMode::Pad;
    throw std::invalid_argument("unknown resize mode '" + s + "' (expected resize, crop or pad)");
}

namespace {

enum class Format { Jpeg, Png, Gif, Tiff, Bmp, Other };

Format sniffFormat(const uint8_t* p, size_t n)
{
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return Format::Jpeg;
    if (n >= 2 && p[0] == 'B' && p[1] == 'M') return Format::Bmp;
    if (n >= 8 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return Format::Png;
    if (n >= 6 && (std::memcmp(p, "GIF87a", 6) == 0 || std::memcmp(p, "GIF89a", 6) == 0)) return Format::Gif;
    if (n >= 4 && (std::memcmp(p, "II*\0", 4) == 0 || std::memcmp(p, "MM\0*", 4) == 0)) return Format::Tiff;
    return Format::Other;
}

// The few fields of a TIFF structure's first directory (IFD0) the decoder needs: a TIFF file's,
// or the EXIF block of a JPEG, PNG or WebP (the same layout). -1 where absent.
struct TiffFields {
    int64_t width = -1, height = -1, bitsPerSample = -1, sampleFormat = -1, orientation = -1;
};

bool readTiffFields(const uint8_t* p, size_t n, TiffFields* out)
{
    if (n < 8) return false;
    const bool le = p[0] == 'I' && p[1] == 'I';
    if (!le && !(p[0] == 'M' && p[1] == 'M')) return false;
    auto u16 = [&](size_t i) -> uint32_t { return le ? p[i] | (p[i + 1] << 8) : (p[i] << 8) | p[i + 1]; };
    auto u32 = [&](size_t i) -> uint32_t {
        return le ? uint32_t(p[i]) | (uint32_t(p[i + 1]) << 8) | (uint32_t(p[i + 2]) << 16) | (uint32_t(p[i + 3]) << 24)
                  : (uint32_t(p[i]) << 24) | (uint32_t(p[i + 1]) << 16) | (uint32_t(p[i + 2]) << 8) | uint32_t(p[i + 3]);
    };
    if (u16(2) != 42) return false;
    const size_t ifd = u32(4);
    if (ifd + 2 > n) return false;
    const size_t count = u16(ifd);
    for (size_t k = 0; k < count && ifd + 2 + 12 * (k + 1) <= n; ++k) {
        const size_t e = ifd + 2 + 12 * k;
        const uint32_t tag = u16(e), type = u16(e + 2), items = u32(e + 4);
        const size_t size = type == 3 ? 2 : type == 4 ? 4 : type == 1 ? 1 : 0;   // SHORT, LONG, BYTE
        if (size == 0 || items == 0) continue;
        size_t at = e + 8;   // the first value: inline when all fit in 4 bytes, else at an offset
        if (size * items > 4) at = u32(e + 8);
        if (at + size > n) continue;
        const int64_t v = size == 2 ? u16(at) : size == 4 ? u32(at) : p[at];
        switch (tag) {
        case 256: out->width = v; break;
        case 257: out->height = v; break;
        case 258: out->bitsPerSample = v; break;
        case 274: out->orientation = v; break;
        case 339: out->sampleFormat = v; break;
        default: break;
        }
    }
    return true;
}

} // namespace

bool imageHeaderSize(const uint8_t* p, size_t n, int64_t* width, int64_t* height)
{
    auto be32 = [&](size_t i) { return (int64_t(p[i]) << 24) | (int64_t(p[i + 1]) << 16) | (int64_t(p[i + 2]) << 8) | p[i + 3]; };
    auto be16 = [&](size_t i) { return (int64_t(p[i]) << 8) | p[i + 1]; };
    auto le32 = [&](size_t i) { return int64_t(p[i]) | (int64_t(p[i + 1]) << 8) | (int64_t(p[i + 2]) << 16) | (int64_t(p[i + 3]) << 24); };
    if (n >= 24 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(p + 12, "IHDR", 4) == 0) {
        *width = be32(16);
        *height = be32(20);
        return true;
    }
    if (n >= 26 && p[0] == 'B' && p[1] == 'M') {
        *width = std::abs(static_cast<int32_t>(le32(18)));
        *height = std::abs(static_cast<int32_t>(le32(22)));
        return true;
    }
    if (n >= 4 && p[0] == 0xFF && p[1] == 0xD8) {
        // Walk the JPEG markers to the first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC).
        size_t i = 2;
        while (i + 9 < n) {
            if (p[i] != 0xFF) return false;
            const uint8_t m = p[i + 1];
            if (m == 0xFF) { ++i; continue; }
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
                *height = be16(i + 5);
                *width = be16(i + 7);
                return true;
            }
            i += 2 + static_cast<size_t>(be16(i + 2));
        }
    }
    auto le16 = [&](size_t i) { return int64_t(p[i]) | (int64_t(p[i + 1]) << 8); };
    if (n >= 10 && sniffFormat(p, n) == Format::Gif) {   // the logical screen
        *width = le16(6);
        *height = le16(8);
        return true;
    }
    if (sniffFormat(p, n) == Format::Tiff) {
        TiffFields t;
        if (readTiffFields(p, n, &t) && t.width >= 0 && t.height >= 0) {
            *width = t.width;
            *height = t.height;
            return true;
        }
        return false;
    }
    if (n >= 30 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0) {
        if (std::memcmp(p + 12, "VP8X", 4) == 0) {   // the canvas, 24-bit sizes minus one
            *width = 1 + (le16(24) | (int64_t(p[26]) << 16));
            *height = 1 + (le16(27) | (int64_t(p[29]) << 16));
            return true;
        }
        if (std::memcmp(p + 12, "VP8L", 4) == 0 && p[20] == 0x2F) {   // 14-bit sizes minus one
            const int64_t bits = le32(21);
            *width = 1 + (bits & 0x3FFF);
            *height = 1 + ((bits >> 14) & 0x3FFF);
            return true;
        }
        if (std::memcmp(p + 12, "VP8 ", 4) == 0 && p[23] == 0x9D && p[24] == 0x01 && p[25] == 0x2A) {
            *width = le16(26) & 0x3FFF;
            *height = le16(28) & 0x3FFF;
            return true;
        }
    }
    return false;
}

void requireDecodableSize(const uint8_t* data, size_t bytes)
{
    int64_t w = 0, h = 0;
    if (imageHeaderSize(data, bytes, &w, &h) && w * h > kMaxImagePixels)
        throw ImageError("image too large (" + std::to_string(w) + "×" + std::to_string(h) + " pixels; at most " +
                         std::to_string(kMaxImagePixels / 1'000'000) + " megapixels)");
}

namespace {

std::string named(const std::string& what, const std::string& message)
{
    return what.empty() ? message : what + ": " + message;
}

// OpenCV's own pixel limit fires as an assertion; name the cause instead.
[[noreturn]] void decodeFailed(const cv::Exception& e, const std::string& what)
{
    if (e.err.find("CV_IO_MAX_IMAGE_PIXELS") != std::string::npos)
        throw ImageError(named(what, "image too large"));
    throw ImageError(named(what, "could not be decoded (" + e.err + ")"));
}

// A JPEG whose data stops before its end-of-image marker (a copy cut short, a download broken
// off): libjpeg would fill the missing rows with grey and only warn on stderr. The markers are
// walked to the first scan, then FF D9 is looked for after it (entropy-coded data never holds
// FF D9; progressive scans' own markers come before it).
bool jpegIsComplete(const uint8_t* p, size_t n)
{
    size_t i = 2;
    while (i + 4 <= n) {
        if (p[i] != 0xFF) return true;   // not where a marker should be: the decoder judges it
        const uint8_t m = p[i + 1];
        if (m == 0xFF) { ++i; continue; }
        if (m == 0xD9) return true;   // an end before any scan: the decoder refuses it
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { i += 2; continue; }
        const size_t len = (size_t(p[i + 2]) << 8) | p[i + 3];
        if (m == 0xDA) {
            for (const uint8_t* q = p + std::min(n, i + 2 + len); q + 1 < p + n; ++q) {
                q = static_cast<const uint8_t*>(std::memchr(q, 0xFF, static_cast<size_t>(p + n - q)));
                if (!q || q + 1 >= p + n) return false;
                if (q[1] == 0xD9) return true;
            }
            return false;
        }
        i += 2 + len;
    }
    return false;   // the headers run past the end of the data
}

// EXIF orientation of a PNG (its eXIf chunk), 1 when it has none.
int pngOrientation(const uint8_t* p, size_t n)
{
    for (size_t i = 8; i + 12 <= n;) {
        const size_t len = (size_t(p[i]) << 24) | (size_t(p[i + 1]) << 16) | (size_t(p[i + 2]) << 8) | p[i + 3];
        if (std::memcmp(p + i + 4, "IEND", 4) == 0 || len > n - i - 12) break;
        if (std::memcmp(p + i + 4, "eXIf", 4) == 0) {
            TiffFields t;
            return readTiffFields(p + i + 8, len, &t) && t.orientation >= 1 && t.orientation <= 8
                       ? static_cast<int>(t.orientation)
                       : 1;
        }
        i += 12 + len;
    }
    return 1;
}

// Turns the stored pixels the way EXIF orientation 1..8 says (as OpenCV's own decoder does).
void applyOrientation(cv::Mat& m, int orientation)
{
    switch (orientation) {
    case 2: cv::flip(m, m, 1); break;
    case 3: cv::flip(m, m, -1); break;
    case 4: cv::flip(m, m, 0); break;
    case 5: cv::transpose(m, m); break;
    case 6: cv::transpose(m, m); cv::flip(m, m, 1); break;
    case 7: cv::transpose(m, m); cv::flip(m, m, -1); break;
    case 8: cv::transpose(m, m); cv::flip(m, m, 0); break;
    default: break;
    }
}

// The first frame of a GIF (OpenCV 4.6 reads no GIF), by giflib, record by record so that the
// later frames of a long animation are never read. BGR, pixels the frame leaves uncovered or
// transparent are white.
struct GifSource {
    const uint8_t* data;
    size_t size, pos;
};

int gifRead(GifFileType* gif, GifByteType* buf, int len)
{
    auto* s = static_cast<GifSource*>(gif->UserData);
    const size_t k = std::min(static_cast<size_t>(std::max(len, 0)), s->size - s->pos);
    std::memcpy(buf, s->data + s->pos, k);
    s->pos += k;
    return static_cast<int>(k);
}

cv::Mat decodeGif(const uint8_t* p, size_t n, const std::string& what)
{
    GifSource src{p, n, 0};
    int err = 0;
    std::unique_ptr<GifFileType, void (*)(GifFileType*)> gif(DGifOpen(&src, gifRead, &err), [](GifFileType* g) {
        int e = 0;
        DGifCloseFile(g, &e);
    });
    auto fail = [&](int code) {
        const char* why = GifErrorString(code);
        return ImageError(named(what, std::string("not a readable GIF (") + (why ? why : "unknown error") + ")"));
    };
    if (!gif) throw fail(err);
    int transparent = -1;
    for (;;) {
        GifRecordType record;
        if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR) throw fail(gif->Error);
        if (record == TERMINATE_RECORD_TYPE)
            throw ImageError(named(what, "a GIF without any image"));
        if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType* ext = nullptr;
            if (DGifGetExtension(gif.get(), &code, &ext) == GIF_ERROR) throw fail(gif->Error);
            if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4) {
                GraphicsControlBlock gcb;
                if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK) transparent = gcb.TransparentColor;
            }
            while (ext)
                if (DGifGetExtensionNext(gif.get(), &ext) == GIF_ERROR) throw fail(gif->Error);
            continue;
        }
        if (record != IMAGE_DESC_RECORD_TYPE) continue;
        if (DGifGetImageDesc(gif.get()) == GIF_ERROR) throw fail(gif->Error);
        const GifImageDesc& d = gif->Image;
        const ColorMapObject* colours = d.ColorMap ? d.ColorMap : gif->SColorMap;
        const int64_t w = gif->SWidth > 0 ? gif->SWidth : int64_t(d.Left) + d.Width;
        const int64_t h = gif->SHeight > 0 ? gif->SHeight : int64_t(d.Top) + d.Height;
        if (!colours || d.Width <= 0 || d.Height <= 0 || w <= 0 || h <= 0)
            throw ImageError(named(what, "not a readable GIF (no colour table or an empty frame)"));
        if (w * h > kMaxImagePixels || int64_t(d.Width) * d.Height > kMaxImagePixels)
            throw ImageError(named(what, "image too large (" + std::to_string(w) + "×" + std::to_string(h) + " pixels)"));
        cv::Mat canvas(static_cast<int>(h), static_cast<int>(w), CV_8UC3, cv::Scalar(255, 255, 255));
        std::vector<GifPixelType> line(static_cast<size_t>(d.Width));
        // Interlaced frames send rows in four passes: 0, 8, 16…; 4, 12…; 2, 6…; 1, 3….
        static constexpr int kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};
        const int passes = d.Interlace ? 4 : 1;
        for (int pass = 0; pass < passes; ++pass)
            for (int r = d.Interlace ? kStart[pass] : 0; r < d.Height; r += d.Interlace ? kStep[pass] : 1) {
                if (DGifGetLine(gif.get(), line.data(), d.Width) == GIF_ERROR) throw fail(gif->Error);
                const int y = d.Top + r;
                if (y < 0 || y >= h) continue;
                auto* row = canvas.ptr<uint8_t>(y);
                for (int x = 0; x < d.Width; ++x) {
                    const int cx = d.Left + x, idx = line[static_cast<size_t>(x)];
                    if (cx < 0 || cx >= w || idx == transparent || idx >= colours->ColorCount) continue;
                    const GifColorType& c = colours->Colors[idx];
                    row[3 * cx] = c.Blue;
                    row[3 * cx + 1] = c.Green;
                    row[3 * cx + 2] = c.Red;
                }
            }
        return canvas;
    }
}

// TIFFs of 64-bit float samples (scientific cameras, scikit-image's multipage_rgb.tif), which
// OpenCV 4.6 cannot convert: the first page by libtiff, from memory. BGR(A) float32, values as
// stored (1.0 is white); empty when the layout is not one handled here.
struct TiffSource {
    const uint8_t* data;
    toff_t size, pos;
};

cv::Mat decodeFloatTiff(const uint8_t* p, size_t n, const std::string& what)
{
    TiffSource src{p, n, 0};
    auto rd = [](thandle_t h, tdata_t buf, tmsize_t len) -> tmsize_t {
        auto* s = static_cast<TiffSource*>(h);
        const toff_t k = std::min<toff_t>(static_cast<toff_t>(std::max<tmsize_t>(len, 0)), s->size - std::min(s->pos, s->size));
        if (k == 0) return 0;
        std::memcpy(buf, s->data + s->pos, k);
        s->pos += k;
        return static_cast<tmsize_t>(k);
    };
    auto wr = [](thandle_t, tdata_t, tmsize_t) -> tmsize_t { return 0; };
    auto sk = [](thandle_t h, toff_t off, int whence) -> toff_t {
        auto* s = static_cast<TiffSource*>(h);
        const toff_t base = whence == SEEK_CUR ? s->pos : whence == SEEK_END ? s->size : 0;
        s->pos = base + off;
        return s->pos;
    };
    auto cl = [](thandle_t) -> int { return 0; };
    auto sz = [](thandle_t h) -> toff_t { return static_cast<TiffSource*>(h)->size; };
    auto mp = [](thandle_t h, tdata_t* base, toff_t* size) -> int {
        auto* s = static_cast<TiffSource*>(h);
        *base = const_cast<uint8_t*>(s->data);
        *size = s->size;
        return 1;
    };
    auto ump = [](thandle_t, tdata_t, toff_t) {};
    std::unique_ptr<TIFF, void (*)(TIFF*)> tif(TIFFClientOpen("memory", "r", &src, rd, wr, sk, cl, sz, mp, ump), TIFFClose);
    if (!tif) return {};
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bps = 0, format = 1, planar = PLANARCONFIG_CONTIG;
    TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif.get(), TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(tif.get(), TIFFTAG_PLANARCONFIG, &planar);
    if (TIFFIsTiled(tif.get()) || format != SAMPLEFORMAT_IEEEFP || (bps != 32 && bps != 64) || spp < 1 || spp > 4 ||
        w == 0 || h == 0)
        return {};
    if (int64_t(w) * h > kMaxImagePixels)
        throw ImageError(named(what, "image too large (" + std::to_string(w) + "×" + std::to_string(h) + " pixels)"));
    cv::Mat out(static_cast<int>(h), static_cast<int>(w), CV_32FC(spp));
    std::vector<uint8_t> line(static_cast<size_t>(TIFFScanlineSize(tif.get())));
    const size_t bytes = bps / 8;
    const int planes = planar == PLANARCONFIG_SEPARATE ? spp : 1, perPixel = planes == 1 ? spp : 1;
    if (line.size() < size_t(w) * perPixel * bytes) return {};
    for (int plane = 0; plane < planes; ++plane)
        for (uint32_t y = 0; y < h; ++y) {
            if (TIFFReadScanline(tif.get(), line.data(), y, static_cast<uint16_t>(plane)) < 0)
                throw ImageError(named(what, "not a readable TIFF (corrupt or truncated)"));
            auto* row = out.ptr<float>(static_cast<int>(y));
            for (uint32_t x = 0; x < w; ++x)
                for (int k = 0; k < perPixel; ++k) {
                    const uint8_t* v = line.data() + (size_t(x) * perPixel + k) * bytes;
                    float f;
                    if (bytes == 8) {
                        double d;
                        std::memcpy(&d, v, 8);
                        f = static_cast<float>(d);
                    } else {
                        std::memcpy(&f, v, 4);
                    }
                    const int c = planes == 1 ? k : plane;
                    row[size_t(x) * spp + ((spp >= 3 && c < 3) ? 2 - c : c)] = f;   // RGB(A) -> BGR(A)
                }
        }
    return out;
}

// Any depth and channel count OpenCV hands back (BGR order) to 8-bit RGB, alpha on white.
cv::Mat toRgb8(const cv::Mat& decoded, const std::string& what)
{
    cv::Mat m8;
    switch (decoded.depth()) {
    case CV_8U: m8 = decoded; break;
    case CV_16U: decoded.convertTo(m8, CV_8U, 1.0 / 257.0); break;
    case CV_32F:
    case CV_64F: decoded.convertTo(m8, CV_8U, 255.0); break;   // [0, 1], saturated
    default: throw ImageError(named(what, "unsupported sample format (signed integers)"));
    }
    cv::Mat rgb;
    const int ch = m8.channels();
    if (ch == 1) {
        cv::cvtColor(m8, rgb, cv::COLOR_GRAY2RGB);
    } else if (ch == 3) {
        cv::cvtColor(m8, rgb, cv::COLOR_BGR2RGB);
    } else if (ch == 2 || ch == 4) {
        rgb.create(m8.rows, m8.cols, CV_8UC3);
        for (int y = 0; y < m8.rows; ++y) {
            const uint8_t* s = m8.ptr<uint8_t>(y);
            uint8_t* d = rgb.ptr<uint8_t>(y);
            for (int x = 0; x < m8.cols; ++x, s += ch, d += 3) {
                const int a = s[ch - 1], white = 255 * (255 - a) + 127;
                for (int c = 0; c < 3; ++c) {
                    const int v = ch == 2 ? s[0] : s[2 - c];
                    d[c] = static_cast<uint8_t>((v * a + white) / 255);
                }
            }
        }
    } else {
        throw ImageError(named(what, "unsupported image (" + std::to_string(ch) + " channels)"));
    }
    return rgb;
}

// Everything decodeImage says, as an OpenCV matrix (CV_8UC3, RGB).
cv::Mat decodeRgbMat(const void* data, size_t bytes, const std::string& what)
{
    const auto* p = static_cast<const uint8_t*>(data);
    if (!p || bytes == 0)
        throw ImageError(named(what, "empty (no image data)"));
    if (bytes > kMaxFileBytes)
        throw ImageError(named(what, "larger than 512 MiB"));
    try {
        requireDecodableSize(p, bytes);
    } catch (const ImageError& e) {
        throw ImageError(named(what, e.what()));
    }
    const Format format = sniffFormat(p, bytes);
    cv::Mat decoded;
    int orientation = 1;   // still to apply after decoding
    if (format == Format::Gif) {
        decoded = decodeGif(p, bytes, what);
    } else {
        if (format == Format::Jpeg && !jpegIsComplete(p, bytes))
            throw ImageError(named(what, "truncated (the JPEG data ends before its end-of-image marker)"));
        TiffFields tiff;
        if (format == Format::Tiff && readTiffFields(p, bytes, &tiff) && tiff.sampleFormat == 3 && tiff.bitsPerSample == 64) {
            decoded = decodeFloatTiff(p, bytes, what);
            orientation = tiff.orientation >= 1 && tiff.orientation <= 8 ? static_cast<int>(tiff.orientation) : 1;
        } else {
            // JPEG as colour: OpenCV applies its EXIF orientation and converts grey and CMYK;
            // BMP too (a 32-bit BMP's fourth byte is often unused, not alpha). The rest
            // unchanged, to keep alpha and 16-bit depth: OpenCV then applies no EXIF orientation
            // but a TIFF's own (libtiff), so a PNG's eXIf is applied below.
            const int flags = format == Format::Jpeg || format == Format::Bmp ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED;
            const cv::Mat raw(1, static_cast<int>(bytes), CV_8UC1, const_cast<uint8_t*>(p));
            try {
                decoded = codecs::decode(raw, flags);
            } catch (const cv::Exception& e) {
                decodeFailed(e, what);
            }
            if (format == Format::Png)
                orientation = pngOrientation(p, bytes);
        }
    }
    if (decoded.empty())
        throw ImageError(named(what, "not a readable image (corrupt, truncated or an unsupported format)"));
    if (int64_t(decoded.cols) * decoded.rows > kMaxImagePixels)
        throw ImageError(named(what, "image too large (" + std::to_string(decoded.cols) + "×" +
                                         std::to_string(decoded.rows) + " pixels)"));
    cv::Mat rgb = toRgb8(decoded, what);
    applyOrientation(rgb, orientation);
    return rgb;
}

} // namespace

RgbImage decodeImage(const void* data, size_t bytes, const std::string& what)
{
    const cv::Mat rgb = decodeRgbMat(data, bytes, what);
    RgbImage out;
    out.width = rgb.cols;
    out.height = rgb.rows;
    out.rgb.resize(static_cast<size_t>(rgb.cols) * rgb.rows * 3);
    rgb.copyTo(cv::Mat(rgb.rows, rgb.cols, CV_8UC3, out.rgb.data()));
    return out;
}

RgbImage decodeImageFile(const std::string& path)
{
    const auto buf = readImageFileBytes(path);
    return decodeImage(buf.data(), buf.size(), path);
}

std::vector<uint8_t> readImageFileBytes(const std::string& path)
{
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        throw ImageError(path + ": no such file");
    if (S_ISDIR(st.st_mode))
        throw ImageError(path + ": is a folder, not an image file");
    if (!S_ISREG(st.st_mode))
        throw ImageError(path + ": not a regular file (a pipe, socket or device is never read)");
    if (static_cast<size_t>(st.st_size) > kMaxFileBytes)
        throw ImageError(path + ": larger than 512 MiB");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ImageError(path + ": cannot be read");
    std::vector<uint8_t> buf(static_cast<size_t>(st.st_size));
    if (!buf.empty() && !in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size())))
        throw ImageError(path + ": cannot be read");
    if (buf.empty())
        throw ImageError(path + ": empty file");
    return buf;
}

PreparedImage prepareImageBytes(const void* data, size_t bytes, int size, ResizeMode mode)
{
    return fromRgb(decodeRgbMat(data, bytes, "image data"), size, mode);
}

PreparedImage prepareImageFile(const std::string& path, int size, ResizeMode mode)
{
    const auto buf = readImageFileBytes(path);
    return fromRgb(decodeRgbMat(buf.data(), buf.size(), path), size, mode);
}

PreparedImage prepareImageRGB(const uint8_t* rgb, int width, int height, int stride, int size, ResizeMode mode)
{
    if (!rgb || width <= 0 || height <= 0 || stride < 3 * width)
        throw ImageError("image buffer is empty or malformed");
    if (static_cast<int64_t>(width) * height > kMaxImagePixels)
        throw ImageError("image is larger than 100 megapixels");
    cv::Mat m(height, width, CV_8UC3, const_cast<uint8_t*>(rgb), static_cast<size_t>(stride));
    return fromRgb(m, size, mode);
}

PreparedImage greyImage(int size)
{
    const std::vector<uint8_t> rgb(static_cast<size_t>(size) * size * 3, 128);
    return prepareImageRGB(rgb.data(), size, size, size * 3, size);
}

} // namespace ember
