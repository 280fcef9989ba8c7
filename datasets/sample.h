#pragma once
// One annotated example as the Annotate, Train and Evaluate views see it. Plain data, no I/O.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ember::data {

enum class Split { None, Train, Val, Test };
enum class Status { Draft, Reviewed };

std::string toString(Split s);        // "" | "train" | "val" | "test"
std::string toString(Status s);       // "draft" | "reviewed"
// Throw std::invalid_argument naming the bad value.
Split splitFromString(const std::string& s);
Status statusFromString(const std::string& s);

// Imported execution orders are checked against this (a plan has a handful of steps).
constexpr int kMaxExecutionOrder = 10000;

struct Subtask {
    std::string text;
    int robot = 0;    // index into MODEL.md's label order
    int order = 1;    // execution order; equal numbers may run in parallel
    bool operator==(const Subtask& o) const { return text == o.text && robot == o.robot && order == o.order; }
};

// One human answer of a VQA question (VQA v2 collects ten per question).
struct HumanAnswer {
    std::string answer;
    std::string confidence;   // "yes" | "maybe" | "no"; "" when unknown
    bool operator==(const HumanAnswer& o) const { return answer == o.answer && confidence == o.confidence; }
};

struct QaPair {
    std::string question;
    std::string answer;          // the answer trained on (VQA's multiple_choice_answer)
    // What a VQA v2 import carries and VQA accuracy needs; empty for other pairs.
    int64_t questionId = 0;      // 0: none
    std::string answerType;      // "yes/no" | "number" | "other"
    std::string questionType;    // e.g. "what color is the"
    std::vector<HumanAnswer> humanAnswers;
    bool operator==(const QaPair& o) const
    {
        return question == o.question && answer == o.answer && questionId == o.questionId &&
               answerType == o.answerType && questionType == o.questionType && humanAnswers == o.humanAnswers;
    }
};

struct ImageInfo {
    int64_t id = 0;          // 0: none
    std::string hash;        // content hash (hex), also the file's stem
    std::string path;        // relative to the workspace folder
    int width = 0, height = 0;
    int64_t bytes = 0;
};

struct Sample {
    int64_t id = 0;              // 0 until stored
    std::string uid;             // portable identity (survives export/import); generated when empty
    ImageInfo image;             // image.id == 0: text-only sample
    std::string task;            // without the "Task: " prefix
    std::string instruction;     // e.g. the upstream robot catalogue
    std::vector<int> robots;     // label indices, ascending (MODEL.md order), no duplicates
    std::vector<std::string> reasoning;   // ordered steps, without "Step N:" prefixes
    std::vector<Subtask> subtasks;
    std::string caption;
    // Further reference captions (a COCO image has about five); `caption` is the first.
    std::vector<std::string> moreCaptions;
    std::vector<QaPair> qa;
    Split split = Split::None;
    Status status = Status::Draft;
    std::string source;          // e.g. "upstream-single:single_robot_selection.json", "demo:seed=1"
    std::string author;
    int64_t created = 0;         // ms since the Unix epoch; set on insert when 0
    int64_t modified = 0;
    std::string derivedFrom;     // uid of the sample this one was augmented from ("" if original)
    std::string augmentation;    // what was done to derive it (e.g. "paraphrase,flip")
    // The task text also occurs with scenes that need other robots: only the image decides.
    bool imageDecided = false;
    // What the scene contains, as attribute → value ("place" → "rooftop", "time" → "dusk"):
    // known for generated data, the targets of the vision tower's auxiliary loss.
    std::map<std::string, std::string> scene;
    // Fields of a foreign format the studio has no place for, kept for its export: a JSON object
    // as text ("" when none), e.g. {"id": "000000033471"} (LLaVA), {"image_id": 9} (COCO, VQA),
    // an imagefolder's other metadata columns.
    std::string extra;
};

// caption followed by moreCaptions, empty ones left out.
std::vector<std::string> allCaptions(const Sample& s);

// "Step 1: … Step 2: …" (the text the model is trained to produce).
std::string formatReasoning(const std::vector<std::string>& steps);
// Splits "Step 1: a Step 2: b" back into steps; text without markers gives one step.
std::vector<std::string> parseReasoning(const std::string& text);

// Label order of MODEL.md (ember::defaultRobotLabels()).
int robotCount();
const std::string& robotName(int index);   // throws std::out_of_range
// Case-insensitive exact name; -1 when unknown.
int robotIndex(const std::string& name);
// "Drone, Robot with Legs" → {0, 4} (sorted, unique). Throws std::invalid_argument naming an
// unknown name.
std::vector<int> parseRobotList(const std::string& commaSeparated);
std::string joinRobots(const std::vector<int>& robots);   // "Drone, Robot with Legs"
// Sorted, unique; throws std::invalid_argument for an out-of-range index.
std::vector<int> normalizeRobots(std::vector<int> robots);
uint32_t robotMask(const std::vector<int>& robots);
std::vector<int> robotsFromMask(uint32_t mask);

int64_t nowMs();

} // namespace ember::data
