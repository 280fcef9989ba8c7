// Hugging Face imagefolder, as `datasets.load_dataset("imagefolder", data_dir=...)` reads it
// (src/datasets/packaged_modules/folder_based_builder/folder_based_builder.py and data_files.py):
//
//   <dir>/train/metadata.jsonl        one JSON object per line, "file_name" relative to this folder
//   <dir>/train/0001.png
//   <dir>/validation/metadata.csv     or CSV with a header row (RFC 4180 quoting)
//   <dir>/test/...
//
// or, without split folders, metadata files anywhere under <dir> (the loader calls that "train";
// the import leaves such samples without a split, as nobody chose one, unless the row's
// file_name lies in a split folder: "train/0001.png").
//
// Columns: "text", else "caption", else "captions" (a string or a list of strings) is the caption
// (list: caption, then moreCaptions); "question" + "answer" (strings, or lists of equal length)
// are Q&A pairs; every other column is kept in Sample::extra as its JSON value (CSV cells as
// strings, an empty cell as null) and written back on export.
// Export writes <dir>/train|validation|test/metadata.jsonl with the images beside it (the loader
// refuses a file_name outside the metadata file's folder, so images are always placed there).
#include "csv_reader.h"
#include "export_support.h"
#include "import_support.h"
#include "sample_json.h"
#include "sqlite_db.h"
#include "workspace.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ember::data {

using namespace detail;

