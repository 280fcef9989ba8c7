// COCO captions (cocodataset.org, annotations/captions_<subset>.json):
// {"info", "licenses", "images": [{"id", "file_name", "width", "height", ...}],
//  "annotations": [{"id", "image_id", "caption"}]}, read and written as pycocotools' COCO class and
// the caption metrics (pycocoevalcap) read it. One sample per COCO image, every caption kept.
// Also the COCO image helpers format_vqa.cpp shares (VQA v2 asks about COCO's images).
#include "content_hash.h"
#include "coco_support.h"
#include "export_support.h"
#include "import_support.h"
#include "sample_json.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <unordered_map>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ember::data {

namespace detail {

// --- shared with format_vqa.cpp, which declares these (no header of their own) ---------------

// The subset a COCO/VQA file name names: its first "_"-separated part that is train, val or test,
// maybe -dev or -std, then a year ("captions_val2017.json" → "val2017",
// "v2_OpenEnded_mscoco_test-dev2015_questions.json" → "test-dev2015"); "" when none is.
std::string cocoSubset(const std::string& path)
{
    static const std::regex kSubset(R"((train|val|test)(-dev|-std)?[0-9]*)");
    std::istringstream parts(fs::path(path).stem().string());
    for (std::string part; std::getline(parts, part, '_');)
        if (std::regex_match(part, kSubset)) return part;
    return "";
}

// train2017 → Train, val2014 → Val, test-dev2015 → Test, anything else None.
Split cocoSplit(const std::string& subset)
{
    if (subset.rfind("train", 0) == 0) return Split::Train;
    if (subset.rfind("val", 0) == 0) return Split::Val;
    if (subset.rfind("test", 0) == 0) return Split::Test;
    return Split::None;
}

// The folder a subset's images are in: test-dev2015's (and test-std2015's) questions are about
// test2015's images.
std::string cocoImageSubset(std::string subset)
{
    for (const char* part : {"-dev", "-std"})
        if (const auto p = subset.find(part); p != std::string::npos) subset.erase(p, 4);
    return subset;
}

// COCO's ids are non-negative integers; read wide, so a huge one cannot wrap into range.
int64_t cocoIdField(const json& rec, const char* key)
{
    if (!rec.contains(key)) throw FieldError(key, "missing");
    const json& v = rec.at(key);
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) ||
        v.get<int64_t>() < 0)
        throw FieldError(key, "must be a non-negative integer");
    return v.get<int64_t>();
}

// Runs `read` on element `element` ("annotations[3]") of `file`; its FieldError becomes an
// ImportError naming the element's field ("annotations[3].caption"). These files are often one
// line, so the field path, not a line number, says where.
void cocoWithin(const std::string& file, const std::string& element, const std::function<void()>& read)
{
    try {
        read();
    } catch (const FieldError& e) {
        throw ImportError(file, 0, e.field.empty() ? element : element + "." + e.field, e.what());
    }
}

// The top-level array `key` of `doc`, or an ImportError naming it.
const json& cocoArray(const std::string& file, const json& doc, const char* key)
{
    if (!doc.contains(key)) throw ImportError(file, 0, key, "missing");
    const json& v = doc.at(key);
    if (!v.is_array()) throw ImportError(file, 0, key, "must be an array");
    return v;
}

// The COCO image id an import kept in Sample::extra ({"image_id": N}); 0 when none.
int64_t cocoKeptImageId(const Sample& s)
{
    json extra;
    try {
        extra = extraObject(s);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    const auto it = extra.find("image_id");
    if (it == extra.end() || !it->is_number_integer()) return 0;
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return 0;
    return std::max<int64_t>(0, it->get<int64_t>());
}

// Ids for an export, deterministic: each kept id (> 0) that no earlier entry took stays; the
// others get their preferred id when free (> 0, not kept or taken by anyone), else the next id
// above every id in use.
std::vector<int64_t> cocoAssignIds(const std::vector<int64_t>& kept, const std::vector<int64_t>& preferred)
{
    std::vector<int64_t> out(kept.size(), 0);
    std::set<int64_t> used;
    for (size_t i = 0; i < kept.size(); ++i)
        if (kept[i] > 0 && used.insert(kept[i]).second) out[i] = kept[i];
    int64_t next = used.empty() ? 1 : *used.rbegin() + 1;
    for (size_t i = 0; i < kept.size(); ++i) {
        if (out[i]) continue;
        const int64_t want = i < preferred.size() ? preferred[i] : 0;
        if (want > 0 && used.insert(want).second) out[i] = want;
        else {
            while (used.count(next)) ++next;
            out[i] = next;
            used.insert(next);
        }
    }
    return out;
}

// "000000000139": COCO's file names carry the image id in 12 digits.
std::string cocoId12(int64_t id)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%012" PRId64, id);
    return buf;
}

