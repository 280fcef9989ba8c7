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
ExportReport exportSplits(const Workspace& ws, const std::string& dir, const std::string& format = "jsonl",
                          const ExportOptions& opts = {}, const Progress& progress = {});

} // namespace ember::data
