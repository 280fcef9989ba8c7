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

std::string caption(const SceneFacts& f);
std::vector<QaPair> questions(const SceneFacts& f, Rng& rng);
DemoTask selectionTask(const SceneFacts& f, Rng& rng);

} // namespace ember::data::demo
