#include "safetensors.h"

#include "atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ember {

using nlohmann::json;

const char* dtypeName(DType t)
{
    switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
    case DType::F64: return "F64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::BOOL: return "BOOL";
    }
    return "?";
}

size_t dtypeSize(DType t)
{
    switch (t) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I64: return 8;
    case DType::F64: return 8;
    case DType::I32: return 4;
    case DType::I16: return 2;
    case DType::I8: return 1;
    case DType::U8: return 1;
    case DType::BOOL: return 1;
    }
    return 0;
}

bool dtypeIsFloating(DType t)
{
    return t == DType::F32 || t == DType::F16 || t == DType::BF16 || t == DType::F64;
}

int64_t TensorView::numel() const
{
    int64_t n = 1;
    for (auto s : shape)
        n *= s;
    return n;
}

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what)
{
    throw std::runtime_error(path + ": " + what);
}

bool parseDType(const std::string& s, DType& out)
{
    for (DType t : {DType::F32, DType::F16, DType::BF16, DType::I64, DType::F64, DType::I32, DType::I16, DType::I8,
                    DType::U8, DType::BOOL})
        if (s == dtypeName(t)) {
            out = t;
            return true;
        }
    return false;
}

// The JSON header object that follows the little-endian 8-byte length; sets headerLen.
json parseHeader(const std::string& path, const uint8_t* bytes, uint64_t size, uint64_t& headerLen)
{
    headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | bytes[i];
    if (headerLen > kMaxSafetensorsHeader)
        fail(path, "header length " + std::to_string(headerLen) + " exceeds the " +
                       std::to_string(kMaxSafetensorsHeader >> 20) + " MiB limit (not a safetensors file?)");
    if (headerLen > size - 8)
        fail(path, "truncated: header length " + std::to_string(headerLen) + " runs past the end of the " +
                       std::to_string(size) + "-byte file");
    json header;
    try {
        header = json::parse(bytes + 8, bytes + 8 + headerLen);
    } catch (const json::exception& e) {
        fail(path, std::string("header is not valid JSON (") + e.what() + ")");
    }
    if (!header.is_object())
        fail(path, "header is not a JSON object");
    return header;
}

void readMetadata(const std::string& path, const json& e, std::map<std::string, std::string>& out)
{
    if (!e.is_object())
        fail(path, "__metadata__ is not an object");
    for (auto m2 = e.begin(); m2 != e.end(); ++m2) {
        if (!m2.value().is_string())
            fail(path, "metadata value '" + m2.key() + "' is not a string");
        out[m2.key()] = m2.value().get<std::string>();
    }
}

// Fills `shape` from the header's list; returns the element count.
uint64_t readShape(const std::string& path, const std::string& name, const json& list, std::vector<int64_t>& shape)
{
    if (!list.is_array())
        fail(path, "tensor '" + name + "': shape is not a list");
    uint64_t numel = 1;
    for (const auto& d : list) {
        if (!d.is_number_unsigned())
            fail(path, "tensor '" + name + "': shape entries must be non-negative integers");
        const auto dim = d.get<uint64_t>();
        if (dim > (1ull << 40) || (dim && numel > (1ull << 40) / dim))
            fail(path, "tensor '" + name + "': shape is implausibly large");
        numel *= dim;
        shape.push_back(static_cast<int64_t>(dim));
    }
    return numel;
}

