#include "standard_text_metrics.h"

#include "atomic_file.h"
#include "sample_json.h"
#include "score_files.h"

#include <nlohmann/json.hpp>

namespace ember::train {

using nlohmann::json;

int64_t resultsImageId(const data::Sample& s)
{
    const json extra = data::extraObject(s);
    if (extra.contains("image_id") && extra["image_id"].is_number_integer()) return extra["image_id"].get<int64_t>();
    return s.id;
}

int64_t resultsQuestionId(const data::Sample& s, size_t pairIndex)
{
    const auto& p = s.qa.at(pairIndex);
    return p.questionId ? p.questionId : resultsImageId(s) * 1000 + static_cast<int64_t>(pairIndex);
}

void StandardTextTally::addCaption(const data::Sample& s, const std::string& generated)
{
    const auto refs = data::allCaptions(s);
    if (!refs.empty()) captions_.push_back({resultsImageId(s), refs, pythonStrip(generated)});
}

void StandardTextTally::addAnswer(const data::Sample& s, size_t pairIndex, const std::string& generated, bool blind)
{
    const auto& p = s.qa.at(pairIndex);
    // Generation starts with the space after the prompt: results files carry the text alone.
    Answer a{resultsQuestionId(s, pairIndex), p.questionType, p.answerType, p.humanAnswers, pythonStrip(generated)};
    if (a.humans.empty()) a.humans.assign(10, {p.answer, "yes"});
    (blind ? blindAnswers_ : answers_).push_back(std::move(a));
}

namespace {

double vqaOverall(const std::vector<std::vector<data::HumanAnswer>>& humans, const std::vector<std::string>& generated)
{
    if (humans.empty()) return std::nan("");
    std::vector<VqaQuestion> qs;
    for (size_t i = 0; i < humans.size(); ++i) {
        VqaQuestion q;
        q.questionId = std::to_string(i);
        q.prediction = generated[i];
        // vqaEval leaves out each answer record as a whole: records differ by answer_id.
        for (size_t k = 0; k < humans[i].size(); ++k)
            q.answers.push_back({humans[i][k].answer,
                                 json{{"answer_confidence", humans[i][k].confidence}, {"answer_id", k + 1}}.dump()});
        qs.push_back(std::move(q));
    }
    return vqaAccuracy(qs).overall;
}

template <typename Answers>
double overallOf(const Answers& answers)
{
    std::vector<std::vector<data::HumanAnswer>> humans;
    std::vector<std::string> generated;
    for (const auto& a : answers) {
        humans.push_back(a.humans);
        generated.push_back(a.generated);
    }
    return vqaOverall(humans, generated);
}

void writeJson(const std::string& path, const json& doc)
{
    if (path.empty()) return;
    AtomicFile out(path);
    out.write(doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
    out.commit();
}

} // namespace

StandardTextFigures StandardTextTally::figures() const
{
    StandardTextFigures f;
    if (!captions_.empty()) {
        CaptionEvaluation e;
        for (const auto& c : captions_) {
            e.imageIds.push_back(std::to_string(c.imageId));
            e.references.push_back(c.references);
            e.predictions.push_back(c.generated);
        }
        const auto scores = scoreCaptionEvaluation(e);
        f.bleu4 = scores.bleu[3];
        f.rougeL = scores.rougeL;
        f.cider = scores.cider;
    }
    f.vqaAccuracy = overallOf(answers_);
    f.blindVqaAccuracy = overallOf(blindAnswers_);
    return f;
}

void StandardTextTally::writeCaptionResults(const std::string& path) const
{
    json doc = json::array();
    for (const auto& c : captions_) doc.push_back({{"image_id", c.imageId}, {"caption", c.generated}});
    writeJson(path, doc);
}

void StandardTextTally::writeAnswerResults(const std::string& path) const
{
    json doc = json::array();
    for (const auto& a : answers_) doc.push_back({{"question_id", a.questionId}, {"answer", a.generated}});
    writeJson(path, doc);
}

} // namespace ember::train
