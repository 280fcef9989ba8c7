#pragma once
// The project's own JSONL record (docs/schema.md, "JSONL format"): one Sample per line,
// lossless: exporting, importing into another workspace and exporting again gives the same bytes.
#include "sample.h"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace ember::data {

// A record that does not fit the format; `field` is its JSON path ("robots[2]", "qa[0].answer").
struct FieldError : std::runtime_error {
    FieldError(std::string f, const std::string& msg) : std::runtime_error(msg), field(std::move(f)) {}
    std::string field;
};

// imageRef: the image file as the record names it (relative to the JSONL file), "" for none.
nlohmann::json sampleToJson(const Sample& s, const std::string& imageRef);
// Fills everything except the image; *imageRef receives the "image" field ("" if absent).
Sample sampleFromJson(const nlohmann::json& j, std::string* imageRef, std::string* imageSha256 = nullptr);

// Sample::scene as stored in the database: a JSON object of strings ("" when empty). Reading
// is lenient: text that is not such an object gives no attributes rather than an error, so
// one hand-edited row cannot make a workspace unreadable.
std::string sceneToJson(const std::map<std::string, std::string>& scene);
std::map<std::string, std::string> sceneFromJson(const std::string& text);

// QaPair::humanAnswers as stored: [{"answer", "answer_confidence"}] ("" when none); lenient
// reading like sceneFromJson.
std::string humanAnswersToJson(const std::vector<HumanAnswer>& answers);
std::vector<HumanAnswer> humanAnswersFromJson(const std::string& text);
// Sample::extra: "" or a JSON object; anything else is refused (std::invalid_argument).
nlohmann::json extraObject(const Sample& s);
void setExtra(Sample& s, const nlohmann::json& object);

} // namespace ember::data
