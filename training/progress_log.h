#pragma once
// The trainer's progress lines: one JSON object per line to the caller (or stdout), and from
// logTo() on also appended to the run's train.log. No torch.
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <memory>
#include <string>

namespace ember::train {

class ProgressLog {
public:
    explicit ProgressLog(std::function<void(const std::string&)> sink = nullptr);
    void operator()(const nlohmann::json& line) const;
    // A resumed run continues its log.
    void logTo(const std::string& path);

private:
    std::function<void(const std::string&)> sink_;
    std::shared_ptr<std::ofstream> log_;   // shared by the copies the loop's helpers hold
};

} // namespace ember::train
