#pragma once
// Real-size photographs for the studio benchmark: N JPEG files of 1600×1200 pixels and about
// 200 KB each (smooth light, shapes and sensor-like noise), as a phone or a dataset brings them.
// Encoding 100,000 of them would take the benchmark's whole budget, so kBases pictures are
// encoded once and each file carries its own JPEG comment segment: every file has its own
// bytes and SHA-256 (the store keeps each), and decodes to a real photograph's work.
#include <cstdint>
#include <string>

namespace ember::bench {

struct PhotoFolder {
    std::string dir;
    int64_t files = 0;
    int64_t bytes = 0;
    double seconds = 0;   // spent writing (0 when the folder was already complete)
};

// Writes dir/photo-000000.jpg … (tag makes two folders' files differ); a folder that already
// holds n files named so is kept as it is.
PhotoFolder makePhotoFolder(const std::string& dir, int64_t n, const std::string& tag);

} // namespace ember::bench
