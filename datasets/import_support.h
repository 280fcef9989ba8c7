#pragma once
// What the importers share (internal to datasets/): reading a file, JSON with line numbers,
// the image files an import wrote, resolving a foreign file's image reference.
#include "importers.h"
#include "workspace.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace ember::data::detail {

constexpr int64_t kProgressEvery = 256;

std::string readFile(const std::string& path);
int64_t lineAt(const std::string& text, size_t byte);
// Parses the whole file; ImportError with the line of a syntax error.
nlohmann::json parseJsonFile(const std::string& path, const std::string& text);
// A top-level array, and the line each element starts on.
nlohmann::json parseArrayFile(const std::string& path, const std::string& text, std::vector<int64_t>& lines);
std::string requiredString(const nlohmann::json& rec, const char* key);
bool uidExists(Workspace& ws, const std::string& uid);
// A uid made of the format, the file name and a record key: importing the same file twice adds nothing.
std::string foreignUid(const std::string& kind, const std::string& path, const std::string& key);

// Removes image files an import wrote unless it committed; hands them to the caller's
// enclosing transaction (ImportOptions::newFilesOut) when it did.
struct NewFiles {
    std::vector<std::string> paths;
    bool committed = false;
    void commit(const ImportOptions& opts);
    ~NewFiles();
};

// Where a record's image names are looked up: ImportOptions::imagesDir when given, then `usual`.
std::vector<std::filesystem::path> imageRoots(const ImportOptions& opts, const std::filesystem::path& usual);

// Stores the image a foreign record names: `ref` resolved against each of `roots` in turn (an
// absolute ref as is). A missing or undecodable image is one warning naming record and file;
// returns false then and leaves s.image empty.
bool attachImage(Workspace& ws, Sample& s, const std::string& ref, const std::vector<std::filesystem::path>& roots,
                 const std::string& where, NewFiles& newFiles, ImportReport& rep);

// Text of a foreign conversation turn without LLaVA's "<image>" markers and the blank lines they leave.
std::string withoutImageMarkers(const std::string& text);

// Stamps an imported sample with its source and the options' author and status, and stores it
// in the open transaction (its id into rep.ids).
void insertImported(Workspace& ws, Sample& s, const std::string& source, const ImportOptions& opts, ImportReport& rep);

// The options' source, or "<kind>:<file name>".
std::string sourceFor(const ImportOptions& opts, const std::string& kind, const std::string& path);

} // namespace ember::data::detail
