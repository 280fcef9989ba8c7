#pragma once
// safetensors files (8-byte little-endian header length, JSON header, raw little-endian data).
// Torch-free: the checkpoint layer turns views into tensors.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ember {

// F32, F16, BF16 and I64 are what checkpoints hold; the others are read (from safetensors and
// PyTorch files) so that a buffer of another type does not make a whole file unreadable.
enum class DType { F32, F16, BF16, I64, F64, I32, I16, I8, U8, BOOL };
const char* dtypeName(DType t);   // safetensors' names: "F32", "BOOL", ...
size_t dtypeSize(DType t);
bool dtypeIsFloating(DType t);

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const uint8_t* data = nullptr;
    size_t nbytes = 0;
    int64_t numel() const;
};

// A file of named tensors, mapped read-only: a safetensors file or a PyTorch state dict
// (torch_state_dict.h). The views point into the mapping (or into buffers the file owns) and
// live as long as the object.
class TensorFile {
public:
    virtual ~TensorFile();
    TensorFile(const TensorFile&) = delete;
    TensorFile& operator=(const TensorFile&) = delete;

    virtual const char* formatName() const = 0;   // "safetensors", "PyTorch"
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const std::vector<TensorView>& tensors() const { return tensors_; }   // in file order
    const TensorView* find(const std::string& name) const;
    const std::string& path() const { return path_; }

protected:
    TensorFile() = default;
    // Maps path read-only into map_/mapSize_ (unmapped by the destructor); throws for a file that
    // cannot be opened, is not a regular file, or is shorter than minSize bytes (saying `what`).
    void mapFile(const std::string& path, uint64_t minSize, const char* what);
    void buildIndex();   // index_ from tensors_
    std::string path_;
    void* map_ = nullptr;
    size_t mapSize_ = 0;
    std::map<std::string, std::string> metadata_;
    std::vector<TensorView> tensors_;
    std::map<std::string, size_t> index_;
};

class SafetensorsFile final : public TensorFile {
public:
    // Maps the file and validates the whole header; throws std::runtime_error with one clear
    // sentence (naming the tensor where one is at fault) for any malformed input.
    static std::unique_ptr<SafetensorsFile> open(const std::string& path);
    const char* formatName() const override { return "safetensors"; }

private:
    SafetensorsFile() = default;
};

struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const void* data = nullptr;
    size_t nbytes = 0;
};

// Writes to "<path>.tmp", flushes, then renames over path, so a crash or a full disk never
// leaves a half-written file under the real name. Tensors are written sorted by name.
void writeSafetensors(const std::string& path, std::vector<TensorToWrite> tensors,
                      const std::map<std::string, std::string>& metadata);

// Largest header accepted (the real ones are ~100 KB); larger ones are rejected unread.
constexpr uint64_t kMaxSafetensorsHeader = 64ull << 20;

} // namespace ember
