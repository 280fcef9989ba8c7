#include "json_parse.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace ember {

nlohmann::json parseJsonOrThrow(const std::string& text, const std::string& what)
{
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(what + " is not valid JSON: " + e.what());
    }
}

} // namespace ember
