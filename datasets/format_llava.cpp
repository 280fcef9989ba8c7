// LLaVA instruction JSON (LLaVA-Instruct-150K, LLaVA-Pretrain): a list of
// {"id", "image", "conversations": [{"from": "human"|"gpt", "value"}]}.
#include "export_support.h"
#include "import_support.h"
#include "sample_json.h"

#include <filesystem>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ember::data {

using namespace detail;

namespace {

// Human/gpt turns in order become Q&A pairs; a human turn with no answer after it is dropped
// (LLaVA's loaders ignore it too), as is a gpt turn with no question before it.
std::vector<QaPair> llavaPairs(const json& conv)
{
    if (!conv.is_array()) throw FieldError("conversations", "must be an array");
    std::vector<QaPair> out;
    std::optional<std::string> question;
    for (size_t i = 0; i < conv.size(); ++i) {
        const std::string f = "conversations[" + std::to_string(i) + "]";
        if (!conv[i].is_object()) throw FieldError(f, "must be an object");
        std::string from, value;
        try {
            from = requiredString(conv[i], "from");
            value = withoutImageMarkers(requiredString(conv[i], "value"));
        } catch (const FieldError& e) {
            throw FieldError(f + "." + e.field, e.what());
        }
        if (from == "human" || from == "user") question = value;
        else if (from == "gpt" || from == "assistant") {
            if (question) out.push_back({*question, value});
            question.reset();
        } else
            throw FieldError(f + ".from", "must be \"human\" or \"gpt\", not \"" + from + "\"");
    }
    return out;
}

} // namespace

ImportReport importLlava(Workspace& ws, const std::string& path, const ImportOptions& opts, const Progress& progress)
{
    const std::string text = readFile(path);
    std::vector<int64_t> lines;
    const json doc = parseArrayFile(path, text, lines);
    const auto roots = imageRoots(opts, fs::path(path).parent_path());
    ImportReport rep;
    NewFiles newFiles;
    int64_t textOnly = 0;
    const auto total = static_cast<int64_t>(doc.size());
    Transaction tx(ws.database());
    for (size_t i = 0; i < doc.size(); ++i) {
        if (static_cast<int64_t>(i) % kProgressEvery == 0) report(progress, static_cast<int64_t>(i), total);
        const json& rec = doc[i];
        const std::string where = path + ":" + std::to_string(lines[i]);
        Sample s;
        std::string image;
        try {
            if (!rec.is_object()) throw FieldError("", "record must be a JSON object");
            if (!rec.contains("conversations")) throw FieldError("conversations", "missing");
            s.qa = llavaPairs(rec.at("conversations"));
            if (rec.contains("image") && !rec.at("image").is_null()) image = requiredString(rec, "image");
            json extra = json::object();
            for (const auto& [k, v] : rec.items())
                if (k != "image" && k != "conversations") extra[k] = v;
            setExtra(s, extra);
        } catch (const FieldError& e) {
            throw ImportError(path, lines[i], e.field, e.what());
        }
        if (image.empty()) {
            ++textOnly;
            ++rep.skipped;
            continue;
        }
        const std::string key = rec.contains("id") ? (rec["id"].is_string() ? rec["id"].get<std::string>() : rec["id"].dump())
                                                   : "#" + std::to_string(i);
        s.uid = foreignUid("llava", path, key);
        if (uidExists(ws, s.uid)) {
            ++rep.skipped;
            continue;
        }
        if (!attachImage(ws, s, image, roots, where, newFiles, rep)) {
            ++rep.skipped;
            continue;
        }
        insertImported(ws, s, sourceFor(opts, "llava", path), opts, rep);
    }
    if (textOnly)
        rep.warnings.push_back(path + ": " + std::to_string(textOnly) +
                               " text-only entries (no \"image\") skipped: the studio's samples are about an image");
    report(progress, total, total);
    tx.commit();
    newFiles.commit(opts);
    return rep;
}

ExportReport exportLlava(const Workspace& ws, const std::string& path, const ExportOptions& opts,
                         const Progress& progress)
{
    const fs::path base = fs::path(path).parent_path();
    json arr = json::array();
    ExportReport rep;
    forEachSample(ws, opts.filter, progress, [&](const Sample& s) {
        if (s.qa.empty() || !s.image.id) {
            ++rep.skipped;
            return;
        }
        json rec = extraObject(s);
        if (!rec.contains("id")) rec["id"] = s.uid;
        const std::string ref = imageReference(ws, s, base, opts, rep);
        if (ref.empty()) {
            ++rep.skipped;
            return;
        }
        rec["image"] = ref;
        json conv = json::array();
        for (size_t k = 0; k < s.qa.size(); ++k) {
            // LLaVA puts the image marker on its own line before the first question.
            conv.push_back({{"from", "human"}, {"value", (k == 0 ? "<image>\n" : "") + s.qa[k].question}});
            conv.push_back({{"from", "gpt"}, {"value", s.qa[k].answer}});
        }
        rec["conversations"] = std::move(conv);
        arr.push_back(std::move(rec));
        ++rep.written;
    });
    auto out = openOut(path);
    out->write(arr.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    out->commit();
    return rep;
}

} // namespace ember::data
