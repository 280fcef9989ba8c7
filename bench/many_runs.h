#pragma once
// A workspace with many finished training runs (curves, checkpoint rows and placeholder files, no
// weights): what a
// project looks like after a year, for the Train view's stall benchmark and its test.
#include <string>

namespace ember::bench {

// Adds `runs` stage-3 runs of `steps` steps each (train/loss, lr, grad_norm, a val/loss at the
// end, a checkpoint row and its placeholder file) to the workspace in dir, in one transaction.
void addFinishedRuns(const std::string& dir, int runs, int steps = 20);

} // namespace ember::bench
