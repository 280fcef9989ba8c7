#pragma once
// Bringing data into a workspace. Every importer runs in one transaction: a malformed record
// (ImportError names file, line and field), a cancel from the progress callback or any other
// failure rolls the whole import back, image files it wrote included.
#include "progress.h"
#include "sample.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember::data {

class Workspace;

struct ImportError : std::runtime_error {
    ImportError(std::string file, int64_t line, std::string field, const std::string& message);
    std::string file;
    int64_t line = 0;       // 1-based; 0 when the whole file is at fault
    std::string field;      // JSON path of the bad field; "" when the record as a whole is
    std::string message;
};

struct ImportOptions {
    std::string author;                 // stored on every imported sample
    std::string source;                 // overrides the default "<format>:<file name>"
    Status status = Status::Draft;      // for formats that carry no status
    // Set when an enclosing transaction spans several files: the image files this import wrote
    // are appended here, for the caller to remove if it rolls back (otherwise they are kept).
    std::vector<std::string>* newFilesOut = nullptr;
};

struct ImportReport {
    int64_t imported = 0;
    int64_t skipped = 0;                // already in the workspace (same uid or same image)
    std::vector<std::string> warnings;  // corrupt/unreadable images and other non-fatal issues
    std::vector<int64_t> ids;           // the new samples, in file order
};

// single_robot_selection.json: [{instruction, input: "Task: …", output: "A, B"}].
ImportReport importUpstreamSingle(Workspace& ws, const std::string& path, const ImportOptions& opts = {},
                                  const Progress& progress = {});
// multi_robot_selection_dataset.json: [{instruction, input, subtasks: [{subtask, assigned_robot,
// execution_order}], original_single_robot_output}].
ImportReport importUpstreamMulti(Workspace& ws, const std::string& path, const ImportOptions& opts = {},
                                 const Progress& progress = {});
// The project's own JSONL (docs/schema.md); image paths are relative to the file's folder.
// Records whose uid is already stored are skipped, so importing a file twice adds nothing.
ImportReport importJsonl(Workspace& ws, const std::string& path, const ImportOptions& opts = {},
                         const Progress& progress = {});
// Every image under `dir` (recursive, sorted by path) becomes a draft sample. Duplicates (same
// content hash, in the folder or already stored) are skipped; corrupt files are warnings.
ImportReport importImageFolder(Workspace& ws, const std::string& dir, const ImportOptions& opts = {},
                               const Progress& progress = {});

// Which importer a file calls for: "single", "multi", "jsonl", "folder"; throws ImportError
// when it cannot tell.
std::string detectFormat(const std::string& path);

} // namespace ember::data
