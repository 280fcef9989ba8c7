#pragma once
// What the exporters share (internal to datasets/).
#include "exporters.h"

#include <atomic_file.h>

#include <filesystem>
#include <memory>
#include <string>

namespace ember::data::detail {

// The previous export at the same path survives a failed one: written beside it, renamed at the end.
std::unique_ptr<ember::AtomicFile> openOut(const std::string& path);

// Calls fn for each matching sample, fully loaded, in the query's order, one at a time.
void forEachSample(const Workspace& ws, const SampleQuery& q, const Progress& progress,
                   const std::function<void(const Sample&)>& fn);

// Puts the sample's image at dest (hard link when the file system allows, else a copy); an
// existing dest is kept. A failure is a warning naming the sample; returns false then.
bool placeImage(const Workspace& ws, const Sample& s, const std::filesystem::path& dest, ExportReport& rep);
// How a file-format export (LLaVA, chat messages) names the sample's image: "images/<name>",
// placed beside the file under `base`, or with copyImages off the stored file's absolute path.
// Empty, with a warning, when neither works.
std::string imageReference(const Workspace& ws, const Sample& s, const std::filesystem::path& base,
                           const ExportOptions& opts, ExportReport& rep);
// The image's file name in an export: its content hash and extension ("<sha256>.jpg").
std::string exportedImageName(const Sample& s);

} // namespace ember::data::detail
