#pragma once
// Checkpoints: EmberVLM models in safetensors with MODEL.md's metadata. Internal (torch).
#include "model.h"
#include "safetensors.h"
#include "torch_state_dict.h"

#include <map>
#include <string>
#include <vector>

namespace ember {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Raw tensor I/O, dtype preserved (every DType): write then read is bit-exact.
NamedTensors readTensors(const TensorFile& file);
void writeTensors(const std::string& path, const NamedTensors& tensors,
                  const std::map<std::string, std::string>& metadata);
torch::Tensor toTensor(const TensorView& v);

struct CheckpointMeta {
    ModelConfig config;
    std::map<std::string, std::string> raw;   // every metadata entry
    bool trained = false;
    std::vector<std::string> warnings;   // e.g. the config was read from the tensors' shapes
};

// The model config a state dict implies: sizes from the tensors' shapes, the rest (n_head, image
// size, ...) from configJson's keys where it has them (ours or GPT-2's names), else defaults, with a
// warning for each guess.
ModelConfig configFromShapes(const TensorFile& file, const std::string& configJson, std::vector<std::string>* warnings);
// Reads metadata["config"]; a file without format "embervlm" is refused with a message. A config that
// is missing or not ours (unknown keys) is read from the shapes instead, with meta.warnings saying so.
// A PyTorch state dict has no metadata: one holding EmberVLM's tensor names is read with the config
// from its shapes (and a warning); others (timm, GPT-2) are refused with a pointer to convert.
CheckpointMeta readCheckpointMeta(const TensorFile& file);
// Throws when the config asks for more parameters than the file's tensors could hold, before
// anything is allocated for them.
void requireStorageFor(const ModelConfig& cfg, const TensorFile& file);
// Copies every tensor into the model, strictly: a missing or unexpected tensor or a wrong shape
// throws std::runtime_error naming the tensor, the shape found and the shape expected; so does a
// tensor holding NaN or infinity.
void loadState(EmberVLMImpl& model, const TensorFile& file);
// Builds the model the checkpoint describes and loads it: a safetensors checkpoint or a PyTorch
// state dict (torch.save) of an EmberVLM model, told apart by content.
EmberVLM loadCheckpointFile(const std::string& path, CheckpointMeta* meta = nullptr);
// Writes the model's state dict (tied head omitted) with format, config and robot labels.
void saveCheckpointFile(const std::string& path, const EmberVLMImpl& model,
                        std::map<std::string, std::string> extraMeta = {}, DType floatType = DType::F32);

std::string shapeString(const std::vector<int64_t>& shape);

} // namespace ember
