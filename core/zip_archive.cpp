#include "zip_archive.h"

#include "file_errors.h"

#include <array>

namespace ember {

namespace {

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return rd16(p) | (static_cast<uint32_t>(rd16(p + 2)) << 16); }
uint64_t rd64(const uint8_t* p) { return rd32(p) | (static_cast<uint64_t>(rd32(p + 4)) << 32); }

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndOfDirectory = 0x06054b50,
                   kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint64_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30, kZip64EndSize = 56, kLocatorSize = 20;

// Where the central directory lies, and how many entries it claims.
struct DirectoryExtent {
    uint64_t count = 0, size = 0, offset = 0;
};

// The steps of readZipDirectory over one archive's bytes.
struct DirectoryReader {
    const std::string& path;
    const uint8_t* b;
    uint64_t size;

    // The end-of-directory record: the last 22 bytes, or earlier when a comment (at most 65535
    // bytes) follows it.
    uint64_t endOfDirectory() const
    {
        if (size < kEndSize)
            fail(path, "truncated: " + std::to_string(size) + " bytes, too short for a zip archive");
        const uint64_t lowest = size > kEndSize + 0xffff ? size - kEndSize - 0xffff : 0;
        for (uint64_t p = size - kEndSize + 1; p-- > lowest;)
            if (rd32(b + p) == kEndOfDirectory && p + kEndSize + rd16(b + p + 20) <= size)
                return p;
        fail(path, "the zip archive has no end-of-directory record (the file is truncated or not a zip archive)");
    }

    // From the end-of-directory record, or the zip64 one when its fields are saturated; checked
    // against the file.
    DirectoryExtent extent(uint64_t end) const
    {
        if (rd16(b + end + 4) != 0 || rd16(b + end + 6) != 0)
            fail(path, "a zip archive split over several files is not supported");
        DirectoryExtent d{rd16(b + end + 10), rd32(b + end + 12), rd32(b + end + 16)};
        if (d.count == 0xffff || d.size == 0xffffffffu || d.offset == 0xffffffffu) {
            if (end < kLocatorSize || rd32(b + end - kLocatorSize) != kZip64Locator)
                fail(path, "the zip archive's directory is marked zip64 but has no zip64 locator (damaged)");
            const uint64_t z = rd64(b + end - kLocatorSize + 8);
            if (size < kZip64EndSize || z > size - kZip64EndSize || rd32(b + z) != kZip64End)
                fail(path, "the zip64 end-of-directory record is missing or out of bounds (damaged)");
            d.count = rd64(b + z + 32);
            d.size = rd64(b + z + 40);
            d.offset = rd64(b + z + 48);
        }
        if (d.offset > size || d.size > size - d.offset)
            fail(path, "the zip directory [" + std::to_string(d.offset) + ", +" + std::to_string(d.size) +
                           ") runs past the end of the " + std::to_string(size) + "-byte file (truncated?)");
        if (d.count > d.size / kCentralSize)
            fail(path, "the zip directory claims " + std::to_string(d.count) + " entries but holds " +
                           std::to_string(d.size) + " bytes (damaged)");
        return d;
    }

    // Zip64: the saturated fields follow, in this order, in extra field 0x0001.
    void readZip64Fields(ZipEntry& e, uint64_t& local, const uint8_t* x, uint64_t extraLen) const
    {
        const uint8_t* xEnd = x + extraLen;
        while (xEnd - x >= 4) {
            const uint16_t id = rd16(x), len = rd16(x + 2);
            if (len > xEnd - x - 4)
                break;
            if (id == 0x0001) {
                const uint8_t* f = x + 4;
                auto take = [&](uint64_t& field) {
                    if (f + 8 > x + 4 + len)
                        fail(path, "zip entry '" + quoted(e.name) + "' has a short zip64 field (damaged)");
                    field = rd64(f);
                    f += 8;
                };
                if (e.size == 0xffffffffu) take(e.size);
                if (e.compressedSize == 0xffffffffu) take(e.compressedSize);
                if (local == 0xffffffffu) take(local);
            }
            x += 4 + len;
        }
    }

    // The entry's data, after the local header at `local`: inside the file, its sizes consistent.
    void locateData(ZipEntry& e, uint64_t local) const
    {
        if (local > size || size - local < kLocalSize || rd32(b + local) != kLocalHeader)
            fail(path, "zip entry '" + quoted(e.name) + "': its local header is missing or out of bounds (truncated?)");
        const uint64_t dataStart = local + kLocalSize + rd16(b + local + 26) + rd16(b + local + 28);
        if (dataStart > size || e.compressedSize > size - dataStart)
            fail(path, "zip entry '" + quoted(e.name) + "' runs past the end of the " + std::to_string(size) +
                           "-byte file (truncated?)");
        if (e.method == 0 && e.compressedSize != e.size)
            fail(path, "zip entry '" + quoted(e.name) + "' is stored with " + std::to_string(e.compressedSize) +
                           " bytes but claims " + std::to_string(e.size) + " (damaged)");
        e.data = b + dataStart;
    }

    // Directory entry i, which starts at p; p is moved past it.
    ZipEntry centralEntry(uint64_t i, uint64_t& p, uint64_t dirEnd) const
    {
        if (dirEnd - p < kCentralSize || rd32(b + p) != kCentralHeader)
            fail(path, "zip directory entry " + std::to_string(i) + " is damaged");
        const uint8_t* h = b + p;
        const uint16_t flags = rd16(h + 8);
        ZipEntry e;
        e.method = rd16(h + 10);
        e.crc = rd32(h + 16);
        e.compressedSize = rd32(h + 20);
        e.size = rd32(h + 24);
        const uint64_t nameLen = rd16(h + 28), extraLen = rd16(h + 30), commentLen = rd16(h + 32);
        uint64_t local = rd32(h + 42);
        if (dirEnd - p - kCentralSize < nameLen + extraLen + commentLen)
            fail(path, "zip directory entry " + std::to_string(i) + " runs past the directory (damaged)");
        e.name.assign(reinterpret_cast<const char*>(h + kCentralSize), nameLen);
        readZip64Fields(e, local, h + kCentralSize + nameLen, extraLen);
        p += kCentralSize + nameLen + extraLen + commentLen;
        if (flags & 1)
            fail(path, "zip entry '" + quoted(e.name) + "' is encrypted");
        locateData(e, local);
        return e;
    }
};

} // namespace

std::vector<ZipEntry> readZipDirectory(const std::string& path, const uint8_t* b, uint64_t size)
{
    const DirectoryReader r{path, b, size};
    const DirectoryExtent d = r.extent(r.endOfDirectory());
    std::vector<ZipEntry> entries;
    entries.reserve(static_cast<size_t>(d.count));
    const uint64_t dirEnd = d.offset + d.size;
    uint64_t p = d.offset;
    for (uint64_t i = 0; i < d.count; ++i)
        entries.push_back(r.centralEntry(i, p, dirEnd));
    return entries;
}

uint32_t crc32(const uint8_t* data, uint64_t n)
{
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t c = 0xffffffffu;
    for (uint64_t i = 0; i < n; ++i)
        c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

} // namespace ember
