#include "photo_folder.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace ember::bench {

namespace {

constexpr int kWidth = 1600, kHeight = 1200, kBases = 48;
constexpr size_t kTargetBytes = 200 * 1024;

// Sky-to-ground light, a few shapes, and noise: JPEG sizes like a photograph's, not a flat card's.
cv::Mat basePicture(int index)
{
    std::mt19937 rng(static_cast<uint32_t>(index) * 7919u + 17u);
    std::uniform_int_distribution<int> u(0, 255);
    cv::Mat img(kHeight, kWidth, CV_8UC3);
    const cv::Vec3b top(u(rng), u(rng), u(rng)), bottom(u(rng), u(rng), u(rng));
    for (int y = 0; y < kHeight; ++y) {
        const double t = static_cast<double>(y) / kHeight;
        const cv::Vec3b c(static_cast<uchar>(top[0] * (1 - t) + bottom[0] * t), static_cast<uchar>(top[1] * (1 - t) + bottom[1] * t),
                          static_cast<uchar>(top[2] * (1 - t) + bottom[2] * t));
        img.row(y).setTo(c);
    }
    for (int s = 0; s < 24; ++s) {
        const cv::Scalar colour(u(rng), u(rng), u(rng));
        const cv::Point p(u(rng) * kWidth / 256, u(rng) * kHeight / 256);
        if (s % 3 == 0)
            cv::circle(img, p, 20 + u(rng), colour, cv::FILLED, cv::LINE_AA);
        else if (s % 3 == 1)
            cv::rectangle(img, p, p + cv::Point(40 + 2 * u(rng), 30 + u(rng)), colour, cv::FILLED);
        else
            cv::line(img, p, cv::Point(u(rng) * kWidth / 256, u(rng) * kHeight / 256), colour, 3 + u(rng) % 8, cv::LINE_AA);
    }
    cv::GaussianBlur(img, img, cv::Size(0, 0), 1.5);
    cv::Mat noise(img.size(), CV_16SC3);
    cv::randn(noise, 0, 6);
    cv::Mat out;
    img.convertTo(out, CV_16SC3);
    out += noise;
    out.convertTo(img, CV_8UC3);
    return img;
}

// The quality that brings the picture nearest to kTargetBytes.
std::vector<uint8_t> encodeNear(const cv::Mat& img)
{
    std::vector<uint8_t> best;
    for (int q : {92, 88, 84, 80, 76, 70, 64, 56, 48}) {
        std::vector<uint8_t> jpeg;
        cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, q});
        best = std::move(jpeg);
        if (best.size() <= kTargetBytes * 11 / 10)
            break;
    }
    return best;
}

std::string fileName(int64_t i)
{
    char name[32];
    std::snprintf(name, sizeof name, "photo-%06lld.jpg", static_cast<long long>(i));
    return name;
}

} // namespace

PhotoFolder makePhotoFolder(const std::string& dir, int64_t n, const std::string& tag)
{
    PhotoFolder out;
    out.dir = dir;
    fs::create_directories(dir);
    int64_t present = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".jpg")
            ++present;
    const bool complete = present == n && fs::exists(fs::path(dir) / fileName(n - 1));
    const auto start = std::chrono::steady_clock::now();
    if (!complete) {
        std::vector<std::vector<uint8_t>> bases;
        for (int b = 0; b < kBases; ++b)
            bases.push_back(encodeNear(basePicture(b)));
        for (int64_t i = 0; i < n; ++i) {
            const std::vector<uint8_t>& base = bases[static_cast<size_t>(i % kBases)];
            // SOI, then a COM segment naming this file, then the rest of the picture.
            const std::string comment = "embervlm-bench " + tag + " " + std::to_string(i);
            const size_t len = comment.size() + 2;
            std::vector<uint8_t> bytes(base.begin(), base.begin() + 2);
            bytes.insert(bytes.end(), {0xFF, 0xFE, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len & 0xFF)});
            bytes.insert(bytes.end(), comment.begin(), comment.end());
            bytes.insert(bytes.end(), base.begin() + 2, base.end());
            std::ofstream f(fs::path(dir) / fileName(i), std::ios::binary);
            f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
            if (!f)
                throw std::runtime_error("cannot write " + (fs::path(dir) / fileName(i)).string());
        }
        out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".jpg") {
            ++out.files;
            out.bytes += static_cast<int64_t>(e.file_size());
        }
    return out;
}

} // namespace ember::bench
