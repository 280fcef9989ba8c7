#pragma once
// Importers for pretrained weights (MODEL.md "Importers"): a timm repvit_m0_9 state dict and a
// Hugging Face GPT-2 state dict into an EmberVLM checkpoint. Each may be safetensors or a PyTorch
// state dict (torch.save's zip archive: pytorch_model.bin, a timm .pth), told apart by content and
// read without running code (torch_state_dict.h); the same name mapping and checks apply to both.
#include <string>
#include <vector>

namespace ember {

class TensorFile;

struct ConvertOptions {
    std::string preset = "base";
    std::string configOverrides;   // JSON, may be empty
    std::string timmVision;        // path or empty
    std::string hfGpt2;            // path or empty
    std::string base;              // an EmberVLM checkpoint to start from, or empty for a seeded init
    unsigned long long seed = 0;
    std::string output;
};

// Returns one line per imported group ("vision: 305 tensors from …"). Throws with a clear
// message naming the tensor on any missing tensor or shape mismatch.
std::vector<std::string> convertCheckpoint(const ConvertOptions& options);

// What a state dict holds, by its tensor names: an EmberVLM model ("language_model.wte.weight"),
// timm RepViT weights ("stem.conv1.c.weight"), Hugging Face GPT-2 weights ("[transformer.]wte.weight"
// with "h.0.attn.c_attn.weight"), or none of these.
enum class StateDictKind { EmberVLM, TimmVision, HfGpt2, Unknown };
StateDictKind stateDictKind(const TensorFile& file);

// Opening a file as a model (the studio's Open checkpoint): timm or GPT-2 weights, in either
// format, are converted onto `base` (a checkpoint; empty: a seeded "base" model) into a new
// "<name>-imported.safetensors" in outDir, whose path is returned with a sentence saying what was
// done. Any other file comes back as it is, with no message: loading it says what is wrong.
struct OpenPlan {
    std::string path;
    std::string message;
};
OpenPlan importForOpening(const std::string& path, const std::string& outDir, const std::string& base);

} // namespace ember
