#pragma once
// The built-in demo world: procedural scenes (OpenCV) for every environment the robots are
// made for, each with a caption, question/answer pairs about what is visible and a
// robot-selection task with step-by-step reasoning. Lets a new user annotate, train and
// evaluate on day one. Deterministic for a seed.
#include "progress.h"

#include <cstdint>
#include <string>

namespace ember::data {

class Workspace;

struct DemoOptions {
    int64_t count = 2000;
    uint64_t seed = 1;
    int imageSize = 256;          // square; the model resizes to 224
    bool assignSplits = true;     // give the new samples (and other unassigned ones) a split
};

struct DemoReport {
    int64_t generated = 0;
    int64_t skipped = 0;          // already present (same seed and index): generating twice adds nothing
    double seconds = 0;
};

// One transaction: cancelled or failed generation leaves the workspace as it was.
DemoReport generateDemoWorld(Workspace& ws, const DemoOptions& opts = {}, const Progress& progress = {});

} // namespace ember::data