namespace {

bool sameContent(const fs::path& file, const Sample& s)
{
    std::error_code ec;
    if (static_cast<int64_t>(fs::file_size(file, ec)) != s.image.bytes || ec) return false;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return in.good() && sha256Hex(bytes.str()) == s.image.hash;
}

} // namespace

// placeImage at a name made of an image id: an earlier export into the same folder may have put
// another image under that name, which is replaced rather than kept.
bool cocoPlaceImage(const Workspace& ws, const Sample& s, const fs::path& dest, ExportReport& rep)
{
    std::error_code ec;
    if (fs::exists(dest, ec)) {
        bool same = false;
        try {
            same = fs::equivalent(ws.absolutePath(s.image.path), dest, ec) || sameContent(dest, s);
        } catch (const UnsafePathError&) {
            // placeImage says why
        }
        if (!same) fs::remove(dest, ec);
    }
    return placeImage(ws, s, dest, rep);
}

// The stored image's extension (".jpg"); an export keeps the bytes, so their format too.
std::string cocoImageExt(const Sample& s)
{
    const std::string ext = fs::path(s.image.path).extension().string();
    return ext.empty() ? ".jpg" : ext;
}

// Today as the datasets write it: "2017/09/01" (COCO) or "2017-04-26 17:07:13" (VQA).
std::string cocoDate(const char* format)
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

int cocoYear()
{
    return std::stoi(cocoDate("%Y"));
}

// Without copies (ExportOptions::copyImages false) a record names the workspace's own file,
// absolute: the tools join their image folder with it, which leaves an absolute path as it is.
bool cocoWorkspaceImage(const Workspace& ws, const Sample& s, std::string& file, ExportReport& rep)
{
    try {
        file = ws.absolutePath(s.image.path);
        return true;
    } catch (const UnsafePathError& e) {
        rep.warnings.push_back("sample " + s.uid + ": " + e.what());
        return false;
    }
}

} // namespace detail

using namespace detail;