namespace {

constexpr const char* kKind = "imagefolder";
constexpr const char* kJsonl = "metadata.jsonl";
constexpr const char* kCsv = "metadata.csv";
constexpr const char* kParquet = "metadata.parquet";
// The caption column, by preference (export writes "text", the column the datasets docs use).
constexpr std::array<const char*, 3> kCaptionColumns{"text", "caption", "captions"};

// --- split folders -------------------------------------------------------------------------
// data_files.py: SPLIT_KEYWORDS and KEYWORDS_IN_DIR_NAME_BASE_PATTERNS ("**/{keyword}/**",
// "**/{keyword}[{sep}]*/**", "**/*[{sep}]{keyword}/**", "**/*[{sep}]{keyword}[{sep}]*/**", with
// sep = "-._ 0-9"), case-sensitive like fsspec's glob.
struct SplitKeyword {
    const char* word;
    Split split;
};
constexpr std::array<SplitKeyword, 10> kSplitKeywords{{{"train", Split::Train},
                                                       {"training", Split::Train},
                                                       {"validation", Split::Val},
                                                       {"valid", Split::Val},
                                                       {"dev", Split::Val},
                                                       {"val", Split::Val},
                                                       {"test", Split::Test},
                                                       {"testing", Split::Test},
                                                       {"eval", Split::Test},
                                                       {"evaluation", Split::Test}}};

bool isSplitSeparator(char c) { return c == '-' || c == '.' || c == '_' || c == ' ' || (c >= '0' && c <= '9'); }

// How well a folder name names the keyword: 0 exactly, 1 "kw-…", 2 "…-kw", 3 "…-kw-…"; -1 not.
int keywordMatch(const std::string& name, const std::string& kw)
{
    if (name == kw) return 0;
    const size_t n = name.size(), k = kw.size();
    if (n <= k) return -1;
    if (name.compare(0, k, kw) == 0 && isSplitSeparator(name[k])) return 1;
    if (name.compare(n - k, k, kw) == 0 && isSplitSeparator(name[n - k - 1])) return 2;
    for (size_t p = name.find(kw, 1); p != std::string::npos && p + k < n; p = name.find(kw, p + 1))
        if (isSplitSeparator(name[p - 1]) && isSplitSeparator(name[p + k])) return 3;
    return -1;
}

// The loader puts a file into every split whose pattern it matches ("test-dev" would be in
// test and validation); we take the best match ("test-dev": test), train before validation
// before test on a tie.
std::optional<Split> splitOfDirName(const std::string& name)
{
    std::optional<Split> out;
    int best = 4;
    for (const auto& kw : kSplitKeywords) {
        const int m = keywordMatch(name, kw.word);
        if (m >= 0 && m < best) {
            best = m;
            out = kw.split;
        }
    }
    return out;
}

// The split of a metadata file: the outermost folder on its path (relative to the root) that
// names one.
std::optional<Split> splitOfPath(const fs::path& relDir)
{
    for (const auto& part : relDir)
        if (auto s = splitOfDirName(part.string())) return s;
    return std::nullopt;
}

const char* exportDirName(Split s)
{
    return s == Split::Val ? "validation" : s == Split::Test ? "test" : "train";
}

// --- finding metadata files --------------------------------------------------------------------
// Hidden files and folders (".x") and special folders ("__x") are skipped, as resolve_pattern does.
bool hiddenName(const std::string& name) { return !name.empty() && (name[0] == '.' || name.rfind("__", 0) == 0); }

std::vector<fs::path> findMetadataFiles(const fs::path& root)
{
    std::vector<fs::path> out;
    std::error_code ec;
    auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (hiddenName(name)) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if ((name == kJsonl || name == kCsv || name == kParquet) && it->is_regular_file(ec)) out.push_back(it->path());
    }
    if (ec) throw ImportError(root.string(), 0, "", "cannot list folder: " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
}

// --- reading metadata --------------------------------------------------------------------------
struct Row {
    json rec;
    int64_t line = 0;
};

// The table as pandas.read_csv reads it by default (records: csv_reader.h): a header row; a
// record shorter than the header leaves the rest missing, a longer one is an error. Cells are
// strings, an empty cell null (pandas: NaN; pandas also reads "NA", "null", … as missing: we keep
// those as text).
std::vector<Row> readCsv(const std::string& path, const std::string& text)
{
    const std::vector<CsvRecord> records = readCsvRecords(path, text);
    if (records.empty()) throw ImportError(path, 1, "", "empty CSV file: no header row");
    std::vector<std::string> header = records.front().fields;
    std::set<std::string> seen;
    for (size_t c = 0; c < header.size(); ++c) {
        if (header[c].empty()) header[c] = "Unnamed: " + std::to_string(c);   // pandas' name
        if (!seen.insert(header[c]).second)
            throw ImportError(path, records.front().line, header[c], "column named twice in the header row");
    }
    std::vector<Row> rows;
    for (size_t r = 1; r < records.size(); ++r) {
        const auto& [ln, fields] = records[r];
        if (fields.size() > header.size())
            throw ImportError(path, ln, "", std::to_string(fields.size()) + " fields, but the header row names " +
                                                std::to_string(header.size()) + " columns");
        Row row{json::object(), ln};
        for (size_t c = 0; c < fields.size(); ++c)
            row.rec[header[c]] = fields[c].empty() ? json(nullptr) : json(fields[c]);
        rows.push_back(std::move(row));
    }
    return rows;
}

// One JSON object per line (pyarrow.json); blank lines skipped.
std::vector<Row> readJsonl(const std::string& path, const std::string& text)
{
    std::vector<Row> rows;
    size_t start = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    for (int64_t line = 1; start < text.size(); ++line) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string one = text.substr(start, end - start);
        start = end + 1;
        if (one.find_first_not_of(" \t\r") == std::string::npos) continue;
        json j;
        try {
            j = json::parse(one);
        } catch (const json::parse_error& e) {
            throw ImportError(path, line, "", std::string("invalid JSON: ") + e.what());
        }
        if (!j.is_object()) throw ImportError(path, line, "", "each line must be a JSON object");
        rows.push_back({std::move(j), line});
    }
    return rows;
}

