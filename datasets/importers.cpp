#include "importers.h"

#include "import_support.h"

#include "content_hash.h"
#include "image.h"
#include "sample_json.h"
#include "sqlite_db.h"
#include "workspace.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ember::data {

ImportError::ImportError(std::string f, int64_t l, std::string fld, const std::string& msg)
    : std::runtime_error(f + (l > 0 ? ":" + std::to_string(l) : std::string()) +
                         (fld.empty() ? std::string(": ") : ": field '" + fld + "': ") + msg),
      file(std::move(f)), line(l), field(std::move(fld)), message(msg)
{
}

namespace {

using namespace detail;

std::string stripTaskPrefix(std::string s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    s = b == std::string::npos ? "" : s.substr(b);
    if (s.rfind("Task:", 0) == 0) s = s.substr(5);
    const auto b2 = s.find_first_not_of(" \t");
    s = b2 == std::string::npos ? "" : s.substr(b2);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// Both upstream formats carry the task in "input" as "Task: ...", and an empty one is an error.
std::string upstreamTask(const json& rec)
{
    std::string task = stripTaskPrefix(requiredString(rec, "input"));
    if (task.empty()) throw FieldError("input", "empty task");
    return task;
}

// A comma-separated string, or (as some upstream multi-robot records have it) an array of names.
std::vector<int> robotsField(const json& rec, const char* key)
{
    if (!rec.contains(key)) throw FieldError(key, "missing");
    const json& v = rec.at(key);
    try {
        if (v.is_string()) return parseRobotList(v.get<std::string>());
        if (!v.is_array()) throw FieldError(key, "must be a robot list (string or array of names)");
        std::vector<int> out;
        for (size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_string()) throw FieldError(std::string(key) + "[" + std::to_string(i) + "]", "must be a robot name");
            const auto more = parseRobotList(v[i].get<std::string>());
            out.insert(out.end(), more.begin(), more.end());
        }
        if (out.empty()) throw FieldError(key, "no robot named");
        return normalizeRobots(out);
    } catch (const std::invalid_argument& e) {
        throw FieldError(key, e.what());
    }
}

template <typename Convert>
ImportReport importArray(Workspace& ws, const std::string& path, const std::string& kind, const ImportOptions& opts,
                         const Progress& progress, Convert convert)
{
    const std::string text = readFile(path);
    std::vector<int64_t> lines;
    const json doc = parseArrayFile(path, text, lines);
    ImportReport rep;
    const auto total = static_cast<int64_t>(doc.size());
    Transaction tx(ws.database());
    for (size_t i = 0; i < doc.size(); ++i) {
        Sample s;
        try {
            if (!doc[i].is_object()) throw FieldError("", "record must be a JSON object");
            s = convert(doc[i]);
        } catch (const FieldError& e) {
            throw ImportError(path, lines[i], e.field, e.what());
        }
        // The upstream files carry no ids: the record's index keeps a repeated import from duplicating it.
        s.uid = foreignUid(kind, path, std::to_string(i));
        if (uidExists(ws, s.uid)) {
            ++rep.skipped;
            continue;
        }
        insertImported(ws, s, sourceFor(opts, kind, path), opts, rep);
        if (static_cast<int64_t>(i) % kProgressEvery == 0) report(progress, static_cast<int64_t>(i), total);
    }
    report(progress, total, total);
    tx.commit();
    return rep;
}

} // namespace

ImportReport importUpstreamSingle(Workspace& ws, const std::string& path, const ImportOptions& opts,
                                  const Progress& progress)
{
    return importArray(ws, path, "upstream-single", opts, progress, [](const json& rec) {
        Sample s;
        s.task = upstreamTask(rec);
        s.robots = robotsField(rec, "output");
        if (rec.contains("instruction")) s.instruction = requiredString(rec, "instruction");
        return s;
    });
}

