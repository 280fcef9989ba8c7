#pragma once
// `embervlm train`, `embervlm eval` and `embervlm demo` (their options: cli_commands.cpp).
#include "cli_args.h"

int cmdTrain(const ember::cli::Args& a);
int cmdEval(const ember::cli::Args& a);
int cmdDemo(const ember::cli::Args& a);