// --- a row as a sample ---------------------------------------------------------------------
// file_name as the loader accepts it (_generate_examples: no URL, no absolute path, no ".."
// leading out of the metadata file's folder; backslashes read as slashes).
std::string checkedFileName(const json& rec)
{
    if (!rec.contains("file_name") || rec.at("file_name").is_null()) {
        if (rec.contains("file_names"))
            throw FieldError("file_names", "several images per row are not supported: give one file_name per row");
        throw FieldError("file_name", "missing");
    }
    if (!rec.at("file_name").is_string()) throw FieldError("file_name", "must be a string");
    std::string name = rec.at("file_name").get<std::string>();
    std::replace(name.begin(), name.end(), '\\', '/');
    if (name.empty()) throw FieldError("file_name", "empty");
    if (name.find("://") != std::string::npos)
        throw FieldError("file_name", "must be a path relative to the metadata file's folder, not a URL");
    const std::string norm = fs::path(name).lexically_normal().generic_string();
    if (name[0] == '/' || norm == ".." || norm.rfind("../", 0) == 0)
        throw FieldError("file_name", "must stay inside the metadata file's folder (no absolute path, no \"..\")");
    return name;
}

std::vector<std::string> stringList(const json& v, const std::string& field)
{
    std::vector<std::string> out;
    for (size_t k = 0; k < v.size(); ++k) {
        if (!v[k].is_string()) throw FieldError(field + "[" + std::to_string(k) + "]", "must be a string");
        out.push_back(v[k].get<std::string>());
    }
    return out;
}

bool emptyValue(const json& v)
{
    return v.is_null() || (v.is_string() && v.get<std::string>().empty()) || (v.is_array() && v.empty());
}

// The first caption column the row has (not empty) becomes the caption and moreCaptions. A CSV
// cell holding a JSON list of strings counts as a list (CSV has no other way to write one).
std::string takeCaptions(const json& rec, bool csv, Sample& s)
{
    for (const char* col : kCaptionColumns) {
        if (!rec.contains(col) || emptyValue(rec.at(col))) continue;
        json v = rec.at(col);
        if (csv && v.is_string() && v.get<std::string>().rfind('[', 0) == 0) {
            json list = json::parse(v.get<std::string>(), nullptr, false);
            if (list.is_array() && std::all_of(list.begin(), list.end(), [](const json& e) { return e.is_string(); }))
                v = std::move(list);
        }
        std::vector<std::string> caps;
        if (v.is_string()) caps.push_back(v.get<std::string>());
        else if (v.is_array()) caps = stringList(v, col);
        else throw FieldError(col, "must be a string or a list of strings");
        caps.erase(std::remove(caps.begin(), caps.end(), std::string()), caps.end());
        if (!caps.empty()) {
            s.caption = caps.front();
            s.moreCaptions.assign(caps.begin() + 1, caps.end());
        }
        return col;
    }
    return {};
}

// "question" and "answer": both strings (one pair) or both lists of one length. Returns false
// when the row does not have both (they stay other columns then).
bool takeQa(const json& rec, Sample& s)
{
    if (!rec.contains("question") || !rec.contains("answer")) return false;
    json q = rec.at("question");
    json a = rec.at("answer");
    if (q.is_null() && a.is_null()) return true;
    if (q.is_null() && a.is_string()) q = "";   // an empty CSV cell
    if (a.is_null() && q.is_string()) a = "";
    std::vector<std::string> qs, as;
    if (q.is_string() && a.is_string()) {
        qs = {q.get<std::string>()};
        as = {a.get<std::string>()};
    } else if (q.is_array() && a.is_array() && q.size() == a.size()) {
        qs = stringList(q, "question");
        as = stringList(a, "answer");
    } else
        throw FieldError("answer", "question and answer must both be strings, or lists of the same length");
    for (size_t k = 0; k < qs.size(); ++k)
        if (!qs[k].empty() || !as[k].empty()) s.qa.push_back({qs[k], as[k]});
    return true;
}