ImportReport importUpstreamMulti(Workspace& ws, const std::string& path, const ImportOptions& opts,
                                 const Progress& progress)
{
    return importArray(ws, path, "upstream-multi", opts, progress, [](const json& rec) {
        Sample s;
        s.task = upstreamTask(rec);
        if (rec.contains("instruction")) s.instruction = requiredString(rec, "instruction");
        if (!rec.contains("subtasks")) throw FieldError("subtasks", "missing");
        const auto& subs = rec.at("subtasks");
        if (!subs.is_array()) throw FieldError("subtasks", "must be an array");
        std::vector<int> used;
        for (size_t k = 0; k < subs.size(); ++k) {
            const std::string f = "subtasks[" + std::to_string(k) + "]";
            const auto& t = subs[k];
            if (!t.is_object()) throw FieldError(f, "must be an object");
            Subtask st;
            try {
                st.text = requiredString(t, "subtask");
                const auto robot = requiredString(t, "assigned_robot");
                st.robot = robotIndex(robot);
                if (st.robot < 0) throw FieldError("assigned_robot", "unknown robot '" + robot + "'");
                if (!t.contains("execution_order") || !t.at("execution_order").is_number_integer())
                    throw FieldError("execution_order", "must be an integer");
                const auto order = t.at("execution_order").get<int64_t>();   // wide: no silent wrap
                if (order < 0 || order > kMaxExecutionOrder)
                    throw FieldError("execution_order", "must be in 0.." + std::to_string(kMaxExecutionOrder));
                st.order = static_cast<int>(order);
            } catch (const FieldError& e) {
                throw FieldError(f + "." + e.field, e.what());
            }
            used.push_back(st.robot);
            s.subtasks.push_back(st);
        }
        // The single-robot answer is the sample's label; without it, every robot that works.
        s.robots = rec.contains("original_single_robot_output") ? robotsField(rec, "original_single_robot_output")
                                                                : normalizeRobots(used);
        if (s.robots.empty()) throw FieldError("subtasks", "no robot assigned");
        return s;
    });
}

ImportReport importJsonl(Workspace& ws, const std::string& path, const ImportOptions& opts, const Progress& progress)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ImportError(path, 0, "", "cannot open file");
    const auto fileBytes = static_cast<int64_t>(fs::file_size(path));
    const fs::path base = fs::path(path).parent_path();
    ImportReport rep;
    NewFiles newFiles;
    std::set<std::string> uidsInFile;
    std::vector<std::pair<int64_t, std::string>> derivedRefs;   // (line, uid) to check at the end
    Transaction tx(ws.database());
    std::string line;
    int64_t lineNo = 0, readBytes = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        readBytes += static_cast<int64_t>(line.size()) + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        json j;
        try {
            j = json::parse(line);
        } catch (const json::parse_error& e) {
            throw ImportError(path, lineNo, "", std::string("invalid JSON: ") + e.what());
        }
        Sample s;
        std::string imageRef, imageSha;
        try {
            s = sampleFromJson(j, &imageRef, &imageSha);
        } catch (const FieldError& e) {
            throw ImportError(path, lineNo, e.field, e.what());
        } catch (const std::invalid_argument& e) {
            throw ImportError(path, lineNo, "robots", e.what());
        }
        if (!s.uid.empty() && (uidsInFile.count(s.uid) || uidExists(ws, s.uid))) {
            ++rep.skipped;
            continue;
        }
        if (!s.uid.empty()) uidsInFile.insert(s.uid);
        if (!s.derivedFrom.empty()) derivedRefs.emplace_back(lineNo, s.derivedFrom);
        if (!imageRef.empty()) {
            const fs::path p = fs::path(imageRef).is_absolute() ? fs::path(imageRef) : base / imageRef;
            try {
                auto stored = ws.storeImageFile(p.string(), imageSha);
                if (stored.newFile) newFiles.paths.push_back(ws.absolutePath(stored.info.path));
                s.image = stored.info;
            } catch (const ember::ImageError& e) {
                rep.warnings.push_back(path + ":" + std::to_string(lineNo) + ": image skipped: " + e.what());
            }
        }
        if (!opts.source.empty()) s.source = opts.source;
        if (s.source.empty()) s.source = "jsonl:" + fs::path(path).filename().string();
        if (!opts.author.empty()) s.author = opts.author;
        rep.ids.push_back(ws.insertInTransaction(s));
        ++rep.imported;
        if (lineNo % kProgressEvery == 0) report(progress, readBytes, fileBytes);
    }
    if (in.bad()) throw ImportError(path, lineNo, "", "read error");
    for (const auto& [ln, uid] : derivedRefs)
        if (!uidsInFile.count(uid) && !uidExists(ws, uid))
            throw ImportError(path, ln, "derived_from", "no sample with uid '" + uid + "' in the file or workspace");
    report(progress, fileBytes, fileBytes);
    tx.commit();
    newFiles.commit(opts);
    return rep;
}

