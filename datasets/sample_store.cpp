#include "sample_store.h"

#include "workspace.h"

namespace ember::data {

std::unique_ptr<SampleStore> openSampleStore(const std::string& location, int busyTimeoutMs)
{
    // Today every location is a workspace folder; a server address will pick its own class here.
    auto ws = std::make_unique<Workspace>(Workspace::open(location));
    ws->database().setBusyTimeout(busyTimeoutMs);
    return ws;
}

} // namespace ember::data
