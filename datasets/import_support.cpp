#include "import_support.h"

#include "content_hash.h"
#include "image.h"
#include "sample_json.h"
#include "sqlite_db.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ember::data::detail {

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

namespace {

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

} // namespace

json parseJsonFile(const std::string& path, const std::string& text)
{
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        throw ImportError(path, lineAt(text, e.byte ? e.byte - 1 : 0), "", std::string("invalid JSON: ") + e.what());
    }
}

json parseArrayFile(const std::string& path, const std::string& text, std::vector<int64_t>& lines)
{
    json doc = parseJsonFile(path, text);
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

bool uidExists(Workspace& ws, const std::string& uid)
{
    auto st = ws.database().prepare("SELECT 1 FROM samples WHERE uid=?");
    st.bind(1, uid);
    return st.step();
}

std::string foreignUid(const std::string& kind, const std::string& path, const std::string& key)
{
    return sha256Hex(kind + ":" + fs::path(path).filename().string() + ":" + key).substr(0, 16);
}

void NewFiles::commit(const ImportOptions& opts)
{
    committed = true;
    if (opts.newFilesOut) opts.newFilesOut->insert(opts.newFilesOut->end(), paths.begin(), paths.end());
}

NewFiles::~NewFiles()
{
    if (committed) return;
    std::error_code ec;
    for (const auto& p : paths) fs::remove(p, ec);
}

std::vector<fs::path> imageRoots(const ImportOptions& opts, const fs::path& usual)
{
    std::vector<fs::path> roots;
    if (!opts.imagesDir.empty()) roots.emplace_back(opts.imagesDir);
    roots.push_back(usual);
    return roots;
}

bool attachImage(Workspace& ws, Sample& s, const std::string& ref, const std::vector<fs::path>& roots,
                 const std::string& where, NewFiles& newFiles, ImportReport& rep)
{
    fs::path found;
    std::error_code ec;
    if (fs::path(ref).is_absolute()) found = ref;
    else
        for (const auto& root : roots)
            if (fs::is_regular_file(root / ref, ec)) {
                found = root / ref;
                break;
            }
    if (found.empty() || !fs::is_regular_file(found, ec)) {
        rep.warnings.push_back(where + ": image '" + ref + "' not found" +
                               (roots.empty() ? std::string() : " (looked in " + roots.front().string() +
                                                                    (roots.size() > 1 ? " and beside the file" : "") + ")"));
        return false;
    }
    try {
        auto stored = ws.storeImageFile(found.string());
        if (stored.newFile) newFiles.paths.push_back(ws.absolutePath(stored.info.path));
        s.image = stored.info;
        return true;
    } catch (const ember::ImageError& e) {
        rep.warnings.push_back(where + ": image skipped: " + e.what());
        return false;
    }
}

std::string withoutImageMarkers(const std::string& text)
{
    std::string t = text;
    for (size_t p; (p = t.find("<image>")) != std::string::npos;) t.erase(p, 7);
    const auto b = t.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    const auto e = t.find_last_not_of(" \t\r\n");
    return t.substr(b, e - b + 1);
}

void insertImported(Workspace& ws, Sample& s, const std::string& source, const ImportOptions& opts, ImportReport& rep)
{
    s.source = source;
    s.author = opts.author;
    s.status = opts.status;
    rep.ids.push_back(ws.insertInTransaction(s));
    ++rep.imported;
}

std::string sourceFor(const ImportOptions& opts, const std::string& kind, const std::string& path)
{
    return opts.source.empty() ? kind + ":" + fs::path(path).filename().string() : opts.source;
}

} // namespace ember::data::detail
