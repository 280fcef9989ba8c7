#include "progress_log.h"

#include <iostream>

namespace ember::train {

ProgressLog::ProgressLog(std::function<void(const std::string&)> sink)
    : sink_(std::move(sink)), log_(std::make_shared<std::ofstream>())
{
}

void ProgressLog::operator()(const nlohmann::json& j) const
{
    const auto line = j.dump();
    if (log_->is_open())
        *log_ << line << std::endl;   // flushed: the log must hold what a killed run did
    if (sink_)
        sink_(line);
    else
        std::cout << line << std::endl;
}

void ProgressLog::logTo(const std::string& path) { log_->open(path, std::ios::app); }

} // namespace ember::train
