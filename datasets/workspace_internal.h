#pragma once
// Private to the Workspace implementation (workspace.cpp and store_*.cpp): not installed and not
// to be included from anywhere else. workspace.h stays the one public header.
#include "workspace.h"

#include <optional>

namespace ember::data {

struct Workspace::Cache {
    std::optional<Statement> insertSample, insertStep, insertSubtask, insertQa, insertCaption, findInstruction, addInstruction;
};

} // namespace ember::data
