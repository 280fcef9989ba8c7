#pragma once
// Image decoding and preprocessing (MODEL.md "Preprocessing") with OpenCV. No torch, no Qt.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember {

enum class ResizeMode {
    Resize,       // stretch to size×size (the contract's default)
    CenterCrop,   // scale the short side to size, crop the centre
    Pad           // scale the long side to size, pad with the ImageNet mean (zeros after normalising)
};
ResizeMode resizeModeFromString(const std::string& s);   // "resize" | "crop" | "pad"

struct ImageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A normalised image ready for the vision encoder: CHW float32, RGB, ImageNet mean/std.
struct PreparedImage {
    int size = 0;
    int originalWidth = 0, originalHeight = 0;
    std::vector<float> chw;   // 3 * size * size
    bool empty() const { return chw.empty(); }
};

// Largest image accepted, in pixels; larger ones are refused with a message, never decoded.
constexpr int64_t kMaxImagePixels = 100'000'000;

// Width and height from a PNG, JPEG, BMP, GIF, TIFF or WebP header without decoding; false for
// other formats (or a header too short to say). Lets a huge image be refused, with its size,
// before decoding.
bool imageHeaderSize(const uint8_t* data, size_t bytes, int64_t* width, int64_t* height);
// Throws ImageError "image too large (W×H)" when the header names more than kMaxImagePixels.
void requireDecodableSize(const uint8_t* data, size_t bytes);
// The bytes of an image file: refused (ImageError) unless it is a regular file of at most
// 512 MiB, so a FIFO, a device such as /dev/zero or a directory never blocks or fills memory.
std::vector<uint8_t> readImageFileBytes(const std::string& path);

// A decoded picture as a viewer shows it: 8-bit RGB, upright, rows packed (3 × width bytes).
struct RgbImage {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;
    bool empty() const { return rgb.empty(); }
};

// The one decoder behind every path: import and thumbnails, the model (prepareImage*) and the
// studio's views, so they all see the same picture. PNG, JPEG (grey and CMYK too), BMP, WebP,
// PNM, TIFF (the first page; 8/16-bit and float samples), GIF (the first frame, by giflib).
// EXIF orientation is applied (JPEG, PNG eXIf, TIFF): a phone photo held upright comes out
// upright, as image viewers show it. 16-bit samples are scaled to 8 bits (v / 257), float ones
// from [0, 1]; grey and palette images are expanded to RGB; transparency is composited on white.
// Throws ImageError, its message starting with "`what`: " (nothing when `what` is empty), for
// a truncated JPEG (no end-of-image marker), a corrupt, unsupported or empty file, or an image
// over kMaxImagePixels (refused from its header, before decoding, where the header says).
RgbImage decodeImage(const void* data, size_t bytes, const std::string& what);
// readImageFileBytes, then decodeImage named by the path.
RgbImage decodeImageFile(const std::string& path);

PreparedImage prepareImageFile(const std::string& path, int size, ResizeMode mode = ResizeMode::Resize);
PreparedImage prepareImageBytes(const void* data, size_t bytes, int size, ResizeMode mode = ResizeMode::Resize);
// Packed RGB888 rows of `stride` bytes.
PreparedImage prepareImageRGB(const uint8_t* rgb, int width, int height, int stride, int size,
                              ResizeMode mode = ResizeMode::Resize);
// A uniform grey picture (RGB 128, 128, 128) of size×size, prepared like any other: what a model
// sees when the image carries no information (the blind baselines of `embervlm eval`).
PreparedImage greyImage(int size);

} // namespace ember
