#pragma once
// The embervlm command line: commands and their options, parsed by CLI11. Exit status:
// 0 success, 1 the command failed, 2 the command line was wrong (usage error).
#include <exception>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember::cli {

enum ExitStatus { kSuccess = 0, kFailure = 1, kUsage = 2 };

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// What a command was given: option values by every one of their names ("-w" and
// "--workspace" alike), flags, and the positional arguments (everything after "--" included).
class Args {
public:
    void set(const std::vector<std::string>& names, const std::string& value);
    void setFlag(const std::vector<std::string>& names);
    void addPositional(const std::string& p) { positional_.push_back(p); }

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

// One option: CLI11 names ("-w,--workspace"), the value's name in the help ("DIR"; empty for a
// flag), and what it does. Required options are checked by the parser (a usage error). An empty
// value is refused (`-w ""` is a mistake), except for a kText value: "" is a text like any other.
inline constexpr const char* kText = "TEXT";
struct Option {
    std::string names;
    std::string value;
    std::string help;
    bool required = false;
};

struct Command {
    std::string name;
    std::string summary;
    std::vector<Option> options;
    std::string positional;   // e.g. "TEXT" or "PATH"; empty: the command takes none
    std::string positionalHelp;
    std::function<int(const Args&)> run;   // absent when the command only groups `children`
    std::vector<Command> children;
};

struct Program {
    std::string name;          // "embervlm"
    std::string description;
    std::string version;
    std::string footer;        // environment variables, exit statuses
    std::vector<Command> commands;
    // A runtime failure's one-line message (the default: what() up to its first line break).
    std::function<std::string(const std::exception&)> describe;
};

// Parses argv, runs the chosen command and returns the exit status; --help and --version print
// to stdout and return 0, usage errors print one line on stderr and return 2.
int run(const Program& program, int argc, char** argv);

// --threads: 0 (one per core) up to four per core; more only creates idle threads.
int threadsOption(const Args& a);
Option threadsSpec();

} // namespace ember::cli
