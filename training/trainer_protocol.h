#pragma once
// The trainer's wire protocol, spelled once: the events `embervlm train|demo --json` prints (one
// JSON object per line, {"event": NAME, ...}), where a run keeps its files, and the word a run's
// status is shown with. The trainer writes it; the command line's progress line, the Train view's
// process and monitor read it. Header-only and torch-free: the widgets include it.
#include "run_status.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace ember::train::protocol {

enum class Event { Started, Step, Eval, Checkpoint, Stopped, Failed, Finished, Demo, Unknown };

inline const char* name(Event e)
{
    switch (e) {
    case Event::Started: return "started";       // run, stage, total_steps, start_step, samples
    case Event::Step: return "step";             // step, total, epoch, loss, lr, samples_per_s, eta_s…
    case Event::Eval: return "eval";             // step, loss (validation)
    case Event::Checkpoint: return "checkpoint"; // step, path, best
    case Event::Stopped: return "stopped";       // step, message: resumable
    case Event::Failed: return "failed";         // step, message
    case Event::Finished: return "finished";     // step, loss, last, best, seconds
    case Event::Demo: return "demo";             // checkpoint, test_accuracy (embervlm demo's last line)
    case Event::Unknown: break;
    }
    return "";
}

inline Event parse(std::string_view word)
{
    for (Event e : {Event::Started, Event::Step, Event::Eval, Event::Checkpoint, Event::Stopped, Event::Failed,
                    Event::Finished, Event::Demo})
        if (word == name(e))
            return e;
    return Event::Unknown;
}

// The run has ended, one way or another.
inline bool ends(Event e) { return e == Event::Finished || e == Event::Failed || e == Event::Stopped; }

// <workspace>/runs/run-N: the run's checkpoints, state.json, train.log and the launcher's pid file.
inline std::string runDirectory(const std::string& workspaceDir, int64_t runId)
{
    return workspaceDir + "/runs/run-" + std::to_string(runId);
}

// How a run's status reads to a user: a paused run was stopped by its user and can be resumed.
inline std::string statusWord(ember::data::RunStatus s)
{
    return s == ember::data::RunStatus::Paused ? "stopped" : ember::data::toString(s);
}

} // namespace ember::train::protocol
