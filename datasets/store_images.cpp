// Workspace images: storing files by content hash, thumbnails, image lookups.
#include "workspace.h"

#include "atomic_file.h"

#include "content_hash.h"
#include "image.h"

#include "image_codecs.h"
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace fs = std::filesystem;

namespace ember::data {

namespace {

constexpr int kThumbnailSide = 96;   // long side of the list views' thumbnails

std::string lowerExt(const std::string& path)
{
    std::string e = fs::path(path).extension().string();
    if (!e.empty() && e[0] == '.') e.erase(0, 1);
    for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e == "jpeg" ? "jpg" : e;
}

} // namespace

StoredImage Workspace::storeImageFile(const std::string& path, const std::string& expectedSha256)
{
    const auto bytes = ember::readImageFileBytes(path);   // regular files only: never a FIFO or /dev/zero
    if (!expectedSha256.empty()) {
        std::string want = expectedSha256;
        std::transform(want.begin(), want.end(), want.begin(), [](unsigned char c) { return std::tolower(c); });
        const std::string have = sha256Hex(bytes.data(), bytes.size());
        if (have != want)
            throw ember::ImageError(path + ": content does not match its sha256 (expected " + want.substr(0, 12) +
                                    "…, the file has " + have.substr(0, 12) + "…)");
    }
    try {
        return storeImageBytes(bytes, lowerExt(path));
    } catch (const ember::ImageError& e) {
        throw ember::ImageError(path + ": " + e.what());
    }
}

StoredImage Workspace::storeImageBytes(const std::vector<uint8_t>& bytes, const std::string& extIn)
{
    const std::string hash = sha256Hex(bytes.data(), bytes.size());
    if (auto known = imageByHash(hash)) return {*known, false};
    if (bytes.empty()) throw ember::ImageError("empty image file");
    // The decoder the model and the views use: the stored size and the thumbnail are upright
    // (EXIF orientation), a GIF's first frame, alpha on white; a truncated file is refused.
    const ember::RgbImage decoded = ember::decodeImage(bytes.data(), bytes.size(), "");
    const cv::Mat img(decoded.height, decoded.width, CV_8UC3, const_cast<uint8_t*>(decoded.rgb.data()));
    std::string ext = extIn.empty() ? "png" : extIn;
    if (ext == "jpeg") ext = "jpg";
    const std::string rel = std::string(kImagesDir) + "/" + hash.substr(0, 2) + "/" + hash + "." + ext;
    const fs::path abs = fs::path(dir_) / rel;
    bool newFile = false;
    if (!fs::exists(abs)) {
        fs::create_directories(abs.parent_path());
        // Write then rename: a killed process never leaves a half-written image under its hash,
        // and a full disk is named as the cause.
        ember::writeFileAtomic(abs.string(), bytes.data(), bytes.size());
        newFile = true;
    }
    cv::Mat thumb;
    const double scale = static_cast<double>(kThumbnailSide) / std::max(img.cols, img.rows);
    cv::resize(img, thumb, cv::Size(), std::min(1.0, scale), std::min(1.0, scale), cv::INTER_AREA);
    cv::cvtColor(thumb, thumb, cv::COLOR_RGB2BGR);
    const std::vector<uint8_t> jpeg = codecs::encodeJpeg(thumb, 80);

    ImageInfo info;
    info.hash = hash;
    info.path = rel;
    info.width = img.cols;
    info.height = img.rows;
    info.bytes = static_cast<int64_t>(bytes.size());
    auto st = db_->prepare("INSERT INTO images(hash, path, width, height, bytes, thumbnail, created) VALUES(?,?,?,?,?,?,?)");
    st.bind(1, hash).bind(2, rel).bind(3, info.width).bind(4, info.height).bind(5, info.bytes).bindBlob(6, jpeg).bind(7, nowMs());
    st.run();
    info.id = db_->lastInsertId();
    return {info, newFile};
}

namespace {
ImageInfo readImage(Statement& st)
{
    ImageInfo i;
    i.id = st.getInt(0);
    i.hash = st.getText(1);
    i.path = st.getText(2);
    i.width = static_cast<int>(st.getInt(3));
    i.height = static_cast<int>(st.getInt(4));
    i.bytes = st.getInt(5);
    return i;
}
} // namespace

std::optional<ImageInfo> Workspace::image(int64_t imageId) const
{
    auto st = db_->prepare("SELECT id, hash, path, width, height, bytes FROM images WHERE id=?");
    st.bind(1, imageId);
    if (!st.step()) return std::nullopt;
    return readImage(st);
}

std::optional<ImageInfo> Workspace::imageByHash(const std::string& hash) const
{
    auto st = db_->prepare("SELECT id, hash, path, width, height, bytes FROM images WHERE hash=?");
    st.bind(1, hash);
    if (!st.step()) return std::nullopt;
    return readImage(st);
}

std::vector<uint8_t> Workspace::thumbnail(int64_t imageId) const
{
    auto st = db_->prepare("SELECT thumbnail FROM images WHERE id=?");
    st.bind(1, imageId);
    return st.step() ? st.getBlob(0) : std::vector<uint8_t>();
}

int64_t Workspace::imageCount() const
{
    auto st = db_->prepare("SELECT COUNT(*) FROM images");
    st.step();
    return st.getInt(0);
}

} // namespace ember::data