Sample sampleFromRow(const json& rec, bool csv, std::string& fileName)
{
    Sample s;
    fileName = checkedFileName(rec);
    const std::string captionColumn = takeCaptions(rec, csv, s);
    const bool qa = takeQa(rec, s);
    json extra = json::object();
    for (const auto& [k, v] : rec.items()) {
        if (k == "file_name" || k == captionColumn || (qa && (k == "question" || k == "answer"))) continue;
        const bool captionLike = std::find(kCaptionColumns.begin(), kCaptionColumns.end(), k) != kCaptionColumns.end();
        if (captionLike && emptyValue(v)) continue;   // an empty caption column says nothing
        extra[k] = v;
    }
    setExtra(s, extra);
    return s;
}

// Columns the loader also opens as images (_set_feature: "*_file_name", "*file_names"): kept
// as text, their files not imported.
std::vector<std::string> otherImageColumns(const std::vector<Row>& rows)
{
    std::set<std::string> cols;
    for (const auto& r : rows)
        for (const auto& [k, v] : r.rec.items()) {
            const bool single = k.size() > 10 && k.compare(k.size() - 10, 10, "_file_name") == 0;
            const bool many = k.size() >= 10 && k.compare(k.size() - 10, 10, "file_names") == 0;
            if ((single && v.is_string()) || (many && v.is_array())) cols.insert(k);
        }
    return {cols.begin(), cols.end()};
}

struct MetadataFile {
    fs::path path;
    std::string rel;   // relative to the root, with '/'
    Split split = Split::None;
};

struct PendingSample {
    Sample sample;
    std::string fileName, where;
    fs::path folder;   // the metadata file's folder
};

// The metadata files to read: one kind (the loader refuses a mix), those in split folders when
// there are any (the loader then ignores the rest).
std::vector<MetadataFile> metadataFiles(const fs::path& root, ImportReport& rep)
{
    const auto found = findMetadataFiles(root);
    std::set<std::string> kinds;
    for (const auto& p : found) kinds.insert(p.filename().string());
    if (kinds.empty() || (kinds.size() == 1 && kinds.count(kParquet)))
        throw ImportError(root.string(), 0, "",
                          std::string("no metadata.jsonl or metadata.csv") +
                              (kinds.empty() ? ""
                                             : " (metadata.parquet is not supported: convert it to metadata.jsonl)"));
    if (kinds.size() > 1) {
        std::string list;
        for (const auto& k : kinds) list += (list.empty() ? "" : " and ") + k;
        throw ImportError(root.string(), 0, "", "metadata files of different kinds (" + list +
                                                    "): the datasets loader refuses such a folder; keep one kind");
    }
    std::vector<MetadataFile> files;
    bool anySplit = false;
    for (const auto& p : found) {
        MetadataFile f{p, p.lexically_relative(root).generic_string(), Split::None};
        if (auto s = splitOfPath(p.parent_path().lexically_relative(root))) {
            f.split = *s;
            anySplit = true;
        }
        files.push_back(std::move(f));
    }
    if (anySplit) {
        std::vector<MetadataFile> inSplits;
        for (auto& f : files) {
            if (f.split != Split::None) inSplits.push_back(std::move(f));
            else
                rep.warnings.push_back(f.path.string() +
                                       ": outside the split folders (train/, validation/, test/): not read, as the "
                                       "datasets loader ignores it too");
        }
        files = std::move(inSplits);
    }
    return files;
}

fs::path cleanRoot(const std::string& dir)
{
    fs::path p = fs::absolute(fs::path(dir)).lexically_normal();
    if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
    return p;
}

void warnOtherImageColumns(const std::string& path, const std::vector<Row>& rows, ImportReport& rep)
{
    const auto cols = otherImageColumns(rows);
    if (cols.empty()) return;
    std::string list;
    for (const auto& c : cols) list += (list.empty() ? "'" : ", '") + c + "'";
    rep.warnings.push_back(path + ": column(s) " + list +
                           " name further images: kept as text, those images are not imported");
}

