#pragma once
// The workspace filter for a split name: "train", "val", "test", or "all" (no filter).
#include "sample.h"

#include <optional>
#include <stdexcept>
#include <string>

namespace ember::train {

inline std::optional<data::Split> splitFilter(const std::string& name)
{
    if (name == "train") return data::Split::Train;
    if (name == "val") return data::Split::Val;
    if (name == "test") return data::Split::Test;
    if (name == "all") return std::nullopt;
    throw std::invalid_argument("split must be train, val, test or all (got '" + name + "')");
}

} // namespace ember::train
