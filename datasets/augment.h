#pragma once
// Label-preserving augmentation (the seed's 1K→10K): task paraphrases and image transforms.
// Every copy records the uid of its source (derived_from) and keeps its source's split, and
// assignSplits groups copies with their source, so no copy of a test sample reaches training.
#include "progress.h"
#include "sample.h"
#include "workspace.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>

namespace ember::data {

struct AugmentOptions {
    int factor = 9;              // copies per source sample (1K originals → 10K samples)
    uint64_t seed = 0;
    bool text = true;            // paraphrase the task
    bool images = true;          // transform the image (samples with one)
    SampleQuery filter = [] { SampleQuery q; q.derived = false; return q; }();   // the sources
};

struct AugmentReport {
    int64_t sources = 0;
    int64_t created = 0;
    int64_t skipped = 0;         // copies that already exist (same source, seed and index)
};

// A paraphrase of a task that keeps its meaning (and so its robot labels). Deterministic.
std::string paraphraseTask(const std::string& task, uint64_t seed);

struct ImageTransform {
    bool flip = false;           // horizontal mirror
    double brightness = 0;       // added, in [-25, 25]
    double contrast = 1;         // multiplied, in [0.8, 1.2]
    double saturation = 1;       // in [0.7, 1.3]
    double cropFraction = 1;     // side of the kept square, in [0.8, 1]
    double cropX = 0, cropY = 0; // where the crop starts, as a fraction of the free margin
    std::string describe() const;   // "flip,jitter,crop"
};
// Mirroring changes meaning when the text talks about left and right: then flip stays off.
ImageTransform randomTransform(uint64_t seed, bool allowFlip);
cv::Mat applyTransform(const cv::Mat& bgr, const ImageTransform& t);

// Copy `index` (0-based) of `src`: paraphrased task, new image when src has one and
// opts.images, derived_from = src.uid. Not stored.
Sample augmentSample(const Workspace& ws, const Sample& src, int index, const AugmentOptions& opts, cv::Mat* image);

// Creates opts.factor copies of every sample matching opts.filter, in one transaction.
AugmentReport augmentWorkspace(Workspace& ws, const AugmentOptions& opts = {}, const Progress& progress = {});

} // namespace ember::data
