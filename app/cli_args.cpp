#include "cli_args.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

namespace ember::cli {

namespace {

// text read by parse (std::stoll or std::stod) in full; nothing when it is empty, not a number,
// out of the type's range, or has anything after the number.
template <typename T, typename Parse>
std::optional<T> parseWhole(const std::string& text, Parse parse)
{
    size_t used = 0;
    T v = 0;
    try {
        v = parse(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (text.empty() || used != text.size())
        return std::nullopt;
    return v;
}

} // namespace

void Args::set(const std::vector<std::string>& names, const std::string& value)
{
    for (const auto& n : names)
        values_[n] = value;
}

void Args::setFlag(const std::vector<std::string>& names)
{
    flags_.insert(names.begin(), names.end());
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
    const auto parsed =
        parseWhole<long long>(it->second, [](const std::string& s, size_t* used) { return std::stoll(s, used); });
    if (!parsed)
        throw UsageError("option " + key + " needs an integer, got '" + it->second + "'");
    const long long v = *parsed;
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
    const auto parsed = parseWhole<double>(it->second, [](const std::string& s, size_t* used) { return std::stod(s, used); });
    if (!parsed)
        throw UsageError("option " + key + " needs a number, got '" + it->second + "'");
    const double v = *parsed;
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

Option threadsSpec()
{
    return {"--threads", "N", "compute threads (0: one per core)"};
}

namespace {

std::vector<std::string> splitNames(const std::string& names)
{
    std::vector<std::string> out;
    std::stringstream s(names);
    for (std::string n; std::getline(s, n, ',');)
        out.push_back(n);
    return out;
}

// A command's CLI11 subcommand and what its options and positionals were bound to.
struct Bound {
    const Command* command = nullptr;
    CLI::App* app = nullptr;
    std::vector<std::pair<const Option*, CLI::Option*>> options;
    std::vector<std::string> positional;
    std::vector<std::unique_ptr<Bound>> children;
};

void bind(CLI::App& parent, const Command& c, Bound& b)
{
    b.command = &c;
    b.app = parent.add_subcommand(c.name, c.summary);
    for (const auto& o : c.options) {
        CLI::Option* opt = o.value.empty() ? b.app->add_flag(o.names, o.help) : b.app->add_option(o.names, o.help);
        if (!o.value.empty())
            opt->type_name(o.value)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        else
            opt->disable_flag_override();   // "--json=false" is an error, not a set flag
        opt->required(o.required);
        b.options.emplace_back(&o, opt);
    }
    if (!c.positional.empty())
        b.app->add_option(c.positional, b.positional, c.positionalHelp);
    for (const auto& child : c.children) {
        b.children.push_back(std::make_unique<Bound>());
        bind(*b.app, child, *b.children.back());
    }
    if (!c.children.empty())
        b.app->require_subcommand(1);
}

// The innermost command the user chose, or null.
const Bound* chosen(const std::vector<std::unique_ptr<Bound>>& level)
{
    for (const auto& b : level)
        if (b->app->parsed()) {
            const Bound* deeper = chosen(b->children);
            return deeper ? deeper : b.get();
        }
    return nullptr;
}

// "embervlm data import" from the words alone, for messages about a command line that did not
// parse; `unknown` is the word where a command was expected and none matched.
std::string commandPath(const Program& p, const std::vector<std::string>& words, std::string& unknown)
{
    std::string path = p.name;
    const std::vector<Command>* level = &p.commands;
    for (size_t i = 0; i < words.size() && !level->empty(); ++i) {
        auto it = std::find_if(level->begin(), level->end(), [&](const Command& c) { return c.name == words[i]; });
        if (it == level->end()) {
            if (words[i].empty() || words[i][0] != '-')
                unknown = words[i];
            break;
        }
        path += " " + it->name;
        level = &it->children;
    }
    return path;
}

// What the old parser accepted and CLI11 reads otherwise: "-w=DIR" (CLI11 would take "=DIR" as
// the value) and the word "help" where a command is expected ("embervlm data help").
std::vector<std::string> conventionalWords(const Program& p, int argc, char** argv)
{
    std::vector<std::string> words;
    const std::vector<Command>* level = &p.commands;
    bool options = true, commandPosition = true;
    for (int i = 1; i < argc; ++i) {
        const std::string w = argv[i];
        if (w == "--")
            options = false;
        if (options && w.size() > 2 && w[0] == '-' && w[1] != '-' && w[2] == '=') {
            words.push_back(w.substr(0, 2));
            words.push_back(w.substr(3));
            continue;
        }
        if (options && commandPosition && w == "help") {
            words.push_back("--help");
            continue;
        }
        if (commandPosition) {
            auto it = std::find_if(level->begin(), level->end(), [&](const Command& c) { return c.name == w; });
            if (it != level->end() && !it->children.empty())
                level = &it->children;
            else
                commandPosition = false;
        }
        words.push_back(w);
    }
    return words;
}

std::string firstLine(const std::string& s)
{
    return s.substr(0, s.find('\n'));
}

} // namespace

int run(const Program& program, int argc, char** argv)
{
    CLI::App app(program.description, program.name);
    app.set_version_flag("--version", program.name + " " + program.version);
    app.footer(program.footer);
    app.require_subcommand(1);
    std::vector<std::unique_ptr<Bound>> bound;
    for (const auto& c : program.commands) {
        bound.push_back(std::make_unique<Bound>());
        bind(app, c, *bound.back());
    }
    std::vector<std::string> words = conventionalWords(program, argc, argv);
    std::string unknown;
    const std::string path = commandPath(program, words, unknown);
    if (words.empty()) {
        std::cerr << app.help();
        return kUsage;
    }
    try {
        std::reverse(words.begin(), words.end());   // CLI11 takes them last first
        app.parse(words);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)
            return app.exit(e);   // --help or --version, on stdout
        std::string msg = firstLine(e.what());
        if (!unknown.empty())
            msg = "unknown command '" + unknown + "'";
        std::cerr << path << ": " << msg << " (see " << path << " --help)\n";
        return kUsage;
    }
    const Bound* b = chosen(bound);
    Args args;
    for (const auto& [spec, opt] : b->options) {
        if (!opt->count())
            continue;
        if (spec->value.empty()) {
            args.setFlag(splitNames(spec->names));
        } else if (opt->results().back().empty() && spec->value != kText) {
            std::cerr << path << ": " << splitNames(spec->names).back() << " needs a value (see " << path << " --help)\n";
            return kUsage;
        } else {
            args.set(splitNames(spec->names), opt->results().back());
        }
    }
    for (const auto& p : b->positional)
        args.addPositional(p);
    try {
        return b->command->run(args);
    } catch (const UsageError& e) {
        std::cerr << path << ": " << firstLine(e.what()) << " (see " << path << " --help)\n";
        return kUsage;
    } catch (const std::exception& e) {
        std::cerr << path << ": " << (program.describe ? program.describe(e) : firstLine(e.what())) << "\n";
        return kFailure;
    }
}

} // namespace ember::cli
