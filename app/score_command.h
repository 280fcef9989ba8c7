#pragma once
// `embervlm score`: captioning (pycocoevalcap's Bleu, ROUGE_L, CIDEr) and VQA (vqaEval's
// accuracy) metrics of a predictions file against its references.
#include "cli_args.h"

ember::cli::Command scoreCommand();
