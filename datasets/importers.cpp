#include "importers.h"

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

constexpr int64_t kProgressEvery = 256;

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ImportError(path, 0, "", "cannot open file");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw ImportError(path, 0, "", "cannot read file");
    return ss.str();
}

int64_t lineAt(const std::string& text, size_t byte)
{
    byte = std::min(byte, text.size());
    return 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n');
}

// The line on which each element of a top-level JSON array starts. nlohmann's DOM keeps no
// positions, so a small scanner over strings and nesting finds them.
std::vector<int64_t> arrayElementLines(const std::string& text)
{
    std::vector<int64_t> lines;
    int depth = 0;
    bool inString = false, escape = false, expectElement = false;
    int64_t line = 1;
    for (char c : text) {
        if (c == '\n') ++line;
        if (inString) {
            if (escape) escape = false;
            else if (c == '\\') escape = true;
            else if (c == '"') inString = false;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (depth == 1 && expectElement && c != ']') {
            lines.push_back(line);
            expectElement = false;
        }
        if (c == '"') inString = true;
        else if (c == '[' || c == '{') {
            ++depth;
            if (depth == 1 && c == '[') expectElement = true;
        } else if (c == ']' || c == '}') --depth;
        else if (c == ',' && depth == 1) expectElement = true;
    }
    return lines;
}

json parseArrayFile(const std::string& path, const std::string& text, std::vector<int64_t>& lines)
{
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw ImportError(path, lineAt(text, e.byte ? e.byte - 1 : 0), "", std::string("invalid JSON: ") + e.what());
    }
    if (!doc.is_array()) throw ImportError(path, 1, "", "expected a JSON array of records");
    lines = arrayElementLines(text);
    lines.resize(doc.size(), 0);
    return doc;
}

std::string requiredString(const json& rec, const char* key)
{
    if (!rec.contains(key)) throw FieldError(key, "missing");
    if (!rec.at(key).is_string()) throw FieldError(key, "must be a string");
    return rec.at(key).get<std::string>();
}

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

bool uidExists(Workspace& ws, const std::string& uid)
{
    auto st = ws.database().prepare("SELECT 1 FROM samples WHERE uid=?");
    st.bind(1, uid);
    return st.step();
}

// Removes image files an import wrote unless it committed.
struct NewFiles {
    std::vector<std::string> paths;
    bool committed = false;
    ~NewFiles()
    {
        if (committed) return;
        std::error_code ec;
        for (const auto& p : paths) fs::remove(p, ec);
    }
};

// The upstream files carry no ids: a uid made of the file name and the record's index keeps a
// repeated import of the same file from duplicating it.
std::string upstreamUid(const std::string& kind, const std::string& path, size_t index)
{
    return sha256Hex(kind + ":" + fs::path(path).filename().string() + ":" + std::to_string(index)).substr(0, 16);
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
        s.uid = upstreamUid(kind, path, i);
        if (uidExists(ws, s.uid)) {
            ++rep.skipped;
            continue;
        }
        s.source = opts.source.empty() ? kind + ":" + fs::path(path).filename().string() : opts.source;
        s.author = opts.author;
        s.status = opts.status;
        rep.ids.push_back(ws.insertInTransaction(s));
        ++rep.imported;
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
    newFiles.committed = true;
    if (opts.newFilesOut) opts.newFilesOut->insert(opts.newFilesOut->end(), newFiles.paths.begin(), newFiles.paths.end());
    return rep;
}

ImportReport importImageFolder(Workspace& ws, const std::string& dir, const ImportOptions& opts,
                               const Progress& progress)
{
    static const std::set<std::string> kExts{".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"};
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
        s.source = source;
        s.author = opts.author;
        s.status = opts.status;
        rep.ids.push_back(ws.insertInTransaction(s));
        ++rep.imported;
    }
    report(progress, total, total);
    tx.commit();
    newFiles.committed = true;
    if (opts.newFilesOut) opts.newFilesOut->insert(opts.newFilesOut->end(), newFiles.paths.begin(), newFiles.paths.end());
    return rep;
}

std::string detectFormat(const std::string& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec)) return "folder";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ImportError(path, 0, "", "cannot open file");
    if (fs::path(path).extension() == ".jsonl") return "jsonl";
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    const auto first = head.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && head[first] == '{') return "jsonl";
    if (first != std::string::npos && head[first] == '[') {
        // The catalogue in "instruction" is long; look for the distinguishing keys further in.
        in.clear();
        in.seekg(0);
        std::string chunk(1 << 16, '\0');
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        chunk.resize(static_cast<size_t>(in.gcount()));
        if (chunk.find("\"subtasks\"") != std::string::npos) return "multi";
        if (chunk.find("\"output\"") != std::string::npos) return "single";
    }
    throw ImportError(path, 0, "", "unknown format (expected upstream single/multi JSON, JSONL or a folder)");
}

} // namespace ember::data
