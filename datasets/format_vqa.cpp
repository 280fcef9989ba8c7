// VQA v2 (visualqa.org): a questions file
//   {"info", "task_type": "Open-Ended", "data_type": "mscoco", "license", "data_subtype": "val2014",
//    "questions": [{"image_id", "question", "question_id"}]}
// and an annotations file
//   {"info", "license", "data_subtype", "annotations": [{"question_id", "image_id", "question_type",
//    "answer_type", "multiple_choice_answer", "answers": [{"answer", "answer_confidence", "answer_id"}]}]},
// images COCO_<subset>_<12-digit image id>.jpg; read and written as the official helper
// (PythonHelperTools/vqaTools/vqa.py) and evaluation (vqaEval.py) read them. One sample per
// image, its questions as Q&A pairs with all ten human answers.
#include "coco_support.h"
#include "export_support.h"
#include "import_support.h"
#include "sample_json.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <unordered_map>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ember::data {


using namespace detail;

namespace {

// The extensions an image of a VQA subset is looked for with (an export keeps a PNG a PNG).
const char* const kImageExts[] = {".jpg", ".png", ".jpeg"};

struct VqaQuestion {
    int64_t imageId = 0;
    QaPair pair;
    bool annotated = false;
};

bool isQuestionsDoc(const json& j) { return j.is_object() && j.contains("questions"); }
bool isAnnotationsDoc(const json& j) { return j.is_object() && j.contains("annotations") && !j.contains("questions"); }

std::string optionalString(const json& rec, const char* key)
{
    if (!rec.contains(key) || rec.at(key).is_null()) return "";
    return requiredString(rec, key);
}

// The subset (val2014, test-dev2015): the file's "data_subtype", else its name.
std::string vqaSubset(const std::string& path, const json& doc)
{
    if (doc.contains("data_subtype") && doc.at("data_subtype").is_string()) return doc.at("data_subtype").get<std::string>();
    return cocoSubset(path);
}

std::vector<VqaQuestion> readQuestions(const std::string& path, const json& doc,
                                       std::unordered_map<int64_t, size_t>& byQuestionId)
{
    const json& qs = cocoArray(path, doc, "questions");
    std::vector<VqaQuestion> out(qs.size());
    for (size_t i = 0; i < qs.size(); ++i)
        cocoWithin(path, "questions[" + std::to_string(i) + "]", [&] {
            const json& rec = qs[i];
            if (!rec.is_object()) throw FieldError("", "must be an object");
            VqaQuestion& q = out[i];
            q.imageId = cocoIdField(rec, "image_id");
            q.pair.question = requiredString(rec, "question");
            q.pair.questionId = cocoIdField(rec, "question_id");
            if (!byQuestionId.emplace(q.pair.questionId, i).second)
                throw FieldError("question_id", "question id " + std::to_string(q.pair.questionId) + " occurs twice");
        });
    return out;
}

// The ten human answers in answer_id order (file order where ids are missing or equal).
std::vector<HumanAnswer> readHumanAnswers(const json& rec)
{
    if (!rec.contains("answers") || rec.at("answers").is_null()) return {};
    const json& answers = rec.at("answers");
    if (!answers.is_array()) throw FieldError("answers", "must be an array");
    std::vector<std::pair<int64_t, HumanAnswer>> read;
    for (size_t k = 0; k < answers.size(); ++k) {
        const std::string f = "answers[" + std::to_string(k) + "]";
        const json& a = answers[k];
        if (!a.is_object()) throw FieldError(f, "must be an object");
        try {
            const int64_t id = a.contains("answer_id") ? cocoIdField(a, "answer_id") : static_cast<int64_t>(k);
            read.push_back({id, {requiredString(a, "answer"), optionalString(a, "answer_confidence")}});
        } catch (const FieldError& e) {
            throw FieldError(f + "." + e.field, e.what());
        }
    }
    std::stable_sort(read.begin(), read.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<HumanAnswer> out;
    for (auto& [id, h] : read) out.push_back(std::move(h));
    return out;
}

void readAnnotations(const std::string& path, const std::string& questionsPath, const json& doc,
                     std::vector<VqaQuestion>& questions, const std::unordered_map<int64_t, size_t>& byQuestionId)
{
    const json& anns = cocoArray(path, doc, "annotations");
    for (size_t k = 0; k < anns.size(); ++k)
        cocoWithin(path, "annotations[" + std::to_string(k) + "]", [&] {
            const json& rec = anns[k];
            if (!rec.is_object()) throw FieldError("", "must be an object");
            const int64_t qid = cocoIdField(rec, "question_id");
            const auto it = byQuestionId.find(qid);
            if (it == byQuestionId.end())
                throw FieldError("question_id", "no question " + std::to_string(qid) + " in " +
                                                    fs::path(questionsPath).filename().string());
            VqaQuestion& q = questions[it->second];
            if (q.annotated) throw FieldError("question_id", "question " + std::to_string(qid) + " annotated twice");
            if (rec.contains("image_id") && cocoIdField(rec, "image_id") != q.imageId)
                throw FieldError("image_id", "question " + std::to_string(qid) + " is about image " +
                                                 std::to_string(q.imageId) + ", not " +
                                                 std::to_string(rec.at("image_id").get<int64_t>()));
            q.pair.answer = requiredString(rec, "multiple_choice_answer");
            q.pair.answerType = optionalString(rec, "answer_type");
            q.pair.questionType = optionalString(rec, "question_type");
            q.pair.humanAnswers = readHumanAnswers(rec);
            q.annotated = true;
        });
}

// Where a subset's images are: --images DIR, then <subset>/ beside the questions file (and the
// subset named in the file when it differs, test-dev2015 for test2015), ../<subset>/, the file's folder.
std::vector<fs::path> vqaImageRoots(const std::string& questionsPath, const std::string& subset,
                                    const ImportOptions& opts)
{
    std::vector<fs::path> roots;
    if (!opts.imagesDir.empty()) roots.emplace_back(opts.imagesDir);
    const fs::path dir = fs::path(questionsPath).parent_path();
    const std::string imageSubset = cocoImageSubset(subset);
    if (!imageSubset.empty()) {
        roots.push_back(dir / imageSubset);
        if (subset != imageSubset) roots.push_back(dir / subset);
        roots.push_back(dir / ".." / imageSubset);
    }
    roots.push_back(dir);
    return roots;
}

// The image's name as found under one of the roots: COCO_val2014_000000000042.jpg (VQA and
// COCO 2014), else 000000000042.jpg (COCO 2017); the first name when neither is there, for the warning.
std::string vqaImageName(const std::vector<fs::path>& roots, const std::string& imageSubset, int64_t imageId)
{
    std::vector<std::string> names;
    for (const char* ext : kImageExts) {
        if (!imageSubset.empty()) names.push_back("COCO_" + imageSubset + "_" + cocoId12(imageId) + ext);
        names.push_back(cocoId12(imageId) + ext);
    }
    std::error_code ec;
    for (const auto& name : names)
        for (const auto& root : roots)
            if (fs::is_regular_file(root / name, ec)) return name;
    return names.front();
}

} // namespace

ImportReport importVqa(Workspace& ws, const std::string& questionsPathIn, const std::string& annotationsPathIn,
                       const ImportOptions& opts, const Progress& progress)
{
    std::string questionsPath = questionsPathIn, annotationsPath = annotationsPathIn;
    json qdoc = parseJsonFile(questionsPath, readFile(questionsPath));
    json adoc;
    if (!annotationsPath.empty()) adoc = parseJsonFile(annotationsPath, readFile(annotationsPath));
    // Told apart by content: the two files may come in either order.
    if (!annotationsPath.empty() && isAnnotationsDoc(qdoc) && isQuestionsDoc(adoc)) {
        std::swap(qdoc, adoc);
        std::swap(questionsPath, annotationsPath);
    }
    if (!qdoc.is_object()) throw ImportError(questionsPath, 1, "", "expected a VQA questions object {\"questions\": [...]}");
    if (annotationsPath.empty() && isAnnotationsDoc(qdoc))
        throw ImportError(questionsPath, 0, "questions", "missing: this is a VQA annotations file; give its questions file too");
    if (!annotationsPath.empty() && !adoc.is_object())
        throw ImportError(annotationsPath, 1, "", "expected a VQA annotations object {\"annotations\": [...]}");
    std::unordered_map<int64_t, size_t> byQuestionId;
    std::vector<VqaQuestion> questions = readQuestions(questionsPath, qdoc, byQuestionId);
    if (!annotationsPath.empty()) readAnnotations(annotationsPath, questionsPath, adoc, questions, byQuestionId);

    // One sample per image, in the order the images first occur; its questions by question id.
    std::vector<int64_t> imageOrder;
    std::unordered_map<int64_t, std::vector<size_t>> byImage;
    for (size_t i = 0; i < questions.size(); ++i) {
        auto& list = byImage[questions[i].imageId];
        if (list.empty()) imageOrder.push_back(questions[i].imageId);
        list.push_back(i);
    }
    const std::string subset = vqaSubset(questionsPath, qdoc);
    const auto roots = vqaImageRoots(questionsPath, subset, opts);
    const Split split = cocoSplit(subset);
    ImportReport rep;
    NewFiles newFiles;
    const auto total = static_cast<int64_t>(imageOrder.size());
    Transaction tx(ws.database());
    for (size_t i = 0; i < imageOrder.size(); ++i) {
        if (static_cast<int64_t>(i) % kProgressEvery == 0) report(progress, static_cast<int64_t>(i), total);
        const int64_t imageId = imageOrder[i];
        Sample s;
        s.uid = foreignUid("vqa", questionsPath, std::to_string(imageId));
        if (uidExists(ws, s.uid)) {
            ++rep.skipped;
            continue;
        }
        const std::string name = vqaImageName(roots, cocoImageSubset(subset), imageId);
        if (!attachImage(ws, s, name, roots, questionsPath + ": image " + std::to_string(imageId), newFiles, rep)) {
            ++rep.skipped;
            continue;
        }
        auto list = byImage[imageId];
        std::sort(list.begin(), list.end(),
                  [&](size_t a, size_t b) { return questions[a].pair.questionId < questions[b].pair.questionId; });
        for (size_t q : list) s.qa.push_back(questions[q].pair);
        setExtra(s, {{"image_id", imageId}});
        s.split = split;
        insertImported(ws, s, sourceFor(opts, "vqa", questionsPath), opts, rep);
    }
    if (!annotationsPath.empty()) {
        const auto unanswered = std::count_if(questions.begin(), questions.end(), [](const auto& q) { return !q.annotated; });
        if (unanswered)
            rep.warnings.push_back(annotationsPath + ": " + std::to_string(unanswered) +
                                   " questions have no annotation; their answers are left empty");
    }
    report(progress, total, total);
    tx.commit();
    newFiles.commit(opts);
    return rep;
}

namespace {

// A split's subset in a VQA v2 export (the real ones: train2014, val2014, test2015); samples
// without a split are training data.
std::string vqaExportSubset(Split s)
{
    switch (s) {
    case Split::Val: return "val2014";
    case Split::Test: return "test2015";
    default: return "train2014";
    }
}

// VQA's three answer types, for a pair typed by hand (VQA's own rule: yes/no, a number, other).
std::string inferredAnswerType(const std::string& answer)
{
    std::string a;
    for (char c : answer) a += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!a.empty() && (a.back() == '.' || a.back() == ' ')) a.pop_back();
    if (a == "yes" || a == "no") return "yes/no";
    if (!a.empty() && std::all_of(a.begin(), a.end(), [](unsigned char c) { return std::isdigit(c); })) return "number";
    return "other";
}

// VQA's answer: the answer most of the humans gave (the first of those in a tie).
std::string majorityAnswer(const std::vector<HumanAnswer>& answers)
{
    std::map<std::string, int> counts;
    std::string best;
    int bestCount = 0;
    for (const auto& h : answers)
        if (const int c = ++counts[h.answer]; c > bestCount) best = h.answer, bestCount = c;
    return best;
}

constexpr int kHumanAnswers = 10;   // VQA v2 collects ten answers per question

// The annotation of a pair. A pair typed by hand has no human answers: its answer is written as
// all ten (confidence "yes"; a human answer without one keeps its ""), because VQA accuracy compares a prediction with the other nine
// answers and would score even the right one 0 against fewer; its type is inferred and its
// question type is VQA's "none of the above".
json vqaAnnotation(const QaPair& p, int64_t imageId, int64_t questionId)
{
    std::vector<HumanAnswer> humans = p.humanAnswers;
    if (humans.empty()) humans.assign(kHumanAnswers, HumanAnswer{p.answer, "yes"});
    json answers = json::array();
    for (size_t k = 0; k < humans.size(); ++k)
        answers.push_back({{"answer", humans[k].answer},
                           {"answer_confidence", humans[k].confidence},
                           {"answer_id", static_cast<int64_t>(k + 1)}});
    const std::string answer = p.answer.empty() ? majorityAnswer(humans) : p.answer;
    return {{"question_id", questionId},
            {"image_id", imageId},
            {"question_type", p.questionType.empty() ? "none of the above" : p.questionType},
            {"answer_type", p.answerType.empty() ? inferredAnswerType(answer) : p.answerType},
            {"multiple_choice_answer", answer},
            {"answers", std::move(answers)}};
}

json vqaInfo()
{
    return {{"description", "VQA-style questions and answers exported by EmberVLM Studio"},
            {"url", ""},
            {"version", "2.0"},
            {"year", cocoYear()},
            {"contributor", ""},
            {"date_created", cocoDate("%Y-%m-%d %H:%M:%S")}};
}

// Question ids: the kept ones where unique, else VQA's own scheme, image id × 1000 + position.
std::vector<int64_t> vqaQuestionIds(const std::vector<Sample>& samples, const std::vector<int64_t>& imageIds)
{
    std::vector<int64_t> kept, preferred;
    for (size_t i = 0; i < samples.size(); ++i)
        for (size_t k = 0; k < samples[i].qa.size(); ++k) {
            kept.push_back(samples[i].qa[k].questionId);
            const bool fits = imageIds[i] < std::numeric_limits<int64_t>::max() / 1000 - 1000;
            preferred.push_back(fits && k < 1000 ? imageIds[i] * 1000 + static_cast<int64_t>(k) : 0);
        }
    return cocoAssignIds(kept, preferred);
}

} // namespace

