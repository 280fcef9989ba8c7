#pragma once
// Importers for pretrained weights (MODEL.md "Importers"): a timm repvit_m0_9 state dict and a
// Hugging Face GPT-2 state dict, both safetensors, into an EmberVLM checkpoint.
#include <string>
#include <vector>

namespace ember {

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

} // namespace ember