ImportReport importImageFolder(Workspace& ws, const std::string& dir, const ImportOptions& opts,
                               const Progress& progress)
{
    static const std::set<std::string> kExts{".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"};
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw ImportError(dir, 0, "", "not a folder");
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        auto ext = it->path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        if (kExts.count(ext)) files.push_back(it->path());
    }
    if (ec) throw ImportError(dir, 0, "", "cannot list folder: " + ec.message());
    std::sort(files.begin(), files.end());
    ImportReport rep;
    NewFiles newFiles;
    const auto total = static_cast<int64_t>(files.size());
    const std::string source = opts.source.empty() ? "folder:" + fs::path(dir).filename().string() : opts.source;
    Transaction tx(ws.database());
    for (size_t i = 0; i < files.size(); ++i) {
        report(progress, static_cast<int64_t>(i), total);
        StoredImage stored;
        try {
            const auto before = ws.imageCount();
            stored = ws.storeImageFile(files[i].string());
            if (ws.imageCount() == before) {   // same content already stored
                ++rep.skipped;
                rep.warnings.push_back(files[i].string() + ": duplicate of " + stored.info.path);
                continue;
            }
        } catch (const ember::ImageError& e) {
            rep.warnings.push_back(e.what());
            continue;
        }
        if (stored.newFile) newFiles.paths.push_back(ws.absolutePath(stored.info.path));
        Sample s;
        s.image = stored.info;
        insertImported(ws, s, source, opts, rep);
    }
    report(progress, total, total);
    tx.commit();
    newFiles.commit(opts);
    return rep;
}

namespace {

bool hasMetadataFile(const fs::path& dir)
{
    std::error_code ec;
    for (const char* sub : {"", "train", "validation", "valid", "val", "dev", "test"})
        for (const char* name : {"metadata.jsonl", "metadata.csv"})
            if (fs::is_regular_file(dir / sub / name, ec)) return true;
    return false;
}

bool endsWith(const std::string& s, const std::string& end)
{
    return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

// The regular files in dir/sub named <start>…<end>, sorted: how COCO and VQA exports name their
// annotation files.
std::vector<std::string> filesLike(const fs::path& dir, const char* sub, const std::string& start, const std::string& end)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir / sub, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(start, 0) == 0 && endsWith(name, end) && it->is_regular_file(ec)) out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The first of the keys found in the file, read a block at a time ("" when none): COCO and
// VQA files put their distinguishing keys after a long "images" or "info" part.
std::string firstKeyFound(std::ifstream& in, const std::vector<std::string>& keys)
{
    in.clear();
    in.seekg(0);
    std::string carry, block(1 << 20, '\0');
    while (in) {
        in.read(block.data(), static_cast<std::streamsize>(block.size()));
        const std::string text = carry + block.substr(0, static_cast<size_t>(in.gcount()));
        size_t best = std::string::npos;
        std::string found;
        for (const auto& k : keys)
            if (const auto p = text.find(k); p < best) best = p, found = k;
        if (!found.empty()) return found;
        carry = text.size() > 64 ? text.substr(text.size() - 64) : text;
    }
    return "";
}

} // namespace

std::string detectFormat(const std::string& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        if (hasMetadataFile(path)) return "imagefolder";
        if (!filesLike(path, "annotations", "captions_", ".json").empty()) return "coco-folder";
        if (!filesLike(path, "", "", "_questions.json").empty()) return "vqa-folder";
        return "folder";
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ImportError(path, 0, "", "cannot open file");
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    const auto first = head.find_first_not_of(" \t\r\n");
    const char c = first == std::string::npos ? '\0' : head[first];
    // Nothing in it (an empty JSONL, an empty list): any importer of the kind reads no record.
    if (c == '\0') return "jsonl";
    if (c == '[' && head.find_first_not_of(" \t\r\n", first + 1) != std::string::npos &&
        head[head.find_first_not_of(" \t\r\n", first + 1)] == ']')
        return "single";
    const bool jsonlName = fs::path(path).extension() == ".jsonl";
    if (c == '{') {
        // One object per line, or one object for the whole file (COCO, VQA).
        std::string firstLine;
        in.clear();
        in.seekg(0);
        std::getline(in, firstLine);
        const json rec = json::parse(firstLine, nullptr, false);
        // A minified COCO or VQA file is one line too: those have "annotations" or "questions".
        const bool oneLineRecord = rec.is_object() && !rec.contains("annotations") && !rec.contains("questions");
        if (oneLineRecord || (jsonlName && !rec.is_object())) return rec.contains("messages") ? "messages" : "jsonl";
        const auto k = firstKeyFound(in, {"\"multiple_choice_answer\"", "\"question_id\"", "\"caption\""});
        if (k == "\"multiple_choice_answer\"") return "vqa-annotations";
        if (k == "\"question_id\"") return "vqa-questions";
        if (k == "\"caption\"") return "coco";
    }
    if (c == '[') {
        // The upstream catalogue in "instruction" is long; look for the distinguishing keys further in.
        const auto k = firstKeyFound(in, {"\"conversations\"", "\"subtasks\"", "\"output\""});
        if (k == "\"conversations\"") return "llava";
        if (k == "\"subtasks\"") return "multi";
        if (k == "\"output\"") return "single";
    }
    throw ImportError(path, 0, "",
                      "unknown format (expected upstream single/multi JSON, the studio's JSONL, LLaVA JSON, chat "
                      "messages JSONL, COCO captions, VQA v2 questions or annotations, an imagefolder or a folder "
                      "of images); --format names it");
}

