#pragma once
// COCO's image ids, file names and subsets, shared by the COCO and VQA formats (internal to
// datasets/): defined in format_coco.cpp, which says what each does.
#include "exporters.h"
#include "sample.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ember::data {
class Workspace;
}

namespace ember::data::detail {

std::string cocoSubset(const std::string& path);
Split cocoSplit(const std::string& subset);
std::string cocoImageSubset(std::string subset);
int64_t cocoIdField(const nlohmann::json& rec, const char* key);
void cocoWithin(const std::string& file, const std::string& element, const std::function<void()>& read);
const nlohmann::json& cocoArray(const std::string& file, const nlohmann::json& doc, const char* key);
int64_t cocoKeptImageId(const Sample& s);
std::vector<int64_t> cocoAssignIds(const std::vector<int64_t>& kept, const std::vector<int64_t>& preferred);
std::string cocoId12(int64_t id);
bool cocoPlaceImage(const Workspace& ws, const Sample& s, const std::filesystem::path& dest, ExportReport& rep);
bool cocoWorkspaceImage(const Workspace& ws, const Sample& s, std::string& file, ExportReport& rep);
std::string cocoImageExt(const Sample& s);
std::string cocoDate(const char* format);
int cocoYear();

// The samples a COCO-style export writes (those `writable` accepts; the others are counted as
// skipped) and their image ids, kept ones unique; reading is the first half of the progress.
struct CocoExportSamples {
    std::vector<Sample> samples;
    std::vector<int64_t> imageIds;
    int64_t total = 0;
};
CocoExportSamples cocoCollect(const Workspace& ws, const ExportOptions& opts, const Progress& progress,
                              const std::function<bool(const Sample&)>& writable, ExportReport& rep);

} // namespace ember::data::detail