// One metadata file's rows as samples, checked, appended to pending.
void readMetadataFile(const MetadataFile& f, const std::string& rootName, std::vector<PendingSample>& pending,
                      ImportReport& rep)
{
    const std::string path = f.path.string();
    const std::string text = readFile(path);
    const bool csv = f.path.filename() == kCsv;
    const auto rows = csv ? readCsv(path, text) : readJsonl(path, text);
    warnOtherImageColumns(path, rows, rep);
    std::map<std::string, int> seen;   // a file named again in the same file: its own sample
    for (const auto& row : rows) {
        PendingSample p;
        try {
            p.sample = sampleFromRow(row.rec, csv, p.fileName);
        } catch (const FieldError& e) {
            throw ImportError(path, row.line, e.field, e.what());
        }
        const int nth = seen[p.fileName]++;
        p.sample.uid = foreignUid(kKind, rootName,
                                  f.rel + ":" + p.fileName + (nth ? "#" + std::to_string(nth) : std::string()));
        // A metadata file outside split folders may name images inside them ("train/0001.png").
        const auto imageSplit = splitOfPath(fs::path(p.fileName).parent_path());
        p.sample.split = f.split != Split::None ? f.split : imageSplit.value_or(Split::None);
        p.where = path + ":" + std::to_string(row.line);
        p.folder = f.path.parent_path();
        pending.push_back(std::move(p));
    }
}

// The samples with their images, in one transaction; those already in the workspace skipped.
void storePending(Workspace& ws, std::vector<PendingSample>& pending, const std::string& source,
                  const ImportOptions& opts, const Progress& progress, ImportReport& rep)
{
    NewFiles newFiles;
    std::set<std::string> uids;
    const auto total = static_cast<int64_t>(pending.size());
    Transaction tx(ws.database());
    for (size_t i = 0; i < pending.size(); ++i) {
        if (static_cast<int64_t>(i) % kProgressEvery == 0) report(progress, static_cast<int64_t>(i), total);
        auto& p = pending[i];
        Sample& s = p.sample;
        if (!uids.insert(s.uid).second || uidExists(ws, s.uid)) {
            ++rep.skipped;
            continue;
        }
        const auto roots = imageRoots(opts, p.folder);
        if (!attachImage(ws, s, p.fileName, roots, p.where, newFiles, rep)) {
            ++rep.skipped;
            continue;
        }
        insertImported(ws, s, source, opts, rep);
    }
    report(progress, total, total);
    tx.commit();
    newFiles.commit(opts);
}

} // namespace

ImportReport importHfImageFolder(Workspace& ws, const std::string& dir, const ImportOptions& opts,
                                 const Progress& progress)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw ImportError(dir, 0, "", "not a folder");
    const fs::path root = cleanRoot(dir);
    const std::string rootName = root.filename().string();
    ImportReport rep;
    const auto files = metadataFiles(root, rep);
    // Every file is read and every row checked before the first image is stored.
    std::vector<PendingSample> pending;
    for (const auto& f : files) readMetadataFile(f, rootName, pending, rep);
    storePending(ws, pending, sourceFor(opts, kKind, root.string()), opts, progress, rep);
    return rep;
}

