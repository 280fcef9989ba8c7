#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace ember {

// Parses text as JSON; a parse error becomes std::invalid_argument("<what> is not valid JSON: ..."),
// the error the config readers report to the user.
nlohmann::json parseJsonOrThrow(const std::string& text, const std::string& what);

} // namespace ember