const char* importFormatNames()
{
    return "single, multi, jsonl, folder, llava, messages, coco, imagefolder or vqa";
}

ImportReport importAs(Workspace& ws, const std::string& format, const std::string& path, const ImportOptions& opts,
                      const Progress& progress)
{
    if (format == "single") return importUpstreamSingle(ws, path, opts, progress);
    if (format == "multi") return importUpstreamMulti(ws, path, opts, progress);
    if (format == "jsonl") return importJsonl(ws, path, opts, progress);
    if (format == "folder") return importImageFolder(ws, path, opts, progress);
    if (format == "llava") return importLlava(ws, path, opts, progress);
    if (format == "messages") return importMessages(ws, path, opts, progress);
    if (format == "coco") return importCoco(ws, path, opts, progress);
    if (format == "imagefolder") return importHfImageFolder(ws, path, opts, progress);
    if (format == "vqa-questions") return importVqa(ws, path, "", opts, progress);
    throw std::invalid_argument("unknown import format '" + format + "' (" + importFormatNames() + ")");
}

std::vector<ImportStep> planImport(const std::vector<std::string>& paths, const std::string& forcedFormat,
                                   std::string questions, std::string annotations)
{
    static const std::set<std::string> kKnown{"single", "multi", "jsonl", "folder", "llava", "messages", "coco",
                                              "imagefolder", "vqa", "vqa-questions", "vqa-annotations",
                                              "coco-folder", "vqa-folder"};
    if (!forcedFormat.empty() && !kKnown.count(forcedFormat))
        throw std::invalid_argument("unknown format '" + forcedFormat + "' (" + importFormatNames() + ")");
    std::vector<ImportStep> steps;
    for (const auto& path : paths) {
        const std::string fmt = forcedFormat.empty() ? detectFormat(path) : forcedFormat;
        if (fmt == "coco-folder") {
            // What `data export --format coco` writes: one step per annotations/captions_*.json.
            for (const auto& f : filesLike(path, "annotations", "captions_", ".json")) steps.push_back({"coco", f, ""});
            continue;
        }
        if (fmt == "vqa-folder") {
            // What `data export --format vqa` writes: per subset a questions file and maybe answers.
            for (const auto& q : filesLike(path, "", "", "_questions.json")) {
                const std::string name = fs::path(q).filename().string();   // v2_OpenEnded_mscoco_<sub>_questions.json
                const auto sub = name.substr(0, name.size() - std::string("_questions.json").size());
                const auto cut = sub.rfind('_');
                const std::string subset = cut == std::string::npos ? sub : sub.substr(cut + 1);
                const auto answers = filesLike(path, "", "", "_" + subset + "_annotations.json");
                steps.push_back({"vqa", q, answers.empty() ? "" : answers.front()});
            }
            continue;
        }
        if (fmt == "vqa-questions" || (fmt == "vqa" && questions.empty())) questions = path;
        else if (fmt == "vqa-annotations" || fmt == "vqa") annotations = path;
        else steps.push_back({fmt, path, ""});
    }
    if (!annotations.empty() && questions.empty())
        throw std::invalid_argument("VQA annotations " + annotations + " need their questions file");
    if (!questions.empty()) steps.push_back({"vqa", questions, annotations});
    if (steps.empty()) throw std::invalid_argument("nothing to import: no path given");
    return steps;
}

ImportReport importStep(Workspace& ws, const ImportStep& step, const ImportOptions& opts, const Progress& progress)
{
    return step.format == "vqa" ? importVqa(ws, step.path, step.second, opts, progress)
                                : importAs(ws, step.format, step.path, opts, progress);
}

} // namespace ember::data
