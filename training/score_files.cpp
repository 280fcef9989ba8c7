#include "score_files.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace ember::train {

namespace {

using nlohmann::json;

json readJson(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ScoreInputError("cannot open " + path);
    try {
        return json::parse(in);
    } catch (const json::parse_error& e) {
        throw ScoreInputError(path + ": not valid JSON (" + e.what() + ")");
    }
}

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw ScoreInputError(path + ": " + what); }

const json& member(const json& obj, const char* key, const std::string& path, const std::string& where)
{
    if (!obj.is_object())
        fail(path, where + " must be an object");
    auto it = obj.find(key);
    if (it == obj.end())
        fail(path, where + " has no \"" + key + "\"");
    return *it;
}

const json& arrayMember(const json& obj, const char* key, const std::string& path, const std::string& where)
{
    const json& a = member(obj, key, path, where);
    if (!a.is_array())
        fail(path, (where.empty() ? std::string() : where + ".") + key + " must be an array");
    return a;
}

std::string stringField(const json& obj, const char* key, const std::string& path, const std::string& where)
{
    const json& v = member(obj, key, path, where);
    if (!v.is_string())
        fail(path, where + "." + key + " must be a string");
    return v.get<std::string>();
}

// An id as JSON spells it: 42 and "42" stay different ids, as they are to Python.
std::string idField(const json& obj, const char* key, const std::string& path, const std::string& where)
{
    const json& v = member(obj, key, path, where);
    if (v.is_number_integer())
        return v.dump();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
            return std::to_string(static_cast<long long>(d));   // 42.0 == 42 in Python
    }
    if (v.is_string())
        return v.dump();
    fail(path, where + "." + key + " must be an integer or a string");
}

std::string at(const char* array, size_t i) { return std::string(array) + "[" + std::to_string(i) + "]"; }

const json& topArray(const json& doc, const char* key, const std::string& path, const char* what)
{
    if (!doc.is_object() || !doc.contains(key))
        fail(path, std::string("expected a JSON object with \"") + key + "\" (" + what + ")");
    return arrayMember(doc, key, path, "");
}

} // namespace

ScoreTask detectScoreTask(const std::string& referencesPath)
{
    const json doc = readJson(referencesPath);
    if (!doc.is_object() || !doc.contains("annotations") || !doc["annotations"].is_array())
        fail(referencesPath, "expected a JSON object with an \"annotations\" array (a COCO captions file or VQA annotations)");
    const json& anns = doc["annotations"];
    if (anns.empty())
        fail(referencesPath, "\"annotations\" is empty");
    const json& first = anns.front();
    if (first.is_object() && first.contains("answers"))
        return ScoreTask::Vqa;
    if (first.is_object() && first.contains("caption"))
        return ScoreTask::Captions;
    fail(referencesPath, "annotations[0] has neither \"answers\" (VQA) nor \"caption\" (COCO captions)");
}

CaptionEvaluation readCaptionFiles(const std::string& referencesPath, const std::string& predictionsPath)
{
    const json refs = readJson(referencesPath);
    const json& images = topArray(refs, "images", referencesPath, "a COCO captions file");
    const json& anns = topArray(refs, "annotations", referencesPath, "a COCO captions file");

    // pycocotools' order: "images" as listed (a repeated id keeps its first place).
    std::vector<std::string> order;
    std::unordered_map<std::string, std::vector<std::string>> captions;
    std::set<std::string> known;
    for (size_t i = 0; i < images.size(); ++i) {
        const std::string id = idField(images[i], "id", referencesPath, at("images", i));
        if (known.insert(id).second)
            order.push_back(id);
    }
    for (size_t i = 0; i < anns.size(); ++i) {
        const std::string where = at("annotations", i);
        const std::string id = idField(anns[i], "image_id", referencesPath, where);
        const std::string caption = stringField(anns[i], "caption", referencesPath, where);
        if (!known.count(id))
            fail(referencesPath, where + ".image_id " + id + " is not in \"images\"");
        captions[id].push_back(caption);
    }

    const json preds = readJson(predictionsPath);
    if (!preds.is_array())
        fail(predictionsPath, "results must be an array of {\"image_id\", \"caption\"} objects");
    std::unordered_map<std::string, size_t> predicted;   // image -> index in preds
    std::vector<std::string> predText(preds.size());
    for (size_t i = 0; i < preds.size(); ++i) {
        const std::string where = at("results", i);
        const std::string id = idField(preds[i], "image_id", predictionsPath, where);
        predText[i] = stringField(preds[i], "caption", predictionsPath, where);
        if (!known.count(id))
            fail(predictionsPath, where + ".image_id " + id + " is not an image of " + referencesPath +
                                      " (pycocotools: results do not correspond to the current coco set)");
        if (!captions.count(id))
            fail(predictionsPath, where + ": image " + id + " has no reference caption in " + referencesPath);
        auto [it, fresh] = predicted.emplace(id, i);
        if (!fresh)
            fail(predictionsPath, "image " + id + " has more than one result (" + at("results", it->second) + " and " +
                                      where + "); pycocoevalcap scores exactly one caption per image");
    }

    CaptionEvaluation e;
    size_t missing = 0;
    std::string firstMissing;
    for (const auto& id : order) {
        auto c = captions.find(id);
        if (c == captions.end())
            continue;   // an image without captions is not scored
        auto p = predicted.find(id);
        if (p == predicted.end()) {
            if (!missing++)
                firstMissing = id;
            continue;
        }
        e.imageIds.push_back(id);
        e.references.push_back(c->second);
        e.predictions.push_back(predText[p->second]);
    }
    if (missing)
        fail(predictionsPath, "no result for " + std::to_string(missing) + " of the " + std::to_string(captions.size()) +
                                  " images with reference captions in " + referencesPath + " (first: image " +
                                  firstMissing + "); pycocoevalcap needs one caption for each");
    if (e.imageIds.empty())
        fail(referencesPath, "no image has a reference caption");
    return e;
}

