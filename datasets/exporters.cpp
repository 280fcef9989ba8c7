#include "exporters.h"

#include "export_support.h"

#include "sample_json.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ember::data {

using namespace detail;

ExportReport exportJsonl(const Workspace& ws, const std::string& path, const ExportOptions& opts,
                         const Progress& progress)
{
    auto out = openOut(path);
    const fs::path base = fs::path(path).parent_path();
    ExportReport rep;
    forEachSample(ws, opts.filter, progress, [&](const Sample& s) {
        std::string ref;
        fs::path src;
        if (s.image.id) {
            try {
                src = ws.absolutePath(s.image.path);
            } catch (const UnsafePathError& e) {
                rep.warnings.push_back("sample " + s.uid + ": " + e.what());   // never copy a file from outside
            }
        }
        if (!src.empty()) {
            if (opts.copyImages) {
                ref = "images/" + fs::path(s.image.path).filename().string();
                const fs::path dst = base / ref;
                std::error_code ec;
                if (!fs::exists(dst)) {
                    fs::create_directories(dst.parent_path());
                    fs::copy_file(src, dst, ec);
                    if (ec) rep.warnings.push_back("cannot copy " + src.string() + ": " + ec.message());
                }
            } else
                ref = src.string();
        }
        out->write(sampleToJson(s, ref).dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
        ++rep.written;
    });
    out->commit();
    return rep;
}

namespace {

// The upstream formats are one JSON array of records; makeRecord gives none for a sample the
// format cannot express (counted as skipped).
template <typename MakeRecord>
ExportReport exportUpstreamArray(const Workspace& ws, const std::string& path, const ExportOptions& opts,
                                 const Progress& progress, MakeRecord makeRecord)
{
    json arr = json::array();
    ExportReport rep;
    forEachSample(ws, opts.filter, progress, [&](const Sample& s) {
        std::optional<json> rec = makeRecord(s);
        if (!rec) {
            ++rep.skipped;
            return;
        }
        arr.push_back(std::move(*rec));
        ++rep.written;
    });
    auto out = openOut(path);
    out->write(arr.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    out->commit();
    return rep;
}

} // namespace

ExportReport exportUpstreamSingle(const Workspace& ws, const std::string& path, const ExportOptions& opts,
                                  const Progress& progress)
{
    return exportUpstreamArray(ws, path, opts, progress, [](const Sample& s) -> std::optional<json> {
        if (s.robots.empty() || s.task.empty()) return std::nullopt;
        // Key order as upstream writes it.
        json rec = json::object();
        rec["instruction"] = s.instruction;
        rec["input"] = "Task: " + s.task;
        rec["output"] = joinRobots(s.robots);
        return rec;
    });
}

ExportReport exportUpstreamMulti(const Workspace& ws, const std::string& path, const ExportOptions& opts,
                                 const Progress& progress)
{
    return exportUpstreamArray(ws, path, opts, progress, [](const Sample& s) -> std::optional<json> {
        if (s.subtasks.empty() || s.task.empty()) return std::nullopt;
        json subs = json::array();
        for (const auto& t : s.subtasks)
            subs.push_back({{"subtask", t.text}, {"assigned_robot", robotName(t.robot)}, {"execution_order", t.order}});
        json rec;
        rec["instruction"] = s.instruction;
        rec["input"] = "Task: " + s.task;
        rec["subtasks"] = subs;
        rec["original_single_robot_output"] = joinRobots(s.robots);
        return rec;
    });
}

ExportReport exportSplits(const Workspace& ws, const std::string& dir, const std::string& format,
                          const ExportOptions& opts, const Progress& progress)
{
    if (format != "jsonl" && format != "single" && format != "multi")
        throw std::invalid_argument("unknown export format '" + format + "' (jsonl, single or multi)");
    ExportReport total;
    const std::string ext = format == "jsonl" ? ".jsonl" : ".json";
    int part = 0;
    for (Split sp : {Split::Train, Split::Val, Split::Test}) {
        ExportOptions o = opts;
        o.filter.split = sp;
        // Progress over the three parts: each reports a third.
        Progress sub;
        if (progress)
            sub = [&, part](int64_t d, int64_t t) { return progress(part * 1000 + (t ? d * 1000 / t : 1000), 3000); };
        const std::string path = (fs::path(dir) / (toString(sp) + ext)).string();
        ExportReport r = format == "jsonl" ? exportJsonl(ws, path, o, sub)
                         : format == "single" ? exportUpstreamSingle(ws, path, o, sub)
                                              : exportUpstreamMulti(ws, path, o, sub);
        total.written += r.written;
        total.skipped += r.skipped;
        total.warnings.insert(total.warnings.end(), r.warnings.begin(), r.warnings.end());
        ++part;
    }
    return total;
}

const char* exportFormatNames()
{
    return "jsonl, single, multi, llava, messages, coco, imagefolder or vqa";
}

bool exportWritesFolder(const std::string& format)
{
    return format == "coco" || format == "imagefolder" || format == "vqa";
}

ExportReport exportAs(const Workspace& ws, const std::string& format, const std::string& out,
                      const ExportOptions& opts, const Progress& progress)
{
    if (format == "jsonl") return exportJsonl(ws, out, opts, progress);
    if (format == "single") return exportUpstreamSingle(ws, out, opts, progress);
    if (format == "multi") return exportUpstreamMulti(ws, out, opts, progress);
    if (format == "llava") return exportLlava(ws, out, opts, progress);
    if (format == "messages") return exportMessages(ws, out, opts, progress);
    if (format == "coco") return exportCoco(ws, out, opts, progress);
    if (format == "imagefolder") return exportHfImageFolder(ws, out, opts, progress);
    if (format == "vqa") return exportVqa(ws, out, opts, progress);
    throw std::invalid_argument("unknown export format '" + format + "' (" + exportFormatNames() + ")");
}

} // namespace ember::data
