#pragma once
// `embervlm data demo|import|export|split|augment|stats`: the workspace from the command line.
#include <string>
#include <vector>

// args: everything after `data`. Returns the exit status; throws for usage and data errors
// (main prints them).
int runDataCommand(const std::vector<std::string>& args);
