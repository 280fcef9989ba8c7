#include "sample_json.h"

namespace ember::data {

using nlohmann::json;

namespace {

json qaToJson(const QaPair& p)
{
    json q = {{"question", p.question}, {"answer", p.answer}};
    if (p.questionId) q["question_id"] = p.questionId;
    if (!p.answerType.empty()) q["answer_type"] = p.answerType;
    if (!p.questionType.empty()) q["question_type"] = p.questionType;
    if (!p.humanAnswers.empty()) q["answers"] = json::parse(humanAnswersToJson(p.humanAnswers));
    return q;
}

} // namespace

json sampleToJson(const Sample& s, const std::string& imageRef)
{
    json robots = json::array();
    for (int r : s.robots) robots.push_back(robotName(r));
    json subtasks = json::array();
    for (const auto& t : s.subtasks)
        subtasks.push_back({{"subtask", t.text}, {"assigned_robot", robotName(t.robot)}, {"execution_order", t.order}});
    json qa = json::array();
    for (const auto& p : s.qa) qa.push_back(qaToJson(p));
    // nlohmann's json keeps keys sorted, which makes the line byte-stable.
    json j = {{"uid", s.uid},
              {"task", s.task},
              {"instruction", s.instruction},
              {"robots", robots},
              {"reasoning", s.reasoning},
              {"subtasks", subtasks},
              {"caption", s.caption},
              {"qa", qa},
              {"split", toString(s.split)},
              {"status", toString(s.status)},
              {"source", s.source},
              {"author", s.author},
              {"created", s.created},
              {"modified", s.modified}};
    if (!imageRef.empty()) j["image"] = {{"path", imageRef}, {"sha256", s.image.hash}};
    if (!s.derivedFrom.empty()) j["derived_from"] = s.derivedFrom;
    if (!s.augmentation.empty()) j["augmentation"] = s.augmentation;
    if (s.imageDecided) j["image_decided"] = true;
    if (!s.scene.empty()) j["scene"] = s.scene;
    if (!s.moreCaptions.empty()) j["more_captions"] = s.moreCaptions;
    if (!s.extra.empty()) j["extra"] = extraObject(s);
    return j;
}

std::string humanAnswersToJson(const std::vector<HumanAnswer>& answers)
{
    if (answers.empty()) return {};
    json a = json::array();
    for (const auto& h : answers) {
        json one = {{"answer", h.answer}};
        if (!h.confidence.empty()) one["answer_confidence"] = h.confidence;
        a.push_back(std::move(one));
    }
    return a.dump();
}

std::vector<HumanAnswer> humanAnswersFromJson(const std::string& text)
{
    std::vector<HumanAnswer> out;
    if (text.empty()) return out;
    const json j = json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& a : j) {
        if (!a.is_object() || !a.contains("answer") || !a["answer"].is_string()) continue;
        HumanAnswer h{a["answer"].get<std::string>(), ""};
        if (a.contains("answer_confidence") && a["answer_confidence"].is_string())
            h.confidence = a["answer_confidence"].get<std::string>();
        out.push_back(std::move(h));
    }
    return out;
}

json extraObject(const Sample& s)
{
    if (s.extra.empty()) return json::object();
    json j = json::parse(s.extra, nullptr, false);
    if (!j.is_object()) throw std::invalid_argument("sample " + s.uid + ": extra fields are not a JSON object");
    return j;
}

void setExtra(Sample& s, const json& object)
{
    s.extra = object.empty() ? std::string() : object.dump();
}

std::string sceneToJson(const std::map<std::string, std::string>& scene)
{
    return scene.empty() ? std::string() : json(scene).dump();
}

std::map<std::string, std::string> sceneFromJson(const std::string& text)
{
    std::map<std::string, std::string> out;
    if (text.empty()) return out;
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object()) return out;
    for (const auto& [k, v] : j.items())
        if (v.is_string()) out[k] = v.get<std::string>();
    return out;
}

