// libembervlm_codecs.so: the one place that links OpenCV's imgcodecs (image_codecs.h says why).
// C entry points, looked up by name; the types are the caller's own (same compiler, same OpenCV).
#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

namespace {

thread_local std::string gError;

template <class F>
int guarded(F&& f)
{
    try {
        f();
        return 0;
    } catch (const cv::Exception& e) {
        gError = e.err;   // the message alone, as the caller would read it from cv::Exception::err
        return 1;
    }
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) int embervlm_codecs_decode(const cv::Mat* bytes, int flags, cv::Mat* out)
{
    return guarded([&] { *out = cv::imdecode(*bytes, flags); });
}

__attribute__((visibility("default"))) int embervlm_codecs_encode_jpeg(const cv::Mat* image, int quality,
                                                                       std::vector<uchar>* out)
{
    return guarded([&] { cv::imencode(".jpg", *image, *out, {cv::IMWRITE_JPEG_QUALITY, quality}); });
}

__attribute__((visibility("default"))) const char* embervlm_codecs_error() { return gError.c_str(); }

} // extern "C"