// One tensor's header entry, checked against the data section [data, data + dataSize).
TensorView readTensorEntry(const std::string& path, const std::string& name, const json& e, const uint8_t* data,
                           uint64_t dataSize)
{
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
        fail(path, "tensor '" + name + "': header entry needs dtype, shape and data_offsets");
    TensorView v;
    v.name = name;
    if (!e["dtype"].is_string() || !parseDType(e["dtype"].get<std::string>(), v.dtype))
        fail(path, "tensor '" + name + "': unsupported dtype " + e["dtype"].dump() +
                       " (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
    const uint64_t numel = readShape(path, name, e["shape"], v.shape);
    const auto& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
        fail(path, "tensor '" + name + "': data_offsets must be two non-negative integers");
    const auto begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > dataSize)
        fail(path, "tensor '" + name + "': data [" + std::to_string(begin) + ", " + std::to_string(end) +
                       ") runs past the end of the data (" + std::to_string(dataSize) + " bytes; file truncated?)");
    const uint64_t want = numel * dtypeSize(v.dtype);
    if (end - begin != want)
        fail(path, "tensor '" + name + "': holds " + std::to_string(end - begin) + " bytes, its shape and dtype need " +
                       std::to_string(want));
    v.data = data + begin;
    v.nbytes = static_cast<size_t>(want);
    return v;
}

} // namespace

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path)
{
    std::unique_ptr<SafetensorsFile> f(new SafetensorsFile);
    f->path_ = path;
    // Owned by f from here on, so the destructor unmaps it if validation throws.
    f->mapFile(path, 8, "not even a header length");
    const auto* bytes = static_cast<const uint8_t*>(f->map_);
    uint64_t headerLen = 0;
    const json header = parseHeader(path, bytes, f->mapSize_, headerLen);
    const uint8_t* data = bytes + 8 + headerLen;
    const uint64_t dataSize = f->mapSize_ - 8 - headerLen;

    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        if (name == "__metadata__") {
            readMetadata(path, it.value(), f->metadata_);
            continue;
        }
        TensorView v = readTensorEntry(path, name, it.value(), data, dataSize);
        f->index_[name] = f->tensors_.size();
        f->tensors_.push_back(std::move(v));
    }
    std::sort(f->tensors_.begin(), f->tensors_.end(),
              [](const TensorView& a, const TensorView& b) { return a.data < b.data; });
    f->buildIndex();
    return f;
}

TensorFile::~TensorFile()
{
    if (map_)
        munmap(map_, mapSize_);
}

void TensorFile::mapFile(const std::string& path, uint64_t minSize, const char* what)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(path, "not a regular file");
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size < minSize) {
        ::close(fd);
        fail(path, "truncated: " + std::to_string(size) + " bytes, " + what);
    }
    void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED)
        fail(path, std::string("cannot map: ") + std::strerror(errno));
    map_ = m;
    mapSize_ = static_cast<size_t>(size);
}

void TensorFile::buildIndex()
{
    index_.clear();
    for (size_t i = 0; i < tensors_.size(); ++i)
        index_[tensors_[i].name] = i;
}

const TensorView* TensorFile::find(const std::string& name) const
{
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

void writeSafetensors(const std::string& path, std::vector<TensorToWrite> tensors,
                      const std::map<std::string, std::string>& metadata)
{
    std::sort(tensors.begin(), tensors.end(),
              [](const TensorToWrite& a, const TensorToWrite& b) { return a.name < b.name; });
    json header = json::object();
    if (!metadata.empty()) {
        json m = json::object();
        for (const auto& [k, v] : metadata)
            m[k] = v;
        header["__metadata__"] = m;
    }
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        header[t.name] = {{"dtype", dtypeName(t.dtype)},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + t.nbytes}}};
        offset += t.nbytes;
    }
    std::string h = header.dump();
    // Pad the header with spaces to 8 bytes so the data that follows is aligned.
    while ((h.size() % 8) != 0)
        h.push_back(' ');

    AtomicFile out(path);   // the previous file stays until the new one is whole on disk
    uint8_t len[8];
    const uint64_t n = h.size();
    for (int i = 0; i < 8; ++i)
        len[i] = static_cast<uint8_t>(n >> (8 * i));
    out.write(len, 8);
    out.write(h);
    for (const auto& t : tensors)
        if (t.nbytes)
            out.write(t.data, t.nbytes);
    out.commit();
}

} // namespace ember
