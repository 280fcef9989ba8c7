#include "many_runs.h"

#include "sqlite_db.h"
#include "workspace.h"

#include <cmath>
#include <filesystem>
#include <fstream>

namespace ember::bench {

void addFinishedRuns(const std::string& dir, int runs, int steps)
{
    auto ws = data::Workspace::open(dir);
    data::Transaction tx(ws.database());
    for (int i = 0; i < runs; ++i) {
        data::RunInfo r;
        r.name = "sweep " + std::to_string(i);
        r.stage = 3;
        r.config = R"({"stage":3,"max_steps":)" + std::to_string(steps) + "}";
        r.status = data::RunStatus::Finished;
        ws.createRun(r);
        for (int s = 1; s <= steps; ++s) {
            const double loss = 2.0 * std::exp(-0.1 * s) + 0.001 * (i % 17);
            ws.addMetrics(r.id, s, {{"train/loss", loss}, {"lr", 1e-3}, {"grad_norm", 0.5 + loss}});
        }
        ws.addMetric(r.id, "val/loss", steps, 2.0 * std::exp(-0.1 * steps));
        data::CheckpointInfo c;
        c.runId = r.id;
        c.step = steps;
        c.path = "runs/run-" + std::to_string(r.id) + "/ckpt-" + std::to_string(steps) + ".safetensors";
        c.isBest = true;
        // A placeholder file: the row is valid whatever tidies the workspace (a row whose file
        // is gone is dropped), not kept alive by being opened first in this process.
        std::filesystem::create_directories(dir + "/runs/run-" + std::to_string(r.id));
        std::ofstream(dir + "/" + c.path) << "placeholder: no weights";
        ws.addCheckpoint(c);
    }
    tx.commit();
}

} // namespace ember::bench
