#pragma once
// PyTorch state dicts: the zip archives `torch.save(model.state_dict(), path)` writes (PyTorch
// 1.6 and later; Hugging Face's pytorch_model.bin, timm's .pth), read without running any code.
// Torch-free.
//
// The archive's data.pkl is a Python pickle. We never execute it: a small interpreter builds only
// plain values (None, bools, numbers, strings, tuples, lists, dicts) and recognises a short list of
// names: collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _v3 / _rebuild_parameter
// (_with_state), torch.<Type>Storage, torch.UntypedStorage and torch dtypes. Any other name a
// pickle asks for (os.system, builtins.eval, a class) refuses the whole file, naming it.
#include "safetensors.h"

#include <memory>
#include <string>

namespace ember {

class TorchStateDict final : public TensorFile {
public:
    // Maps the archive, reads its pickle and checks every tensor against its storage (dtype,
    // bounds). Tensors are views into the mapped file; a non-contiguous one (a transposed view)
    // is copied into a contiguous buffer the object owns. The state dict is the pickle's
    // top-level dict, or, when that holds no tensors, the dict under its "state_dict" or "model"
    // key (training checkpoints). Entries that are not tensors (an epoch number) are skipped.
    // Throws std::runtime_error with one sentence, naming the file and the entry or tensor at
    // fault, for anything else: not a zip, truncated, compressed or encrypted entries, a pickle
    // asking for any other Python object, big-endian data, an unsupported storage type.
    static std::unique_ptr<TorchStateDict> open(const std::string& path);
    const char* formatName() const override { return "PyTorch"; }

    // The key the state dict was found under ("state_dict", "model"), empty for the top level.
    const std::string& nestedKey() const { return nestedKey_; }

private:
    TorchStateDict() = default;
    std::string nestedKey_;
    std::vector<std::unique_ptr<uint8_t[]>> owned_;   // contiguous copies of strided tensors
    friend struct TorchStateDictReader;
};

// True when the file starts like a zip archive ("PK\3\4" or an empty archive's "PK\5\6") or a
// PyTorch file of the legacy (pre-1.6) format; false for anything else, unreadable files included.
bool looksLikeTorchFile(const std::string& path);

// Opens a state dict in either format, picked by content (not by the file's extension): a
// PyTorch archive, else safetensors.
std::unique_ptr<TensorFile> openStateDict(const std::string& path);

// The largest data.pkl read (real ones are a few hundred KB for a 7B model); larger is refused.
constexpr uint64_t kMaxTorchPickle = 256ull << 20;

} // namespace ember
