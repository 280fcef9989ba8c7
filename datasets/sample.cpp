#include "sample.h"

#include "config.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <regex>
#include <stdexcept>

namespace ember::data {

std::string toString(Split s)
{
    switch (s) {
    case Split::Train: return "train";
    case Split::Val: return "val";
    case Split::Test: return "test";
    default: return "";
    }
}

std::string toString(Status s) { return s == Status::Reviewed ? "reviewed" : "draft"; }

Split splitFromString(const std::string& s)
{
    if (s.empty() || s == "none") return Split::None;
    if (s == "train") return Split::Train;
    if (s == "val" || s == "validation") return Split::Val;
    if (s == "test") return Split::Test;
    throw std::invalid_argument("unknown split '" + s + "' (train, val, test or empty)");
}

Status statusFromString(const std::string& s)
{
    if (s.empty() || s == "draft") return Status::Draft;
    if (s == "reviewed") return Status::Reviewed;
    throw std::invalid_argument("unknown status '" + s + "' (draft or reviewed)");
}

std::string formatReasoning(const std::vector<std::string>& steps)
{
    std::string out;
    for (size_t i = 0; i < steps.size(); ++i) {
        if (i) out += ' ';
        out += "Step " + std::to_string(i + 1) + ": " + steps[i];
    }
    return out;
}

std::vector<std::string> parseReasoning(const std::string& text)
{
    static const std::regex marker(R"((^|\s)Step\s+\d+\s*:\s*)");
    std::vector<std::string> steps;
    std::vector<std::pair<size_t, size_t>> marks;   // (start of marker, start of text)
    for (auto it = std::sregex_iterator(text.begin(), text.end(), marker); it != std::sregex_iterator(); ++it)
        marks.emplace_back(static_cast<size_t>(it->position()), static_cast<size_t>(it->position() + it->length()));
    auto trim = [](std::string s) {
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
        size_t b = 0;
        while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
        return s.substr(b);
    };
    if (marks.empty()) {
        auto t = trim(text);
        if (!t.empty()) steps.push_back(t);
        return steps;
    }
    for (size_t i = 0; i < marks.size(); ++i) {
        const size_t end = i + 1 < marks.size() ? marks[i + 1].first : text.size();
        steps.push_back(trim(text.substr(marks[i].second, end - marks[i].second)));
    }
    return steps;
}

int robotCount() { return static_cast<int>(ember::defaultRobotLabels().size()); }

const std::string& robotName(int index) { return ember::defaultRobotLabels().at(static_cast<size_t>(index)); }

namespace {
std::string lower(std::string s)
{
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
std::string trimmed(const std::string& s)
{
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n.");
    return s.substr(b, e - b + 1);
}
} // namespace

int robotIndex(const std::string& name)
{
    const auto n = lower(trimmed(name));
    const auto& labels = ember::defaultRobotLabels();
    for (size_t i = 0; i < labels.size(); ++i)
        if (lower(labels[i]) == n) return static_cast<int>(i);
    return -1;
}

std::vector<int> parseRobotList(const std::string& s)
{
    std::vector<int> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        const auto name = trimmed(s.substr(start, comma - start));
        if (!name.empty()) {
            const int idx = robotIndex(name);
            if (idx < 0) throw std::invalid_argument("unknown robot '" + name + "'");
            out.push_back(idx);
        }
        start = comma + 1;
    }
    if (out.empty()) throw std::invalid_argument("no robot named");
    return normalizeRobots(out);
}

std::string joinRobots(const std::vector<int>& robots)
{
    std::string out;
    for (int r : robots) {
        if (!out.empty()) out += ", ";
        out += robotName(r);
    }
    return out;
}

std::vector<int> normalizeRobots(std::vector<int> robots)
{
    for (int r : robots)
        if (r < 0 || r >= robotCount())
            throw std::invalid_argument("robot index " + std::to_string(r) + " out of range");
    std::sort(robots.begin(), robots.end());
    robots.erase(std::unique(robots.begin(), robots.end()), robots.end());
    return robots;
}

uint32_t robotMask(const std::vector<int>& robots)
{
    uint32_t m = 0;
    for (int r : robots) m |= 1u << r;
    return m;
}

std::vector<int> robotsFromMask(uint32_t mask)
{
    std::vector<int> out;
    for (int i = 0; i < 32; ++i)
        if (mask & (1u << i)) out.push_back(i);
    return out;
}

std::vector<std::string> allCaptions(const Sample& s)
{
    std::vector<std::string> out;
    if (!s.caption.empty()) out.push_back(s.caption);
    for (const auto& c : s.moreCaptions)
        if (!c.empty()) out.push_back(c);
    return out;
}

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace ember::data