namespace {

const json* member(const json& j, const char* key) { return j.contains(key) ? &j.at(key) : nullptr; }

std::string str(const json& j, const char* key, bool required = false)
{
    const json* v = member(j, key);
    if (!v || v->is_null()) {
        if (required) throw FieldError(key, "missing");
        return "";
    }
    if (!v->is_string()) throw FieldError(key, "must be a string");
    return v->get<std::string>();
}

int64_t integer(const json& j, const char* key)
{
    const json* v = member(j, key);
    if (!v || v->is_null()) return 0;
    if (!v->is_number_integer()) throw FieldError(key, "must be an integer");
    return v->get<int64_t>();
}

int64_t executionOrder(int64_t v)
{
    if (v < 0 || v > kMaxExecutionOrder) throw FieldError("execution_order", "must be in 0.." + std::to_string(kMaxExecutionOrder));
    return v;
}

const json& array(const json& j, const char* key, const json& empty)
{
    const json* v = member(j, key);
    if (!v || v->is_null()) return empty;
    if (!v->is_array()) throw FieldError(key, "must be an array");
    return *v;
}

int robotField(const json& v, const std::string& field)
{
    if (v.is_number_integer()) {
        const int64_t r = v.get<int64_t>();   // read wide: a huge index must not wrap into range
        if (r < 0 || r >= robotCount()) throw FieldError(field, "robot index out of range");
        return static_cast<int>(r);
    }
    if (!v.is_string()) throw FieldError(field, "must be a robot name");
    const int r = robotIndex(v.get<std::string>());
    if (r < 0) throw FieldError(field, "unknown robot '" + v.get<std::string>() + "'");
    return r;
}

// A field of an element of an array: its errors name the element ("subtasks[2].subtask").
template <typename Read>
auto within(const std::string& element, Read read)
{
    try {
        return read();
    } catch (const FieldError& e) {
        throw FieldError(element + "." + e.field, e.what());
    }
}

std::vector<int> readRobots(const json& j, const json& empty)
{
    std::vector<int> robots;
    const auto& list = array(j, "robots", empty);
    for (size_t i = 0; i < list.size(); ++i)
        robots.push_back(robotField(list[i], "robots[" + std::to_string(i) + "]"));
    return normalizeRobots(robots);
}

std::vector<std::string> readReasoning(const json& j, const json& empty)
{
    std::vector<std::string> reasoning;
    const auto& steps = array(j, "reasoning", empty);
    for (size_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].is_string()) throw FieldError("reasoning[" + std::to_string(i) + "]", "must be a string");
        reasoning.push_back(steps[i].get<std::string>());
    }
    return reasoning;
}

std::vector<Subtask> readSubtasks(const json& j, const json& empty)
{
    std::vector<Subtask> out;
    const auto& subtasks = array(j, "subtasks", empty);
    for (size_t i = 0; i < subtasks.size(); ++i) {
        const std::string f = "subtasks[" + std::to_string(i) + "]";
        const auto& t = subtasks[i];
        if (!t.is_object()) throw FieldError(f, "must be an object");
        out.push_back(within(f, [&t] {
            Subtask st;
            st.text = str(t, "subtask", true);
            if (!t.contains("assigned_robot")) throw FieldError("assigned_robot", "missing");
            st.robot = robotField(t.at("assigned_robot"), "assigned_robot");
            st.order = static_cast<int>(executionOrder(integer(t, "execution_order")));
            return st;
        }));
    }
    return out;
}

void readQa(const json& j, const json& empty, Sample& s)
{
    const auto& qa = array(j, "qa", empty);
    for (size_t i = 0; i < qa.size(); ++i) {
        const std::string f = "qa[" + std::to_string(i) + "]";
        if (!qa[i].is_object()) throw FieldError(f, "must be an object");
        within(f, [&] {
            QaPair p;
            p.question = str(qa[i], "question", true);
            p.answer = str(qa[i], "answer", true);
            p.questionId = integer(qa[i], "question_id");
            p.answerType = str(qa[i], "answer_type");
            p.questionType = str(qa[i], "question_type");
            const auto& answers = array(qa[i], "answers", empty);
            for (size_t k = 0; k < answers.size(); ++k)
                within("answers[" + std::to_string(k) + "]", [&] {
                    if (!answers[k].is_object()) throw FieldError("", "must be an object");
                    p.humanAnswers.push_back({str(answers[k], "answer", true), str(answers[k], "answer_confidence")});
                });
            s.qa.push_back(std::move(p));
        });
    }
}

