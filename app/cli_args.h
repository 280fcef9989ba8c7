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
    // A value outside [lo, hi] (or not finite) throws UsageError naming the range: no option is
    // accepted silently out of range, wrapped or NaN.
    long long getInt(const std::string& key, long long fallback, long long lo, long long hi) const;
    double getDouble(const std::string& key, double fallback, double lo, double hi) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_;
};

// --threads: 0 (one per core) up to four per core; more only creates idle threads.
int threadsOption(const Args& a);

} // namespace ember::cli
