#pragma once
// The words of the demo world: captions, question/answer pairs and robot-selection tasks with
// step-by-step reasoning, all derived from a scene's facts. Written for this project.
#include "demo_scenes.h"
#include "sample.h"

#include <string>
#include <vector>

namespace ember::data::demo {

struct DemoTask {
    std::string task;                     // never names a robot
    std::vector<int> robots;              // MODEL.md indices
    std::vector<std::string> reasoning;   // steps without "Step N:"
    std::vector<Subtask> subtasks;        // for tasks that need several robots
};

// A task text that occurs with scenes needing different robots: text alone cannot tell which,
// only the image can (the demo world's image-decided samples).
struct SharedTask {
    struct Option {
        int robot;                          // MODEL.md index
        std::vector<Environment> scenes;    // where this robot is the answer
        std::string need;                   // reasoning step 2 for this reading of the task
    };
    std::string text;
    std::vector<Option> options;            // one per robot, drawn uniformly (balanced)
};
const std::vector<SharedTask>& sharedTasks();

std::string caption(const SceneFacts& f);
std::vector<QaPair> questions(const SceneFacts& f, Rng& rng);
DemoTask selectionTask(const SceneFacts& f, Rng& rng);
// The task of a shared text in scene f (which must be one of option's scenes).
DemoTask sharedSelectionTask(const SceneFacts& f, const SharedTask& task, const SharedTask::Option& option);
// Makes the scene show what the shared task refers to (a pipeline for the leak under water,
// a person to hand the package to, ...).
void fitScene(SceneFacts& f, const SharedTask& task);
// The scene's attributes as Sample::scene stores them (targets of the auxiliary vision loss).
std::map<std::string, std::string> sceneAttributes(const SceneFacts& f);

} // namespace ember::data::demo