// --- export ----------------------------------------------------------------------------------
namespace {

struct ExportRow {
    std::string fileName;
    std::vector<std::string> captions;
    std::vector<QaPair> qa;
    json extra;
};

using ColumnTypes = std::map<std::string, std::map<std::string, std::set<std::string>>>;   // column → split → types

// The column's type as pyarrow.json would infer it ("" for null, "list<>" for an empty list).
std::string typeOf(const json& v)
{
    if (v.is_null()) return "";
    if (v.is_string()) return "string";
    if (v.is_boolean()) return "bool";
    if (v.is_number_integer()) return "int";
    if (v.is_number()) return "float";
    if (v.is_object()) return "struct";
    for (const auto& e : v)
        if (auto t = typeOf(e); !t.empty() && t != "list<>") return "list<" + t + ">";
    return "list<>";
}

// The loader needs one type per column in a file, and the same columns with the same types in
// every split's metadata file ("Metadata files … have different features"): say where not.
void checkColumnTypes(const ColumnTypes& types, const std::vector<std::string>& splitsWritten, ExportReport& rep)
{
    for (const auto& [col, perSplit] : types) {
        std::map<std::string, std::string> one;   // split → its type ("" when only nulls)
        for (const auto& split : splitsWritten) {
            std::set<std::string> t;
            if (auto it = perSplit.find(split); it != perSplit.end()) t = it->second;
            if (t.size() > 1) t.erase("list<>");
            if (t == std::set<std::string>{"int", "float"}) t = {"float"};
            if (t.size() > 1) {
                std::string list;
                for (const auto& x : t) list += (list.empty() ? "" : ", ") + x;
                rep.warnings.push_back(split + "/metadata.jsonl: column '" + col + "' mixes types (" + list +
                                       "): the datasets loader cannot read it");
            }
            one[split] = t.empty() ? "" : *t.begin();
        }
        const std::string& first = one.begin()->second;
        for (const auto& [split, t] : one)
            if (t != first) {
                rep.warnings.push_back("column '" + col + "' is " + (first.empty() ? "empty" : first) + " in " +
                                       one.begin()->first + "/ but " + (t.empty() ? "empty" : t) + " in " + split +
                                       "/: the datasets loader refuses metadata files whose features differ");
                break;
            }
    }
}

void appendField(std::string& line, const std::string& key, const json& value)
{
    line += line.size() > 1 ? ", " : "";
    line += json(key).dump() + ": " + value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// What the export leaves out, counted for its warnings.
struct LeftOut {
    int64_t noImage = 0, vqaFields = 0;
    std::map<std::string, int64_t> clashes;   // a foreign field the studio's own column replaces
};

// A sample's row, its image already placed.
ExportRow exportRow(const Sample& s, const std::string& fileName, LeftOut& left, ExportReport& rep)
{
    static const std::set<std::string> kWritten{"file_name", "text", "question", "answer"};
    ExportRow row;
    row.fileName = fileName;
    row.captions = allCaptions(s);
    row.qa = s.qa;
    for (const auto& q : s.qa)
        if (q.questionId || !q.answerType.empty() || !q.questionType.empty() || !q.humanAnswers.empty())
            ++left.vqaFields;
    try {
        row.extra = extraObject(s);
    } catch (const std::invalid_argument& e) {
        rep.warnings.push_back(e.what());
        row.extra = json::object();
    }
    for (auto it = row.extra.begin(); it != row.extra.end();)
        if (kWritten.count(it.key())) {
            if (!emptyValue(it.value())) ++left.clashes[it.key()];
            it = row.extra.erase(it);
        } else
            ++it;
    return row;
}

// One set of columns for every row of every file, one type per column (see checkColumnTypes).
struct Columns {
    bool anyCaption = false, manyCaptions = false, anyQa = false, manyQa = false;
    std::set<std::string> extra;
};

Columns columnsOf(const std::map<std::string, std::vector<ExportRow>>& bySplit)
{
    Columns c;
    for (const auto& [folder, rows] : bySplit)
        for (const auto& r : rows) {
            c.anyCaption |= !r.captions.empty();
            c.manyCaptions |= r.captions.size() > 1;
            c.anyQa |= !r.qa.empty();
            c.manyQa |= r.qa.size() > 1;
            for (const auto& [k, v] : r.extra.items()) c.extra.insert(k);
        }
    return c;
}

// The row as one line of metadata.jsonl; each value's type noted under the folder.
std::string jsonLine(const ExportRow& r, const Columns& cols, const std::string& folder, ColumnTypes& types)
{
    std::string line = "{";
    appendField(line, "file_name", r.fileName);
    if (cols.anyCaption) {
        const json text = cols.manyCaptions ? json(r.captions) : json(r.captions.empty() ? "" : r.captions.front());
        appendField(line, "text", text);
        types["text"][folder].insert(typeOf(text));
    }
    if (cols.anyQa) {
        json q, a;
        if (cols.manyQa) {
            q = json::array();
            a = json::array();
            for (const auto& p : r.qa) {
                q.push_back(p.question);
                a.push_back(p.answer);
            }
        } else {
            q = r.qa.empty() ? "" : r.qa.front().question;
            a = r.qa.empty() ? "" : r.qa.front().answer;
        }
        appendField(line, "question", q);
        appendField(line, "answer", a);
        types["question"][folder].insert(typeOf(q));
    }
    for (const auto& col : cols.extra) {
        const json v = r.extra.contains(col) ? r.extra.at(col) : json(nullptr);
        appendField(line, col, v);
        types[col][folder].insert(typeOf(v));
    }
    return line + "}";
}

// <root>/<split>/metadata.jsonl for each split, then the column types checked across them.
void writeMetadataFiles(const fs::path& root, const std::map<std::string, std::vector<ExportRow>>& bySplit,
                        ExportReport& rep)
{
    const Columns cols = columnsOf(bySplit);
    ColumnTypes types;
    std::vector<std::string> splitsWritten;
    for (const auto& [folder, rows] : bySplit) {
        auto out = openOut((root / folder / kJsonl).string());
        for (const auto& r : rows) {
            out->write(jsonLine(r, cols, folder, types) + "\n");
            ++rep.written;
        }
        out->commit();
        splitsWritten.push_back(folder);
    }
    for (auto& [col, perSplit] : types)
        for (auto& [split, t] : perSplit) t.erase("");
    if (!splitsWritten.empty()) checkColumnTypes(types, splitsWritten, rep);
}

void warnLeftOut(const LeftOut& left, const ExportOptions& opts, ExportReport& rep)
{
    if (left.noImage)
        rep.warnings.push_back(std::to_string(left.noImage) +
                               " samples without an image skipped: an imagefolder row is an image file");
    for (const auto& [col, n] : left.clashes)
        rep.warnings.push_back(std::to_string(n) + " samples have a foreign field '" + col +
                               "' that the studio's own column replaces: not written");
    if (left.vqaFields)
        rep.warnings.push_back(std::to_string(left.vqaFields) +
                               " Q&A pairs carry VQA fields (question id, types, human answers) that imagefolder has "
                               "no column for: not written");
    if (!opts.copyImages)
        rep.warnings.push_back("imagefolder keeps its images beside the metadata (the datasets loader refuses paths "
                               "leading out of the folder): images placed anyway");
}

// Metadata files we did not write (an older export's split, a metadata.csv) are read by the loader too.
void warnForeignMetadata(const fs::path& root, const std::map<std::string, std::vector<ExportRow>>& bySplit,
                         ExportReport& rep)
{
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name != kJsonl && name != kCsv && name != kParquet) continue;
        const auto rel = it->path().lexically_relative(root);
        const bool ours = name == kJsonl && rel.parent_path().filename() == rel.parent_path() &&
                          bySplit.count(rel.parent_path().string());
        if (!ours)
            rep.warnings.push_back(it->path().string() +
                                   ": a metadata file this export did not write: the datasets loader reads it too");
    }
}

} // namespace

ExportReport exportHfImageFolder(const Workspace& ws, const std::string& dir, const ExportOptions& opts,
                                 const Progress& progress)
{
    const fs::path root(dir);
    ExportReport rep;
    std::map<std::string, std::vector<ExportRow>> bySplit;   // folder name → rows
    LeftOut left;
    forEachSample(ws, opts.filter, progress, [&](const Sample& s) {
        if (!s.image.id) {
            ++left.noImage;
            ++rep.skipped;
            return;
        }
        const std::string folder = exportDirName(s.split);
        const std::string fileName = exportedImageName(s);
        if (!placeImage(ws, s, root / folder / fileName, rep)) {
            ++rep.skipped;
            return;
        }
        bySplit[folder].push_back(exportRow(s, fileName, left, rep));
    });
    writeMetadataFiles(root, bySplit, rep);
    warnLeftOut(left, opts, rep);
    warnForeignMetadata(root, bySplit, rep);
    return rep;
}

} // namespace ember::data
