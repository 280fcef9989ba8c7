// Workspace training runs: runs, metrics, checkpoints.
#include "workspace.h"

namespace ember::data {

int64_t Workspace::createRun(RunInfo& r)
{
    if (!r.created) r.created = nowMs();
    auto st = db_->prepare(
        "INSERT INTO runs(name, stage, config, seed, status, created, started, finished, notes) VALUES(?,?,?,?,?,?,?,?,?)");
    st.bind(1, r.name).bind(2, r.stage).bind(3, r.config).bind(4, r.seed).bind(5, std::string(toString(r.status))).bind(6, r.created);
    if (r.started) st.bind(7, r.started); else st.bindNull(7);
    if (r.finished) st.bind(8, r.finished); else st.bindNull(8);
    st.bind(9, r.notes).run();
    r.id = db_->lastInsertId();
    return r.id;
}

void Workspace::updateRun(const RunInfo& r)
{
    auto st = db_->prepare(
        "UPDATE runs SET name=?, stage=?, config=?, seed=?, status=?, started=?, finished=?, notes=? WHERE id=?");
    st.bind(1, r.name).bind(2, r.stage).bind(3, r.config).bind(4, r.seed).bind(5, std::string(toString(r.status)));
    if (r.started) st.bind(6, r.started); else st.bindNull(6);
    if (r.finished) st.bind(7, r.finished); else st.bindNull(7);
    st.bind(8, r.notes).bind(9, r.id).run();
    if (db_->changes() != 1) throw std::invalid_argument("no run with id " + std::to_string(r.id));
}

namespace {
RunInfo readRun(Statement& st)
{
    RunInfo r;
    r.id = st.getInt(0);
    r.name = st.getText(1);
    r.stage = static_cast<int>(st.getInt(2));
    r.config = st.getText(3);
    r.seed = st.getInt(4);
    r.status = runStatusFromString(st.getText(5));
    r.created = st.getInt(6);
    r.started = st.getInt(7);
    r.finished = st.getInt(8);
    r.notes = st.getText(9);
    return r;
}
constexpr const char* kRunSelect = "SELECT id, name, stage, config, seed, status, created, started, finished, notes FROM runs";
} // namespace

std::optional<RunInfo> Workspace::run(int64_t id) const
{
    auto st = db_->prepare(std::string(kRunSelect) + " WHERE id=?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return readRun(st);
}

std::vector<RunInfo> Workspace::runs() const
{
    auto st = db_->prepare(std::string(kRunSelect) + " ORDER BY id");
    std::vector<RunInfo> out;
    while (st.step()) out.push_back(readRun(st));
    return out;
}

void Workspace::addMetric(int64_t runId, const std::string& name, int64_t step, double value)
{
    addMetrics(runId, step, {{name, value}});
}

void Workspace::addMetrics(int64_t runId, int64_t step, const std::vector<std::pair<std::string, double>>& values)
{
    Transaction tx(*db_);
    auto st = db_->prepare("INSERT OR REPLACE INTO metrics(run_id, name, step, value, time) VALUES(?,?,?,?,?)");
    const auto now = nowMs();
    for (const auto& [name, v] : values) st.bind(1, runId).bind(2, name).bind(3, step).bind(4, v).bind(5, now).run();
    tx.commit();
}

std::vector<MetricPoint> Workspace::metrics(int64_t runId, const std::string& name, int64_t fromStep) const
{
    auto st = db_->prepare("SELECT step, value, time FROM metrics WHERE run_id=? AND name=? AND step>=? ORDER BY step");
    st.bind(1, runId).bind(2, name).bind(3, fromStep);
    std::vector<MetricPoint> out;
    while (st.step()) out.push_back({st.getInt(0), st.getDouble(1), st.getInt(2)});
    return out;
}

std::vector<std::string> Workspace::metricNames(int64_t runId) const
{
    auto st = db_->prepare("SELECT DISTINCT name FROM metrics WHERE run_id=? ORDER BY name");
    st.bind(1, runId);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.getText(0));
    return out;
}

int64_t Workspace::addCheckpoint(CheckpointInfo& c)
{
    if (!c.created) c.created = nowMs();
    Transaction tx(*db_);
    if (c.isBest)   // one best checkpoint per run
        db_->prepare("UPDATE checkpoints SET is_best=0 WHERE run_id=?").bind(1, c.runId).run();
    removeCheckpoint(c.runId, c.path);
    db_->prepare("INSERT INTO checkpoints(run_id, step, path, metrics, is_best, created) VALUES(?,?,?,?,?,?)")
        .bind(1, c.runId)
        .bind(2, c.step)
        .bind(3, c.path)
        .bind(4, c.metrics)
        .bind(5, c.isBest ? 1 : 0)
        .bind(6, c.created)
        .run();
    c.id = db_->lastInsertId();
    tx.commit();
    return c.id;
}

void Workspace::removeCheckpoint(int64_t runId, const std::string& path)
{
    db_->prepare("DELETE FROM checkpoints WHERE run_id=? AND path=?").bind(1, runId).bind(2, path).run();
}

std::vector<CheckpointInfo> Workspace::checkpoints(int64_t runId) const
{
    auto st = db_->prepare(
        "SELECT id, run_id, step, path, metrics, is_best, created FROM checkpoints WHERE run_id=? ORDER BY step, id");
    st.bind(1, runId);
    std::vector<CheckpointInfo> out;
    while (st.step())
        out.push_back({st.getInt(0), st.getInt(1), st.getInt(2), st.getText(3), st.getText(4), st.getInt(5) != 0,
                       st.getInt(6)});
    return out;
}

} // namespace ember::data