CaptionScores scoreCaptionEvaluation(const CaptionEvaluation& e)
{
    // pycocoevalcap tokenises the references and the results in two runs, image order.
    std::vector<std::string> allRefs;
    for (const auto& refs : e.references)
        allRefs.insert(allRefs.end(), refs.begin(), refs.end());
    const auto refTokens = ptbTokenizeCaptions(allRefs);
    const auto predTokens = ptbTokenizeCaptions(e.predictions);
    std::vector<CaptionSample> samples(e.references.size());
    size_t k = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
        for (size_t j = 0; j < e.references[i].size(); ++j)
            samples[i].references.push_back(refTokens[k++]);
        samples[i].candidate = predTokens[i];
    }
    return scoreCaptions(samples);
}

namespace {

// The steps of readVqaFiles, with the three paths and what the earlier steps read.
struct VqaFilesReader {
    const std::string& annotationsPath;
    const std::string& predictionsPath;
    const std::string& questionsPath;
    std::vector<VqaQuestion> questions;
    std::unordered_map<std::string, size_t> index;         // question id → its place in questions
    json qDoc;                                              // the questions file, when there is one
    std::unordered_map<std::string, const json*> qIndex;   // question id → its entry in qDoc
    bool multipleChoice = false;

    VqaQuestion annotation(const json& ann, const std::string& where) const
    {
        VqaQuestion q;
        q.questionId = idField(ann, "question_id", annotationsPath, where);
        q.questionType = stringField(ann, "question_type", annotationsPath, where);
        q.answerType = stringField(ann, "answer_type", annotationsPath, where);
        const json& answers = arrayMember(ann, "answers", annotationsPath, where);
        if (answers.empty())
            fail(annotationsPath, where + ".answers is empty");
        for (size_t k = 0; k < answers.size(); ++k) {
            const std::string aw = where + "." + at("answers", k);
            VqaGtAnswer a;
            a.answer = stringField(answers[k], "answer", annotationsPath, aw);
            json rest = answers[k];
            rest.erase("answer");
            a.otherFields = rest.dump();
            q.answers.push_back(std::move(a));
        }
        return q;
    }

    void readAnnotations()
    {
        const json annDoc = readJson(annotationsPath);
        const json& anns = topArray(annDoc, "annotations", annotationsPath, "VQA annotations");
        for (size_t i = 0; i < anns.size(); ++i) {
            const std::string where = at("annotations", i);
            VqaQuestion q = annotation(anns[i], where);
            if (!index.emplace(q.questionId, questions.size()).second)
                fail(annotationsPath, where + ": question " + q.questionId + " is annotated twice");
            questions.push_back(std::move(q));
        }
        if (questions.empty())
            fail(annotationsPath, "\"annotations\" is empty");
    }

    // Every annotated question must be in the questions file; its task_type says whether the
    // answers are multiple choice.
    void readQuestions()
    {
        qDoc = readJson(questionsPath);
        const json& qs = topArray(qDoc, "questions", questionsPath, "a VQA questions file");
        for (size_t i = 0; i < qs.size(); ++i) {
            const std::string where = at("questions", i);
            const std::string id = idField(qs[i], "question_id", questionsPath, where);
            stringField(qs[i], "question", questionsPath, where);
            qIndex[id] = &qs[i];
        }
        for (const auto& q : questions)
            if (!qIndex.count(q.questionId))
                fail(questionsPath, "question " + q.questionId + " of " + annotationsPath + " is not in \"questions\"");
        auto tt = qDoc.find("task_type");
        multipleChoice = tt != qDoc.end() && tt->is_string() && tt->get<std::string>() == "Multiple Choice";
    }

