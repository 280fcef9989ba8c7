#pragma once
// `embervlm train`, `embervlm eval` and `embervlm demo`.
#include <string>
#include <vector>

int runTrainCommand(const std::vector<std::string>& args);
int runEvalCommand(const std::vector<std::string>& args);
int runDemoCommand(const std::vector<std::string>& args);