namespace {

// COCO captions often end in a space or a newline; stored without, so a round trip is stable.
std::string trimmed(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Fields of a COCO image record the sample has its own place for: not kept in Sample::extra
// (width and height come from the stored image itself) and never taken from it on export (a
// LLaVA import's "id" is no COCO image id).
bool reservedImageKey(const std::string& k)
{
    return k == "id" || k == "image_id" || k == "file_name" || k == "width" || k == "height";
}

struct CocoImage {
    int64_t id = 0;
    std::string file;
    json extra = json::object();        // {"image_id", and the record's other simple fields}
    std::vector<std::string> captions;  // annotation order
};

std::vector<CocoImage> readCocoImages(const std::string& path, const json& doc, int64_t& emptyCaptions)
{
    const json& images = cocoArray(path, doc, "images");
    std::vector<CocoImage> out(images.size());
    std::unordered_map<int64_t, size_t> byId;
    for (size_t i = 0; i < images.size(); ++i)
        cocoWithin(path, "images[" + std::to_string(i) + "]", [&] {
            const json& rec = images[i];
            if (!rec.is_object()) throw FieldError("", "must be an object");
            CocoImage& img = out[i];
            img.id = cocoIdField(rec, "id");
            img.file = requiredString(rec, "file_name");
            if (!byId.emplace(img.id, i).second)
                throw FieldError("id", "image id " + std::to_string(img.id) + " occurs twice");
            img.extra["image_id"] = img.id;
            for (const auto& [k, v] : rec.items())
                if (!reservedImageKey(k) && v.is_primitive()) img.extra[k] = v;
        });
    // image_info_test2017.json lists images with no "annotations" at all.
    if (!doc.contains("annotations")) return out;
    const json& anns = cocoArray(path, doc, "annotations");
    for (size_t k = 0; k < anns.size(); ++k)
        cocoWithin(path, "annotations[" + std::to_string(k) + "]", [&] {
            const json& rec = anns[k];
            if (!rec.is_object()) throw FieldError("", "must be an object");
            const int64_t imageId = cocoIdField(rec, "image_id");
            const std::string caption = trimmed(requiredString(rec, "caption"));
            const auto it = byId.find(imageId);
            if (it == byId.end()) throw FieldError("image_id", "no image with id " + std::to_string(imageId) + " in \"images\"");
            if (caption.empty()) ++emptyCaptions;
            else out[it->second].captions.push_back(caption);
        });
    return out;
}

// Where a COCO file's images are: --images DIR, then the usual layout (annotations/captions_val2017.json
// beside val2017/), the subset's folder next to the file, and the file's own folder.
std::vector<fs::path> cocoImageRoots(const std::string& path, const ImportOptions& opts)
{
    std::vector<fs::path> roots;
    if (!opts.imagesDir.empty()) roots.emplace_back(opts.imagesDir);
    const fs::path dir = fs::path(path).parent_path();
    if (const std::string subset = cocoImageSubset(cocoSubset(path)); !subset.empty()) {
        roots.push_back(dir / ".." / subset);
        roots.push_back(dir / subset);
    }
    roots.push_back(dir);
    return roots;
}

} // namespace

ImportReport importCoco(Workspace& ws, const std::string& path, const ImportOptions& opts, const Progress& progress)
{
    const json doc = parseJsonFile(path, readFile(path));
    if (!doc.is_object())
        throw ImportError(path, 1, "", "expected a COCO captions object {\"images\": [...], \"annotations\": [...]}");
    int64_t emptyCaptions = 0;
    const std::vector<CocoImage> images = readCocoImages(path, doc, emptyCaptions);
    const auto roots = cocoImageRoots(path, opts);
    const Split split = cocoSplit(cocoSubset(path));
    ImportReport rep;
    NewFiles newFiles;
    const auto total = static_cast<int64_t>(images.size());
    Transaction tx(ws.database());
    for (size_t i = 0; i < images.size(); ++i) {
        if (static_cast<int64_t>(i) % kProgressEvery == 0) report(progress, static_cast<int64_t>(i), total);
        const CocoImage& img = images[i];
        Sample s;
        s.uid = foreignUid("coco", path, std::to_string(img.id));
        if (uidExists(ws, s.uid)) {
            ++rep.skipped;
            continue;
        }
        // The image is what the sample is about: without it the captions have nothing to describe.
        if (!attachImage(ws, s, img.file, roots, path + ": image " + std::to_string(img.id), newFiles, rep)) {
            ++rep.skipped;
            continue;
        }
        // An image without captions (a test subset's image_info file lists only images) becomes a
        // sample with the image alone, to be captioned in the Annotate view.
        if (!img.captions.empty()) {
            s.caption = img.captions.front();
            s.moreCaptions.assign(img.captions.begin() + 1, img.captions.end());
        }
        setExtra(s, img.extra);
        s.split = split;
        insertImported(ws, s, sourceFor(opts, "coco", path), opts, rep);
    }
    if (emptyCaptions)
        rep.warnings.push_back(path + ": " + std::to_string(emptyCaptions) + " empty captions left out");
    report(progress, total, total);
    tx.commit();
    newFiles.commit(opts);
    return rep;
}

namespace {

// A split's subset name in a COCO 2017 export; samples without a split are training data.
std::string cocoExportSubset(Split s)
{
    switch (s) {
    case Split::Val: return "val2017";
    case Split::Test: return "test2017";
    default: return "train2017";
    }
}

// The captions as written: trimmed like an import stores them, empty ones left out.
std::vector<std::string> exportedCaptions(const Sample& s)
{
    std::vector<std::string> out;
    for (const auto& c : allCaptions(s))
        if (std::string t = trimmed(c); !t.empty()) out.push_back(std::move(t));
    return out;
}

json cocoInfo()
{
    return {{"description", "COCO-style captions exported by EmberVLM Studio"},
            {"url", ""},
            {"version", "1.0"},
            {"year", cocoYear()},
            {"contributor", ""},
            {"date_created", cocoDate("%Y/%m/%d")}};
}

// The image record: the sample's kept simple fields (license, coco_url, ...), then what COCO requires.
json cocoImageRecord(const Sample& s, int64_t id, const std::string& file, ExportReport& rep)
{
    json rec = json::object();
    try {
        const json extra = extraObject(s);
        for (const auto& [k, v] : extra.items())
            if (!reservedImageKey(k) && v.is_primitive()) rec[k] = v;
    } catch (const std::invalid_argument& e) {
        rep.warnings.push_back(std::string(e.what()) + " (left out)");
    }
    rec["id"] = id;
    rec["file_name"] = file;
    rec["width"] = s.image.width;
    rec["height"] = s.image.height;
    return rec;
}

} // namespace

CocoExportSamples detail::cocoCollect(const Workspace& ws, const ExportOptions& opts, const Progress& progress,
                                      const std::function<bool(const Sample&)>& writable, ExportReport& rep)
{
    // Image ids are decided over the whole export (kept ids stay unique), so the samples are read
    // first; progress: the first half reading, the second placing images.
    CocoExportSamples out;
    forEachSample(ws, opts.filter, [&](int64_t d, int64_t t) {
        out.total = t;
        return !progress || progress(d, 2 * t);
    }, [&](const Sample& s) {
        if (!writable(s)) {
            ++rep.skipped;
            return;
        }
        out.samples.push_back(s);
    });
    std::vector<int64_t> kept, preferred;
    for (const auto& s : out.samples) {
        kept.push_back(cocoKeptImageId(s));
        preferred.push_back(s.id);
    }
    out.imageIds = cocoAssignIds(kept, preferred);
    return out;
}

ExportReport exportCoco(const Workspace& ws, const std::string& dir, const ExportOptions& opts,
                        const Progress& progress)
{
    ExportReport rep;
    const auto [samples, ids, total] =
        cocoCollect(ws, opts, progress, [](const Sample& s) { return s.image.id && !exportedCaptions(s).empty(); }, rep);
    struct Doc {
        json images = json::array(), annotations = json::array();
    };
    std::map<std::string, Doc> docs;
    int64_t annotationId = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
        report(progress, total + static_cast<int64_t>(i) * total / static_cast<int64_t>(samples.size()), 2 * total);
        const Sample& s = samples[i];
        const std::string subset = cocoExportSubset(s.split);
        std::string file = cocoId12(ids[i]) + cocoImageExt(s);
        if (opts.copyImages ? !cocoPlaceImage(ws, s, fs::path(dir) / subset / file, rep)
                            : !cocoWorkspaceImage(ws, s, file, rep)) {
            ++rep.skipped;
            continue;
        }
        Doc& doc = docs[subset];
        doc.images.push_back(cocoImageRecord(s, ids[i], file, rep));
        for (const auto& c : exportedCaptions(s))
            doc.annotations.push_back({{"id", ++annotationId}, {"image_id", ids[i]}, {"caption", c}});
        ++rep.written;
    }
    // Written beside the previous files and renamed at the end: a failed export leaves them as they were.
    std::vector<std::unique_ptr<ember::AtomicFile>> outs;
    for (auto& [subset, doc] : docs) {
        json j = {{"info", cocoInfo()}, {"licenses", json::array()}, {"images", std::move(doc.images)},
                  {"annotations", std::move(doc.annotations)}};
        outs.push_back(openOut((fs::path(dir) / "annotations" / ("captions_" + subset + ".json")).string()));
        outs.back()->write(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
    }
    report(progress, 2 * total, 2 * total);   // the last chance to cancel
    for (auto& out : outs) out->commit();
    return rep;
}

} // namespace ember::data