    void checkChoice(const std::string& id, const std::string& answer, const std::string& where) const
    {
        const json& q = *qIndex.at(id);
        const auto mc = q.find("multiple_choices");
        bool found = false;
        if (mc != q.end() && mc->is_array())
            for (const auto& choice : *mc)
                found = found || (choice.is_string() && choice.get<std::string>() == answer);
        if (!found)
            fail(predictionsPath, where + ".answer is not one of question " + id + "'s multiple_choices");
    }

    void checkAllAnswered(const std::vector<bool>& answered) const
    {
        size_t missing = 0;
        std::string firstMissing;
        for (size_t i = 0; i < questions.size(); ++i)
            if (!answered[i] && !missing++)
                firstMissing = questions[i].questionId;
        if (missing)
            fail(predictionsPath, "no result for " + std::to_string(missing) + " of the " + std::to_string(questions.size()) +
                                      " questions of " + annotationsPath + " (first: question " + firstMissing +
                                      "); vqa.py needs an answer for each");
    }

    void readPredictions()
    {
        const json preds = readJson(predictionsPath);
        if (!preds.is_array())
            fail(predictionsPath, "results must be an array of {\"question_id\", \"answer\"} objects");
        std::vector<bool> answered(questions.size(), false);
        for (size_t i = 0; i < preds.size(); ++i) {
            const std::string where = at("results", i);
            const std::string id = idField(preds[i], "question_id", predictionsPath, where);
            const std::string answer = stringField(preds[i], "answer", predictionsPath, where);
            auto it = index.find(id);
            if (it == index.end())
                fail(predictionsPath, where + ".question_id " + id + " is not a question of " + annotationsPath +
                                          " (vqa.py: results do not correspond to the current VQA set)");
            if (multipleChoice)
                checkChoice(id, answer, where);
            questions[it->second].prediction = answer;   // a repeated question keeps its last answer
            answered[it->second] = true;
        }
        checkAllAnswered(answered);
    }
};

} // namespace

std::vector<VqaQuestion> readVqaFiles(const std::string& annotationsPath, const std::string& predictionsPath,
                                      const std::string& questionsPath)
{
    VqaFilesReader r{annotationsPath, predictionsPath, questionsPath, {}, {}, {}, {}, false};
    r.readAnnotations();
    if (!questionsPath.empty())
        r.readQuestions();
    r.readPredictions();
    return std::move(r.questions);
}

ScoreResult scoreFiles(const std::string& referencesPath, const std::string& predictionsPath,
                       const std::string& questionsPath)
{
    ScoreResult r;
    r.task = detectScoreTask(referencesPath);
    if (r.task == ScoreTask::Captions) {
        if (!questionsPath.empty())
            throw ScoreInputError("a questions file applies to VQA only; " + referencesPath + " holds captions");
        const auto e = readCaptionFiles(referencesPath, predictionsPath);
        r.count = e.imageIds.size();
        r.captions = scoreCaptionEvaluation(e);
    } else {
        const auto qs = readVqaFiles(referencesPath, predictionsPath, questionsPath);
        r.count = qs.size();
        r.vqa = vqaAccuracy(qs);
    }
    return r;
}

std::string scoreJson(const ScoreResult& r, int indent)
{
    nlohmann::ordered_json j;
    if (r.task == ScoreTask::Captions) {
        for (int k = 0; k < 4; ++k)
            j["Bleu_" + std::to_string(k + 1)] = r.captions.bleu[k];
        j["ROUGE_L"] = r.captions.rougeL;
        j["CIDEr"] = r.captions.cider;
    } else {
        j["overall"] = r.vqa.overall;
        j["perQuestionType"] = r.vqa.perQuestionType;
        j["perAnswerType"] = r.vqa.perAnswerType;
    }
    return j.dump(indent);
}

std::string scoreText(const ScoreResult& r)
{
    std::ostringstream out;
    char line[256];
    if (r.task == ScoreTask::Captions) {
        std::snprintf(line, sizeof line, "%-10s %8s\n", "metric", "score");
        out << line;
        for (int k = 0; k < 4; ++k) {
            std::snprintf(line, sizeof line, "Bleu_%-5d %8.4f\n", k + 1, r.captions.bleu[k]);
            out << line;
        }
        std::snprintf(line, sizeof line, "%-10s %8.4f\n%-10s %8.4f\n", "ROUGE_L", r.captions.rougeL, "CIDEr", r.captions.cider);
        out << line << r.count << " image(s)\n";
        return out.str();
    }
    std::snprintf(line, sizeof line, "%-28s %7.2f\n", "overall", r.vqa.overall);
    out << line << "per answer type\n";
    for (const auto& [type, acc] : r.vqa.perAnswerType) {
        std::snprintf(line, sizeof line, "  %-26s %7.2f\n", type.c_str(), acc);
        out << line;
    }
    out << "per question type\n";
    for (const auto& [type, acc] : r.vqa.perQuestionType) {
        std::snprintf(line, sizeof line, "  %-26s %7.2f\n", type.c_str(), acc);
        out << line;
    }
    out << r.count << " question(s), accuracy in percent\n";
    return out.str();
}

} // namespace ember::train
