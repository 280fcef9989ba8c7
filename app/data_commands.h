#pragma once
// `embervlm data demo|import|export|split|augment|stats`: the workspace from the command line.
#include "cli_args.h"

ember::cli::Command dataCommand();
