#pragma once
// Taking data out of a workspace: the own JSONL (lossless) and the two upstream formats.
#include "progress.h"
#include "workspace.h"

#include <string>

namespace ember::data {

struct ExportOptions {
    SampleQuery filter;          // which samples (its offset/limit apply too); default: all, by id
    bool copyImages = true;      // JSONL: copy images to <out folder>/images/ and refer to them relatively
};

struct ExportReport {
    int64_t written = 0;
    int64_t skipped = 0;         // samples the format cannot express (no robot, no subtasks)
    std::vector<std::string> warnings;
};

ExportReport exportJsonl(const Workspace& ws, const std::string& path, const ExportOptions& opts = {},
                         const Progress& progress = {});
// [{instruction, input: "Task: …", output}] — samples without robot labels are skipped.
ExportReport exportUpstreamSingle(const Workspace& ws, const std::string& path, const ExportOptions& opts = {},
                                  const Progress& progress = {});
// [{instruction, input, subtasks, original_single_robot_output}] — samples without subtasks are skipped.
ExportReport exportUpstreamMulti(const Workspace& ws, const std::string& path, const ExportOptions& opts = {},
                                 const Progress& progress = {});
// <dir>/train.<ext>, val.<ext>, test.<ext> from the samples' split field; format "jsonl",
// "single" or "multi". Samples without a split are not written.
// --- the formats practitioners use (README "Data"); images are hard-linked (copied where the file
// system cannot) beside the annotation files unless copyImages is false -------------------------
// LLaVA instruction JSON at `path`, images in <folder>/images/; samples without Q&A pairs skipped.
ExportReport exportLlava(const Workspace& ws, const std::string& path, const ExportOptions& opts = {},
                         const Progress& progress = {});
// TRL chat JSONL at `path`, images in <folder>/images/; samples without Q&A pairs skipped.
ExportReport exportMessages(const Workspace& ws, const std::string& path, const ExportOptions& opts = {},
                            const Progress& progress = {});
// COCO captions under `dir`: annotations/captions_<split>2017.json and <split>2017/ (samples
// without a split go to train); samples without an image or caption skipped.
ExportReport exportCoco(const Workspace& ws, const std::string& dir, const ExportOptions& opts = {},
                        const Progress& progress = {});
// A Hugging Face imagefolder under `dir`: train/, validation/, test/ each with metadata.jsonl.
ExportReport exportHfImageFolder(const Workspace& ws, const std::string& dir, const ExportOptions& opts = {},
                                 const Progress& progress = {});
// VQA v2 under `dir`: questions and annotations files per split and the images.
ExportReport exportVqa(const Workspace& ws, const std::string& dir, const ExportOptions& opts = {},
                       const Progress& progress = {});
// Any of the above or jsonl/single/multi by name; `out` a file or a folder as the format wants.
ExportReport exportAs(const Workspace& ws, const std::string& format, const std::string& out,
                      const ExportOptions& opts = {}, const Progress& progress = {});
// "jsonl, single, multi, llava, messages, coco, imagefolder or vqa"
const char* exportFormatNames();
// Whether the format writes a folder (coco, imagefolder, vqa) rather than one file.
bool exportWritesFolder(const std::string& format);

ExportReport exportSplits(const Workspace& ws, const std::string& dir, const std::string& format = "jsonl",
                          const ExportOptions& opts = {}, const Progress& progress = {});

} // namespace ember::data
