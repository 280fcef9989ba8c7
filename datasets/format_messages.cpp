// Chat "messages" JSONL as Hugging Face TRL's vision SFT reads it:
// {"images": ["a.jpg"], "messages": [{"role": "user"|"assistant"|"system", "content": ...}]},
// content a string or a list of parts [{"type": "image"}, {"type": "text", "text": ...}].
#include "export_support.h"
#include "import_support.h"
#include "sample_json.h"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ember::data {

using namespace detail;

namespace {

// The text of a message's content, its image parts dropped.
std::string contentText(const json& content, const std::string& field)
{
    if (content.is_string()) return withoutImageMarkers(content.get<std::string>());
    if (!content.is_array()) throw FieldError(field, "must be a string or a list of parts");
    std::string text;
    for (size_t i = 0; i < content.size(); ++i) {
        const auto& part = content[i];
        const std::string f = field + "[" + std::to_string(i) + "]";
        if (!part.is_object()) throw FieldError(f, "must be an object");
        const std::string type = part.value("type", "");
        if (type == "image") continue;
        if (type != "text") throw FieldError(f + ".type", "must be \"text\" or \"image\"");
        if (!part.contains("text") || !part["text"].is_string()) throw FieldError(f + ".text", "must be a string");
        if (!text.empty()) text += "\n";
        text += part["text"].get<std::string>();
    }
    return withoutImageMarkers(text);
}

struct Chat {
    std::vector<QaPair> qa;
    std::string system;
};

Chat readMessages(const json& messages)
{
    if (!messages.is_array()) throw FieldError("messages", "must be an array");
    Chat chat;
    std::optional<std::string> question;
    for (size_t i = 0; i < messages.size(); ++i) {
        const std::string f = "messages[" + std::to_string(i) + "]";
        const auto& m = messages[i];
        if (!m.is_object()) throw FieldError(f, "must be an object");
        if (!m.contains("role") || !m["role"].is_string()) throw FieldError(f + ".role", "must be a string");
        if (!m.contains("content")) throw FieldError(f + ".content", "missing");
        const std::string role = m["role"].get<std::string>();
        const std::string text = contentText(m["content"], f + ".content");
        if (role == "system") chat.system = text;
        else if (role == "user") question = text;
        else if (role == "assistant") {
            if (question) chat.qa.push_back({*question, text});
            question.reset();
        } else
            throw FieldError(f + ".role", "must be \"user\", \"assistant\" or \"system\", not \"" + role + "\"");
    }
    return chat;
}

// "images": a list of paths (TRL also accepts one path as a string).
std::vector<std::string> readImages(const json& rec)
{
    std::vector<std::string> out;
    if (!rec.contains("images") || rec["images"].is_null()) return out;
    const auto& v = rec["images"];
    if (v.is_string()) return {v.get<std::string>()};
    if (!v.is_array()) throw FieldError("images", "must be a list of image paths");
    for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) throw FieldError("images[" + std::to_string(i) + "]", "must be an image path");
        out.push_back(v[i].get<std::string>());
    }
    return out;
}

json textParts(const std::string& text)
{
    return json::array({json{{"type", "text"}, {"text", text}}});
}

} // namespace

ImportReport importMessages(Workspace& ws, const std::string& path, const ImportOptions& opts, const Progress& progress)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ImportError(path, 0, "", "cannot open file");
    const auto fileBytes = static_cast<int64_t>(fs::file_size(path));
    const auto roots = imageRoots(opts, fs::path(path).parent_path());
    ImportReport rep;
    NewFiles newFiles;
    int64_t textOnly = 0, severalImages = 0, lineNo = 0, readBytes = 0;
    Transaction tx(ws.database());
    std::string line;
    while (std::getline(in, line)) {
        ++lineNo;
        readBytes += static_cast<int64_t>(line.size()) + 1;
        if (lineNo % kProgressEvery == 0) report(progress, readBytes, fileBytes);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        json rec;
        try {
            rec = json::parse(line);
        } catch (const json::parse_error& e) {
            throw ImportError(path, lineNo, "", std::string("invalid JSON: ") + e.what());
        }
        Sample s;
        std::vector<std::string> images;
        try {
            if (!rec.is_object()) throw FieldError("", "record must be a JSON object");
            if (!rec.contains("messages")) throw FieldError("messages", "missing");
            Chat chat = readMessages(rec["messages"]);
            images = readImages(rec);
            s.qa = std::move(chat.qa);
            json extra = json::object();
            for (const auto& [k, v] : rec.items())
                if (k != "images" && k != "messages") extra[k] = v;
            if (!chat.system.empty()) extra["system"] = chat.system;
            setExtra(s, extra);
        } catch (const FieldError& e) {
            throw ImportError(path, lineNo, e.field, e.what());
        }
        if (images.empty()) {
            ++textOnly;
            ++rep.skipped;
            continue;
        }
        if (images.size() > 1) ++severalImages;
        s.uid = foreignUid("messages", path, std::to_string(lineNo));
        if (uidExists(ws, s.uid)) {
            ++rep.skipped;
            continue;
        }
        if (!attachImage(ws, s, images.front(), roots, path + ":" + std::to_string(lineNo), newFiles, rep)) {
            ++rep.skipped;
            continue;
        }
        insertImported(ws, s, sourceFor(opts, "messages", path), opts, rep);
    }
    if (in.bad()) throw ImportError(path, lineNo, "", "read error");
    if (textOnly)
        rep.warnings.push_back(path + ": " + std::to_string(textOnly) +
                               " text-only records (no \"images\") skipped: the studio's samples are about an image");
    if (severalImages)
        rep.warnings.push_back(path + ": " + std::to_string(severalImages) +
                               " records name several images: only the first is kept");
    report(progress, fileBytes, fileBytes);
    tx.commit();
    newFiles.commit(opts);
    return rep;
}

ExportReport exportMessages(const Workspace& ws, const std::string& path, const ExportOptions& opts,
                            const Progress& progress)
{
    const fs::path base = fs::path(path).parent_path();
    ExportReport rep;
    auto out = openOut(path);
    forEachSample(ws, opts.filter, progress, [&](const Sample& s) {
        if (s.qa.empty() || !s.image.id) {
            ++rep.skipped;
            return;
        }
        const std::string ref = imageReference(ws, s, base, opts, rep);
        if (ref.empty()) {
            ++rep.skipped;
            return;
        }
        json rec = extraObject(s);
        json messages = json::array();
        if (rec.contains("system") && rec["system"].is_string()) {
            messages.push_back({{"role", "system"}, {"content", textParts(rec["system"].get<std::string>())}});
            rec.erase("system");
        }
        for (size_t k = 0; k < s.qa.size(); ++k) {
            json user = json::array();
            if (k == 0) user.push_back({{"type", "image"}});
            user.push_back({{"type", "text"}, {"text", s.qa[k].question}});
            messages.push_back({{"role", "user"}, {"content", std::move(user)}});
            messages.push_back({{"role", "assistant"}, {"content", textParts(s.qa[k].answer)}});
        }
        rec["images"] = json::array({ref});
        rec["messages"] = std::move(messages);
        out->write(rec.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
        ++rep.written;
    });
    out->commit();
    return rep;
}

} // namespace ember::data
