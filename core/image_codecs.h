#pragma once
// OpenCV's image codecs, opened on first use. libopencv_imgcodecs brings some 120 libraries with
// it (GDAL, GDCM, poppler, HDF5, ...) and 60 ms of start-up to every program linked with it; a
// command that never decodes an image (`embervlm --version`, `tokenize`, `data stats`) should not
// pay for them. The codecs live in a small plugin of ours, libembervlm_codecs.so in lib/embervlm
// beside the programs' bin/ (build tree and install alike), loaded by the first decode or encode.
#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace ember::codecs {

// cv::imdecode(bytes, flags); throws cv::Exception as it does, std::runtime_error when the plugin
// cannot be loaded.
cv::Mat decode(const cv::Mat& bytes, int flags);
// cv::imencode(".jpg", image, {IMWRITE_JPEG_QUALITY, quality}).
std::vector<uint8_t> encodeJpeg(const cv::Mat& image, int quality);

} // namespace ember::codecs
