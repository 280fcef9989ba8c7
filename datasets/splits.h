#pragma once
// Deterministic train/val/test assignment by content hash.
#include "progress.h"

#include <array>
#include <cstdint>

namespace ember::data {

class Workspace;

struct SplitOptions {
    double train = 0.7, val = 0.2, test = 0.1;   // normalised if they do not add up to 1
    uint64_t seed = 0;            // another seed gives another (equally deterministic) partition
    bool onlyUnassigned = false;  // keep the split of samples that already have one
};

// The split depends only on the sample's group key and the seed, never on insertion order or
// workspace: the image's content hash, or for text-only samples the normalised task text (so
// exact duplicates share a split). Augmented copies take their source's key, so no copy of a
// test sample lands in training. One transaction. Returns the counts [none, train, val, test].
std::array<int64_t, 4> assignSplits(Workspace& ws, const SplitOptions& opts = {}, const Progress& progress = {});

} // namespace ember::data
