#pragma once
// `embervlm train`, `embervlm eval` and `embervlm demo`.
#include "cli_args.h"

ember::cli::Command trainCommand();
ember::cli::Command evalCommand();
ember::cli::Command demoCommand();
