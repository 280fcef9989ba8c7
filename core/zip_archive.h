#pragma once
// The directory of a zip archive held in memory (a mapped file), as torch.save writes them.
// Torch-free. Errors throw std::runtime_error naming the path.
#include <cstdint>
#include <string>
#include <vector>

namespace ember {

struct ZipEntry {
    std::string name;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressedSize = 0;
    uint64_t size = 0;
    const uint8_t* data = nullptr;   // compressedSize bytes inside the mapped file
};

// The central directory, every entry checked against the file's bounds. Sizes and offsets come
// from the central directory, not the local headers (torch.save leaves those zero and writes
// data descriptors). Zip64 records are followed for archives over 4 GiB.
std::vector<ZipEntry> readZipDirectory(const std::string& path, const uint8_t* b, uint64_t size);

// The CRC-32 a zip entry carries.
uint32_t crc32(const uint8_t* data, uint64_t n);

} // namespace ember
