#pragma once
// Minimal "--key value" / "--flag" parsing for the embervlm command line.
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember::cli {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args {
public:
    // flags: options without a value. Unknown options and missing values throw UsageError.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags);
    bool has(const std::string& key) const { return values_.count(key) || flags_.count(key); }
    std::string get(const std::string& key, const std::string& fallback = "") const;
    std::string require(const std::string& key) const;
    long long getInt(const std::string& key, long long fallback) const;
    double getDouble(const std::string& key, double fallback) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_;
};

} // namespace ember::cli
