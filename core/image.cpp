#include "image.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
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

PreparedImage fromDecoded(const cv::Mat& decoded, int size, ResizeMode mode, const std::string& what)
{
    if (decoded.empty())
        throw ImageError(what + ": not a readable image (corrupt, truncated or an unsupported format)");
    cv::Mat rgb;
    if (decoded.channels() == 1)
        cv::cvtColor(decoded, rgb, cv::COLOR_GRAY2RGB);
    else if (decoded.channels() == 4)
        cv::cvtColor(decoded, rgb, cv::COLOR_BGRA2RGB);
    else
        cv::cvtColor(decoded, rgb, cv::COLOR_BGR2RGB);
    if (rgb.depth() != CV_8U)
        rgb.convertTo(rgb, CV_8U, rgb.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
    return fromRgb(rgb, size, mode);
}

} // namespace

ResizeMode resizeModeFromString(const std::string& s)
{
    if (s == "resize") return ResizeMode::Resize;
    if (s == "crop") return ResizeMode::CenterCrop;
    if (s == "pad") return ResizeMode::Pad;
    throw std::invalid_argument("unknown resize mode '" + s + "' (expected resize, crop or pad)");
}

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

// OpenCV's own pixel limit fires as an assertion; name the cause instead.
[[noreturn]] void decodeFailed(const cv::Exception& e, const std::string& what)
{
    if (e.err.find("CV_IO_MAX_IMAGE_PIXELS") != std::string::npos)
        throw ImageError(what + ": image too large");
    throw ImageError(what + ": could not be decoded (" + e.err + ")");
}

} // namespace

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
    if (!data || bytes == 0)
        throw ImageError("image data is empty");
    if (bytes > kMaxFileBytes)
        throw ImageError("image data is larger than 512 MiB");
    requireDecodableSize(static_cast<const uint8_t*>(data), bytes);
    cv::Mat raw(1, static_cast<int>(bytes), CV_8UC1, const_cast<void*>(data));
    cv::Mat decoded;
    try {
        decoded = cv::imdecode(raw, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
    } catch (const cv::Exception& e) {
        decodeFailed(e, "image data");
    }
    return fromDecoded(decoded, size, mode, "image data");
}

PreparedImage prepareImageFile(const std::string& path, int size, ResizeMode mode)
{
    auto buf = readImageFileBytes(path);
    try {
        requireDecodableSize(buf.data(), buf.size());
    } catch (const ImageError& e) {
        throw ImageError(path + ": " + e.what());
    }
    cv::Mat raw(1, static_cast<int>(buf.size()), CV_8UC1, buf.data());
    cv::Mat decoded;
    try {
        decoded = cv::imdecode(raw, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
    } catch (const cv::Exception& e) {
        decodeFailed(e, path);
    }
    return fromDecoded(decoded, size, mode, path);
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
