#include "cli_args.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <thread>

namespace ember::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags)
{
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string a = argv[i];
        if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && std::isdigit(static_cast<unsigned char>(a[1])))) {
            std::string key = a;
            std::string value;
            bool inlineValue = false;
            if (auto eq = a.find('='); eq != std::string::npos) {
                key = a.substr(0, eq);
                value = a.substr(eq + 1);
                inlineValue = true;
            }
            if (flags.count(key)) {
                flags_.insert(key);
            } else if (valued.count(key)) {
                if (!inlineValue) {
                    if (i + 1 >= argv.size())
                        throw UsageError("option " + key + " needs a value");
                    value = argv[++i];
                }
                values_[key] = value;
            } else {
                throw UsageError("unknown option " + key);
            }
        } else {
            positional_.push_back(a);
        }
    }
}

std::string Args::get(const std::string& key, const std::string& fallback) const
{
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
}

std::string Args::require(const std::string& key) const
{
    auto it = values_.find(key);
    if (it == values_.end() || it->second.empty())
        throw UsageError("missing required option " + key);
    return it->second;
}

long long Args::getInt(const std::string& key, long long fallback, long long lo, long long hi) const
{
    auto it = values_.find(key);
    if (it == values_.end())
        return fallback;
    size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(it->second, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != it->second.size() || it->second.empty())
        throw UsageError("option " + key + " needs an integer, got '" + it->second + "'");
    if (v < lo || v > hi)
        throw UsageError("option " + key + " must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                         it->second);
    return v;
}

double Args::getDouble(const std::string& key, double fallback, double lo, double hi) const
{
    auto it = values_.find(key);
    if (it == values_.end())
        return fallback;
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(it->second, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != it->second.size() || it->second.empty())
        throw UsageError("option " + key + " needs a number, got '" + it->second + "'");
    if (!(v >= lo && v <= hi)) {   // also NaN
        char range[96];
        std::snprintf(range, sizeof range, "%g..%g", lo, hi);
        throw UsageError("option " + key + " must be a number in " + range + ", got " + it->second);
    }
    return v;
}

int threadsOption(const Args& a)
{
    const long long cores = std::max(1u, std::thread::hardware_concurrency());
    return static_cast<int>(a.getInt("--threads", 0, 0, 4 * cores));
}

} // namespace ember::cli
