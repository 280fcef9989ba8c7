// Workspace::tidy: removing what a killed process left behind (see workspace.h).
#include "workspace.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace ember::data {

namespace {

// The files tidy() removes: only those older than an hour, as a younger one may belong to a
// write going on now. Counts what it removed into the report.
struct StaleFiles {
    fs::file_time_type cutoff;
    Workspace::TidyReport& rep;
    std::error_code ec;

    bool old(const fs::path& p)
    {
        const auto t = fs::last_write_time(p, ec);
        return !ec && t < cutoff;
    }
    void drop(const fs::path& p)
    {
        const auto n = fs::file_size(p, ec);
        if (fs::remove(p, ec)) {
            rep.files++;
            rep.bytes += ec ? 0 : static_cast<int64_t>(n);
        }
    }
};

std::set<std::string> knownImagePaths(Database& db)
{
    std::set<std::string> known;
    auto st = db.prepare("SELECT path FROM images");
    while (st.step()) known.insert(st.getText(0));
    return known;
}

// Only the store's own files (images/<2 hex>/<sha256>.<ext>, and their temporaries): the
// studio keeps the user's pictures at the top of images/ and they are not the store's.
bool isStoreFile(const fs::path& p)
{
    const std::string dirName = p.parent_path().filename().string(), name = p.filename().string();
    auto hex = [](const std::string& t) {
        return std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isxdigit(c); });
    };
    return dirName.size() == 2 && hex(dirName) && name.size() > 64 && hex(name.substr(0, 64)) && name[64] == '.';
}

// Image files: kept when a row names them.
void tidyImages(const std::string& dir, const std::set<std::string>& known, StaleFiles& stale)
{
    std::error_code& ec = stale.ec;
    const fs::path images = fs::path(dir) / Workspace::kImagesDir;
    // A linked images/ (moved to a bigger disk, or shared with another workspace) may hold files
    // this database does not list and did not make: nothing is deleted through a link.
    if (fs::is_symlink(images, ec) || !fs::is_directory(images, ec)) return;
    for (const auto& sub : fs::directory_iterator(images, ec)) {
        if (!sub.is_directory(ec) || sub.is_symlink(ec)) continue;
        for (const auto& f : fs::directory_iterator(sub.path(), ec)) {
            if (!f.is_regular_file(ec) || f.is_symlink(ec) || !isStoreFile(f.path())) continue;
            const auto rel = fs::relative(f.path(), dir, ec).generic_string();
            if (!known.count(rel) && stale.old(f.path())) stale.drop(f.path());
        }
    }
}

// Checkpoint rows whose file is gone (rotation after a kill, a user's clean-up), and rows that
// an overwritten file left behind.
int64_t dropMissingCheckpoints(Database& db, const std::string& dir, std::error_code& ec)
{
    std::vector<int64_t> gone;
    {
        auto st = db.prepare("SELECT id, path FROM checkpoints");
        while (st.step()) {
            const std::string path = st.getText(1);
            const fs::path abs = fs::path(path).is_absolute() ? fs::path(path) : fs::path(dir) / path;
            if (!fs::exists(abs, ec)) gone.push_back(st.getInt(0));
        }
    }
    int64_t rows = 0;
    for (auto id : gone) {
        auto del = db.prepare("DELETE FROM checkpoints WHERE id=?");
        del.bind(1, id).run();
        rows++;
    }
    // Older workspaces recorded every new best under the one best.safetensors: keep its newest row.
    db.exec("DELETE FROM checkpoints WHERE id NOT IN (SELECT MAX(id) FROM checkpoints GROUP BY run_id, path)");
    return rows + db.changes();
}

// One run folder: checkpoint files that state.json no longer names, and temporary files.
void tidyRun(const fs::path& run, StaleFiles& stale)
{
    std::error_code& ec = stale.ec;
    std::string last, best;
    std::ifstream in(run / "state.json");
    if (!in) return;   // no state: the run never checkpointed, or is starting now
    try {
        const auto j = nlohmann::json::parse(in);
        last = j.value("last", "");
        best = j.value("best", "");
    } catch (const std::exception&) {
        return;
    }
    const std::string stem = last.substr(0, last.find('.'));
    for (const auto& f : fs::directory_iterator(run, ec)) {
        if (!f.is_regular_file(ec) || f.is_symlink(ec)) continue;
        const std::string name = f.path().filename().string();
        const bool tmp = name.find(".tmp") != std::string::npos;
        const bool ckpt = name.rfind("ckpt-", 0) == 0 && name != last && name.rfind(stem + ".", 0) != 0;
        if ((tmp || ckpt) && name != best && stale.old(f.path())) stale.drop(f.path());
    }
}

void tidyRuns(const std::string& dir, StaleFiles& stale)
{
    std::error_code& ec = stale.ec;
    const fs::path runs = fs::path(dir) / "runs";
    if (fs::is_symlink(runs, ec) || !fs::is_directory(runs, ec)) return;   // as images/: never through a link
    for (const auto& run : fs::directory_iterator(runs, ec)) {
        if (!run.is_directory(ec) || run.is_symlink(ec)) continue;
        tidyRun(run.path(), stale);
    }
}

} // namespace

Workspace::TidyReport Workspace::tidy()
{
    TidyReport rep;
    if (readOnly()) return rep;
    try {
        // A killed bulk write can leave a WAL of hundreds of MB. PASSIVE never waits for another
        // process; journal_size_limit (Database) then truncates the file once it is reset.
        db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const std::exception&) {
    }
    StaleFiles stale{fs::file_time_type::clock::now() - std::chrono::hours(1), rep, {}};
    const std::set<std::string> known = knownImagePaths(*db_);
    tidyImages(dir_, known, stale);
    rep.rows += dropMissingCheckpoints(*db_, dir_, stale.ec);
    tidyRuns(dir_, stale);
    return rep;
}

} // namespace ember::data
