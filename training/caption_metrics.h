#pragma once
// Captioning metrics as pycocoevalcap computes them: its PTBTokenizer step (ptb_tokenizer.h),
// Bleu_1..4 (corpus level, "closest" reference length), ROUGE_L (beta 1.2) and CIDEr-D (sigma 6,
// clipped, x10). Torch-free; the scorers take captions already tokenised (tokens joined by single
// spaces).
#include "ptb_tokenizer.h"   // callers tokenise with it before scoring

#include <array>
#include <string>
#include <vector>

namespace ember::train {

// One image: its tokenised reference captions and the one tokenised candidate.
struct CaptionSample {
    std::vector<std::string> references;
    std::string candidate;
};

struct CaptionScores {
    std::array<double, 4> bleu{};   // Bleu_1..Bleu_4
    double rougeL = 0;
    double cider = 0;
    std::vector<double> ciderPerImage;
    std::vector<double> rougePerImage;
};

// Each throws std::invalid_argument when samples is empty or an image has no reference.
std::array<double, 4> corpusBleu(const std::vector<CaptionSample>& samples);
double rougeL(const std::vector<CaptionSample>& samples, std::vector<double>* perImage = nullptr);
double ciderD(const std::vector<CaptionSample>& samples, std::vector<double>* perImage = nullptr);
CaptionScores scoreCaptions(const std::vector<CaptionSample>& samples);

} // namespace ember::train
