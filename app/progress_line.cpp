#include "progress_line.h"
#include "trainer_protocol.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>

namespace ember::cli {

std::string clock(double seconds)
{
    char b[32];
    const int s = static_cast<int>(seconds + 0.5);
    std::snprintf(b, sizeof b, "%d:%02d", s / 60, s % 60);
    return b;
}

std::function<void(const std::string&)> stageLine(int stage)
{
    static const char* const names[5] = {"", "alignment", "instruction", "selection", "reasoning"};
    auto current = std::make_shared<int>(stage);
    return [current](const std::string& line) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object())
            return;
        using ember::train::protocol::Event;
        const Event ev = ember::train::protocol::parse(j.value("event", ""));
        if (ev == Event::Started)
            *current = j.value("stage", *current);   // a resumed run says which stage it is
        const int stage = *current;
        const char* name = names[stage >= 1 && stage <= 4 ? stage : 0];
        if (ev == Event::Step) {
            std::printf("\r\033[Kstage %d %-12s step %4lld/%-4lld  loss %7.4f  %6.1f samples/s  ETA %s", stage, name,
                        j.value("step", 0LL), j.value("total", 0LL), j.value("loss", 0.0), j.value("samples_per_s", 0.0),
                        clock(j.value("eta_s", 0.0)).c_str());
        } else if (ev == Event::Finished) {
            std::printf("\r\033[Kstage %d %-12s %lld steps  loss %7.4f  %s\n", stage, name, j.value("step", 0LL),
                        j.value("loss", 0.0), clock(j.value("seconds", 0.0)).c_str());
        } else if (ev == Event::Stopped) {
            std::printf("\r\033[Kstage %d %-12s stopped at step %lld (checkpoint saved)\n", stage, name, j.value("step", 0LL));
        } else if (ev == Event::Failed) {
            std::printf("\r\033[K");
        } else {
            return;
        }
        std::fflush(stdout);
    };
}

std::function<bool(int64_t, int64_t)> countLine(const std::string& what, std::FILE* out)
{
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    return [what, out, last](int64_t done, int64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - *last < std::chrono::milliseconds(100))
            return true;
        *last = now;
        std::fprintf(out, "\r\033[K%s %lld/%lld (%3.0f%%)", what.c_str(), static_cast<long long>(done),
                     static_cast<long long>(total), total ? 100.0 * double(done) / double(total) : 100.0);
        if (done >= total)
            std::fprintf(out, "\n");
        std::fflush(out);
        return true;
    };
}

} // namespace ember::cli