void readMoreCaptionsAndExtra(const json& j, const json& empty, Sample& s)
{
    const auto& caps = array(j, "more_captions", empty);
    for (size_t i = 0; i < caps.size(); ++i) {
        if (!caps[i].is_string()) throw FieldError("more_captions[" + std::to_string(i) + "]", "must be a string");
        s.moreCaptions.push_back(caps[i].get<std::string>());
    }
    if (const json* e = member(j, "extra"); e && !e->is_null()) {
        if (!e->is_object()) throw FieldError("extra", "must be an object");
        setExtra(s, *e);
    }
}

// split and status: their parsers' messages, under the field's name.
void readSplitAndStatus(const json& j, Sample& s)
{
    try {
        s.split = splitFromString(str(j, "split"));
    } catch (const std::invalid_argument& e) {
        throw FieldError("split", e.what());
    }
    try {
        s.status = statusFromString(str(j, "status"));
    } catch (const std::invalid_argument& e) {
        throw FieldError("status", e.what());
    }
}

void readImageDecidedAndScene(const json& j, Sample& s)
{
    if (const json* d = member(j, "image_decided"); d && !d->is_null()) {
        if (!d->is_boolean()) throw FieldError("image_decided", "must be true or false");
        s.imageDecided = d->get<bool>();
    }
    if (const json* sc = member(j, "scene"); sc && !sc->is_null()) {
        if (!sc->is_object()) throw FieldError("scene", "must be an object of strings");
        for (const auto& [k, v] : sc->items()) {
            if (!v.is_string()) throw FieldError("scene." + k, "must be a string");
            s.scene[k] = v.get<std::string>();
        }
    }
}

// "image": a path, or {"path", "sha256"}; read only when the caller asks for it.
void readImage(const json& j, std::string* imageRef, std::string* imageSha256)
{
    if (imageSha256) imageSha256->clear();
    if (!imageRef) return;
    imageRef->clear();
    const json* img = member(j, "image");
    if (!img || img->is_null()) return;
    if (img->is_string()) *imageRef = img->get<std::string>();
    else if (img->is_object())
        within("image", [&] {
            *imageRef = str(*img, "path", true);
            if (imageSha256) *imageSha256 = str(*img, "sha256", false);
        });
    else
        throw FieldError("image", "must be a path or an object with \"path\"");
}

} // namespace

Sample sampleFromJson(const json& j, std::string* imageRef, std::string* imageSha256)
{
    if (!j.is_object()) throw FieldError("", "record must be a JSON object");
    Sample s;
    const json empty = json::array();
    s.uid = str(j, "uid");
    s.task = str(j, "task");
    s.instruction = str(j, "instruction");
    s.robots = readRobots(j, empty);
    s.reasoning = readReasoning(j, empty);
    s.subtasks = readSubtasks(j, empty);
    s.caption = str(j, "caption");
    readQa(j, empty, s);
    readSplitAndStatus(j, s);
    s.source = str(j, "source");
    s.author = str(j, "author");
    s.created = integer(j, "created");
    s.modified = integer(j, "modified");
    s.derivedFrom = str(j, "derived_from");
    s.augmentation = str(j, "augmentation");
    readImageDecidedAndScene(j, s);
    readMoreCaptionsAndExtra(j, empty, s);
    readImage(j, imageRef, imageSha256);
    if (s.task.empty() && s.caption.empty() && s.qa.empty() && (!imageRef || imageRef->empty()))
        throw FieldError("task", "record has no task, caption, question or image");
    return s;
}

} // namespace ember::data
