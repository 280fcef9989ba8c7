// Workspace: open (creation, the read-only decision, the migration hand-off, the first tidy),
// paths inside the workspace, move and destruction. The rest of the class is defined in
// store_samples.cpp, store_images.cpp, store_runs.cpp and store_tidy.cpp.
#include "workspace.h"

#include "workspace_internal.h"

#include "schema.h"

#include <filesystem>
#include <mutex>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ember::data {

Workspace::Workspace(Workspace&&) noexcept = default;
Workspace& Workspace::operator=(Workspace&&) noexcept = default;
Workspace::~Workspace() = default;

Workspace Workspace::open(const std::string& dir, Mode mode)
{
    const fs::path root(dir), dbPath = root / kDbName;
    std::error_code ec;
    const bool haveDb = fs::exists(dbPath, ec);
    if (!haveDb) {
        if (mode != Mode::Create)
            throw std::runtime_error("no workspace at " + dir + " (no " + kDbName +
                                     "); make one with `embervlm data demo -w DIR` or `embervlm data import -w DIR FILE`");
        fs::create_directories(root / kImagesDir, ec);
        if (ec) throw std::runtime_error("cannot create workspace folder " + dir + ": " + ec.message());
    } else {
        if (!fs::is_regular_file(dbPath, ec)) throw std::runtime_error(dbPath.string() + " is not a file");
        // SQLite would take an empty file for a new database and fill it: a truncated workspace
        // must show as damaged instead.
        const fs::path wal = dbPath.string() + "-wal";
        if (fs::file_size(dbPath, ec) == 0 && !ec && !(fs::exists(wal, ec) && fs::file_size(wal, ec) > 0))
            throw std::runtime_error(dbPath.string() + " is empty (0 bytes): not a workspace database. Move it away to "
                                     "start a new workspace in this folder.");
    }
    const bool writable = mode != Mode::ReadOnly && ::access(root.c_str(), W_OK) == 0 &&
                          (!haveDb || ::access(dbPath.c_str(), W_OK) == 0);
    Workspace w;
    w.dir_ = fs::absolute(dir).lexically_normal().string();
    w.db_ = std::make_unique<Database>((fs::path(w.dir_) / kDbName).string(), 10000, !writable);
    try {
        const int have = userVersion(*w.db_);
        if (!writable && have != schemaVersion())
            throw DbError("workspace " + dir + " has schema version " + std::to_string(have) + " (this build: " +
                          std::to_string(schemaVersion()) + ") and is read-only, so it cannot be " +
                          (have < schemaVersion() ? "upgraded" : "used") + " here");
        if (writable) migrate(*w.db_);
    } catch (const DbError& e) {
        throw DbError(std::string(e.what()).find(dir) != std::string::npos ? e.what() : dir + ": " + e.what(), e.busy);
    }
    w.cache_ = std::make_unique<Cache>();
    if (writable) {
        fs::create_directories(fs::path(w.dir_) / kImagesDir, ec);
        // Once per process and folder: the studio opens its workspace again for each view and job
        // (some on the GUI thread), and what a kill left behind is there from the first open.
        static std::mutex tidiedMutex;
        static std::set<std::string> tidied;
        bool first = false;
        {
            std::lock_guard<std::mutex> lock(tidiedMutex);
            first = tidied.insert(w.dir_).second;
        }
        if (first) {
            try {
                w.tidy();
            } catch (const std::exception&) {
                // Tidying is a courtesy: a workspace that cannot be tidied still opens.
            }
        }
    }
    return w;
}

bool Workspace::readOnly() const { return db_->readOnly(); }

std::string Workspace::absolutePath(const std::string& relative) const { return resolveInWorkspace(dir_, relative); }

std::string resolveInWorkspace(const std::string& dir, const std::string& relative)
{
    const fs::path rel(relative);
    auto refuse = [&](const char* why) {
        throw UnsafePathError("path '" + relative + "' in the workspace database " + why + "; refused");
    };
    if (relative.empty()) refuse("is empty");
    if (rel.is_absolute() || rel.has_root_name()) refuse("is absolute");
    for (const auto& part : rel.lexically_normal())
        if (part == "..") refuse("leads out of the workspace");
    const fs::path abs = fs::path(dir) / rel;
    // A symbolic link inside the workspace may still point out of it. A top-level folder
    // (images/, runs/) may itself be a link, to a bigger disk: what lies in it must stay in its target.
    const fs::path normal = rel.lexically_normal();
    const fs::path top = std::distance(normal.begin(), normal.end()) > 1 ? fs::path(dir) / *normal.begin() : fs::path(dir);
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(abs, ec);
    const fs::path root = fs::weakly_canonical(top, ec);
    if (!ec) {
        const auto r = real.lexically_relative(root);
        if (r.empty() || *r.begin() == "..") refuse("resolves outside the workspace");
    }
    return abs.string();
}

} // namespace ember::data
