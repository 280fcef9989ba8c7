#include "image_codecs.h"

#include <dlfcn.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace ember::codecs {

namespace {

struct Plugin {
    int (*decode)(const cv::Mat*, int, cv::Mat*) = nullptr;
    int (*encodeJpeg)(const cv::Mat*, int, std::vector<uchar>*) = nullptr;
    const char* (*error)() = nullptr;
    std::string failure;
};

std::string selfDir()
{
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    const std::string p(buf, n > 0 ? static_cast<size_t>(n) : 0);
    return p.substr(0, p.find_last_of('/'));
}

const Plugin& plugin()
{
    static Plugin p;
    static std::once_flag once;
    std::call_once(once, [] {
        // lib/embervlm beside bin/ (the build tree and an install alike), else the loader's path.
        void* h = dlopen((selfDir() + "/../lib/embervlm/libembervlm_codecs.so").c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!h)
            h = dlopen("libembervlm_codecs.so", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            p.failure = std::string("the image codecs (libembervlm_codecs.so) cannot be loaded: ") + dlerror();
            return;
        }
        p.decode = reinterpret_cast<decltype(p.decode)>(dlsym(h, "embervlm_codecs_decode"));
        p.encodeJpeg = reinterpret_cast<decltype(p.encodeJpeg)>(dlsym(h, "embervlm_codecs_encode_jpeg"));
        p.error = reinterpret_cast<decltype(p.error)>(dlsym(h, "embervlm_codecs_error"));
        if (!p.decode || !p.encodeJpeg || !p.error)
            p.failure = "libembervlm_codecs.so is not this version's (install EmberVLM Studio again)";
    });
    if (!p.failure.empty())
        throw std::runtime_error(p.failure);
    return p;
}

[[noreturn]] void rethrow(const Plugin& p, const char* func)
{
    throw cv::Exception(cv::Error::StsError, p.error(), func, __FILE__, __LINE__);
}

} // namespace

cv::Mat decode(const cv::Mat& bytes, int flags)
{
    const Plugin& p = plugin();
    cv::Mat out;
    if (p.decode(&bytes, flags, &out) != 0)
        rethrow(p, "imdecode");
    return out;
}

std::vector<uint8_t> encodeJpeg(const cv::Mat& image, int quality)
{
    const Plugin& p = plugin();
    std::vector<uchar> out;
    if (p.encodeJpeg(&image, quality, &out) != 0)
        rethrow(p, "imencode");
    return out;
}

} // namespace ember::codecs
