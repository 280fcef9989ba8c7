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
    // Where a foreign file's image names are looked up first (`--images DIR`); each format then
    // tries its usual place (LLaVA: the file's folder; COCO: ../<split>2017/ beside annotations/).
    std::string imagesDir;
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

// --- the formats practitioners bring (docs: README "Data") ----------------------------------
// LLaVA instruction JSON: [{"id", "image", "conversations": [{"from": "human"|"gpt", "value"}]}].
// Every human/gpt pair becomes a Q&A pair in order, "<image>" markers removed; entries without
// an image are counted in `skipped` and named in one warning; "id" is kept in Sample::extra.
ImportReport importLlava(Workspace& ws, const std::string& path, const ImportOptions& opts = {},
                         const Progress& progress = {});
// Chat JSONL as TRL's vision SFT reads it: {"images": [...], "messages": [{"role", "content"}]},
// content a string or [{"type": "image"}, {"type": "text", "text"}].
ImportReport importMessages(Workspace& ws, const std::string& path, const ImportOptions& opts = {},
                            const Progress& progress = {});
// COCO captions: {"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]};
// every caption of an image is kept (Sample::caption, then moreCaptions).
ImportReport importCoco(Workspace& ws, const std::string& path, const ImportOptions& opts = {},
                        const Progress& progress = {});
// A Hugging Face imagefolder: metadata.jsonl or metadata.csv with "file_name", optionally under
// train/, validation/, test/ (mapped to the splits).
ImportReport importHfImageFolder(Workspace& ws, const std::string& dir, const ImportOptions& opts = {},
                                 const Progress& progress = {});
// VQA v2: a questions file and an annotations file; all ten human answers kept.
ImportReport importVqa(Workspace& ws, const std::string& questionsPath, const std::string& annotationsPath,
                       const ImportOptions& opts = {}, const Progress& progress = {});

// Which importer a path calls for: "single", "multi", "jsonl", "folder", "llava", "messages",
// "coco", "imagefolder", "vqa-questions", "vqa-annotations", and for the folders the COCO and VQA
// exports write "coco-folder", "vqa-folder" (planImport expands them into their files); throws
// ImportError when it cannot tell.
std::string detectFormat(const std::string& path);
// The importer of a one-file format by its detectFormat name (not the two VQA halves).
ImportReport importAs(Workspace& ws, const std::string& format, const std::string& path,
                      const ImportOptions& opts = {}, const Progress& progress = {});
// One step of an import command: a file with its format; VQA's questions and annotations files
// (given by flag or told apart by content) make one step, `path` the questions, `second` the answers.
struct ImportStep {
    std::string format, path, second;
};
// Throws std::invalid_argument for annotations without their questions or no paths at all.
std::vector<ImportStep> planImport(const std::vector<std::string>& paths, const std::string& forcedFormat = "",
                                   std::string questions = "", std::string annotations = "");
ImportReport importStep(Workspace& ws, const ImportStep& step, const ImportOptions& opts = {},
                        const Progress& progress = {});

// The names --format takes, for messages ("single, multi, ... or vqa").
const char* importFormatNames();

} // namespace ember::data
