#pragma once
// Every `embervlm` command with its options and help, torch-free: the light front end (`embervlm`,
// which runs the data, score and tokenize commands itself and never loads LibTorch) and the engine
// program (`embervlm-engine`, every command) parse the same tree. The model commands' `run` is
// empty here; each program gives them its own (bindRun).
#include "cli_args.h"

#include <functional>
#include <string>
#include <vector>

namespace ember::cli {

std::vector<Command> commandTree();
// Sets the top-level command `name`'s run; throws std::logic_error for an unknown name.
void bindRun(std::vector<Command>& tree, const std::string& name, std::function<int(const Args&)> run);

extern const char* const kDescription;
extern const char* const kFooter;

} // namespace ember::cli