ExportReport exportVqa(const Workspace& ws, const std::string& dir, const ExportOptions& opts,
                       const Progress& progress)
{
    ExportReport rep;
    // Question ids too are decided over the whole export.
    const auto [samples, imageIds, total] =
        cocoCollect(ws, opts, progress, [](const Sample& s) { return s.image.id && !s.qa.empty(); }, rep);
    const auto questionIds = vqaQuestionIds(samples, imageIds);
    struct Docs {
        json questions = json::array(), annotations = json::array();
    };
    std::map<std::string, Docs> docs;
    size_t q = 0;   // index into questionIds
    for (size_t i = 0; i < samples.size(); ++i) {
        report(progress, total + static_cast<int64_t>(i) * total / static_cast<int64_t>(samples.size()), 2 * total);
        const Sample& s = samples[i];
        const std::string subset = vqaExportSubset(s.split);
        std::string file = "COCO_" + subset + "_" + cocoId12(imageIds[i]) + cocoImageExt(s);
        if (opts.copyImages ? !cocoPlaceImage(ws, s, fs::path(dir) / subset / file, rep)
                            : !cocoWorkspaceImage(ws, s, file, rep)) {
            ++rep.skipped;
            q += s.qa.size();
            continue;
        }
        Docs& d = docs[subset];
        for (const auto& p : s.qa) {
            const int64_t qid = questionIds[q++];
            d.questions.push_back({{"image_id", imageIds[i]}, {"question", p.question}, {"question_id", qid}});
            // A question without any answer (a test subset's) has no annotation, as in VQA's test2015.
            if (!p.answer.empty() || !p.humanAnswers.empty()) d.annotations.push_back(vqaAnnotation(p, imageIds[i], qid));
        }
        ++rep.written;
    }
    // Written beside the previous files and renamed at the end: a failed export leaves them as they were.
    const json license = {{"name", ""}, {"url", ""}};
    std::vector<std::unique_ptr<ember::AtomicFile>> outs;
    auto write = [&](const std::string& name, const json& j) {
        outs.push_back(openOut((fs::path(dir) / name).string()));
        outs.back()->write(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
    };
    for (auto& [subset, d] : docs) {
        write("v2_OpenEnded_mscoco_" + subset + "_questions.json",
              {{"info", vqaInfo()}, {"task_type", "Open-Ended"}, {"data_type", "mscoco"}, {"license", license},
               {"data_subtype", subset}, {"questions", std::move(d.questions)}});
        if (!d.annotations.empty())
            write("v2_mscoco_" + subset + "_annotations.json",
                  {{"info", vqaInfo()}, {"license", license}, {"data_subtype", subset},
                   {"annotations", std::move(d.annotations)}});
    }
    report(progress, 2 * total, 2 * total);   // the last chance to cancel
    for (auto& out : outs) out->commit();
    return rep;
}

} // namespace ember::data
