#pragma once
// A workspace: <dir>/workspace.db (SQLite, WAL) plus the image files under <dir>/images/.
// The store the Annotate, Train and Evaluate views read and write. Several processes may open
// one workspace at once (the studio and a training run): writes take SQLite's write lock for
// one short transaction, readers never block. One Workspace object per thread.
#include "progress.h"
#include "run_status.h"
#include "sample.h"
#include "sample_store.h"
#include "sqlite_db.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember::data {

struct UnsafePathError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// dir/relative for a path read from a workspace's database or files: throws UnsafePathError when
// it is absolute, climbs out with "..", or resolves (through links) outside the workspace, or
// outside the target of the top-level folder it is in when that folder (images/, runs/) is a link.
std::string resolveInWorkspace(const std::string& dir, const std::string& relative);


struct RunInfo {
    int64_t id = 0;
    std::string name;
    int stage = 0;
    std::string config = "{}";
    int64_t seed = 0;
    RunStatus status = RunStatus::Created;
    int64_t created = 0, started = 0, finished = 0;
    std::string notes;
};

struct MetricPoint {
    int64_t step = 0;
    double value = 0;
    int64_t time = 0;
};

struct CheckpointInfo {
    int64_t id = 0;
    int64_t runId = 0;
    int64_t step = 0;
    std::string path;
    std::string metrics = "{}";
    bool isBest = false;
    int64_t created = 0;
};


class Workspace final : public SampleStore {
public:
    static constexpr const char* kDbName = "workspace.db";
    static constexpr const char* kImagesDir = "images";

    enum class Mode {
        Create,     // create <dir>, <dir>/images and the database when missing
        Existing,   // refuse a folder without a workspace database (commands that only read)
        ReadOnly    // Existing, and never written even where it could be
    };
    // Migrates an older schema. Refuses a 0-byte database and one from a newer build (never
    // overwritten). A workspace that cannot be written (read-only folder or file) opens
    // read-only: readOnly() is true and every write throws. A writable one is tidied at its first
    // open in a process (files left by a killed process, see tidy()). Throws DbError / std::runtime_error naming the path.
    static Workspace open(const std::string& dir, Mode mode = Mode::Create);
    bool readOnly() const override;
    std::string location() const override { return dir_; }
    // Removes what a killed process leaves: temporary files, image files no row references,
    // checkpoint rows whose file is gone, checkpoint files a run's state no longer names. Only
    // files older than an hour, so another process's import or run in progress keeps its own.
    struct TidyReport {
        int64_t files = 0, bytes = 0, rows = 0;
    };
    TidyReport tidy();
    Workspace(Workspace&&) noexcept;
    Workspace& operator=(Workspace&&) noexcept;
    ~Workspace();

    const std::string& dir() const { return dir_; }
    // dir()/relative, for a path read from the database: throws UnsafePathError unless it stays
    // inside the workspace (no absolute path, no "..", no symbolic link leading out), because a
    // workspace from someone else is untrusted input.
    std::string absolutePath(const std::string& relative) const override;

    // --- samples ---------------------------------------------------------------------------
    // Sets id, uid (when empty), created/modified (when 0). Child rows are written in the
    // same transaction. Throws std::invalid_argument for an invalid sample.
    int64_t insert(Sample& s) override;
    // All in one transaction; the whole batch or nothing.
    void insertMany(std::vector<Sample>& samples, const Progress& progress = {});
    // Replaces every field of the stored sample s.id (modified is set to now).
    void update(Sample& s);
    void updateMany(std::vector<Sample>& samples) override;
    bool remove(int64_t id);   // derived copies go with their source
    std::optional<Sample> get(int64_t id) const override;
    std::optional<Sample> getByUid(const std::string& uid) const;
    void setSplit(const std::vector<int64_t>& ids, Split split);
    void setStatus(const std::vector<int64_t>& ids, Status status);

    std::vector<SampleRow> query(const SampleQuery& q) const override;
    int64_t count(const SampleQuery& q = {}) const override;
    std::vector<int64_t> ids(const SampleQuery& q) const override;   // in query()'s order
    // Per robot label (MODEL.md order): how many matching samples name it.
    std::vector<int64_t> labelHistogram(const SampleQuery& q = {}) const override;
    // Samples per split: [none, train, val, test].
    std::array<int64_t, 4> splitCounts() const;

    // --- images ----------------------------------------------------------------------------
    // Decodes (throws ember::ImageError for a corrupt or unreadable image), stores the bytes as
    // images/<hash[0..2]>/<hash>.<ext>, makes a thumbnail. An image already stored (same
    // hash) is returned as is.
    StoredImage storeImageBytes(const std::vector<uint8_t>& bytes, const std::string& ext) override;
    // expectedSha256 (hex, when not empty): the file must have this content, or ImageError.
    StoredImage storeImageFile(const std::string& path, const std::string& expectedSha256 = "") override;
    std::optional<ImageInfo> image(int64_t imageId) const;
    std::optional<ImageInfo> imageByHash(const std::string& hash) const;
    std::vector<uint8_t> thumbnail(int64_t imageId) const override;   // JPEG bytes; empty when none
    int64_t imageCount() const;

    // --- training runs ---------------------------------------------------------------------
    int64_t createRun(RunInfo& run);
    void updateRun(const RunInfo& run);
    std::optional<RunInfo> run(int64_t id) const;
    std::vector<RunInfo> runs() const;
    // (run, name, step) is unique: a resumed run overwrites the points it repeats.
    void addMetric(int64_t runId, const std::string& name, int64_t step, double value);
    void addMetrics(int64_t runId, int64_t step, const std::vector<std::pair<std::string, double>>& values);
    std::vector<MetricPoint> metrics(int64_t runId, const std::string& name, int64_t fromStep = 0) const;
    std::vector<std::string> metricNames(int64_t runId) const;
    // A file holds one step's weights: a checkpoint at a path the run already recorded (its
    // best.safetensors, overwritten) replaces the earlier row.
    int64_t addCheckpoint(CheckpointInfo& c);
    void removeCheckpoint(int64_t runId, const std::string& path);   // its files were deleted
    std::vector<CheckpointInfo> checkpoints(int64_t runId) const;

    // The raw connection, for the importers' transactions and for tests.
    Database& database() const { return *db_; }
    // The insert used inside an open transaction (importers batch many of them).
    int64_t insertInTransaction(Sample& s);

private:
    Workspace() = default;
    void loadChildren(Sample& s) const;
    void writeChildren(const Sample& s);
    int64_t instructionId(const std::string& text);
    Sample readSampleRow(Statement& st) const;

    std::string dir_;
    std::unique_ptr<Database> db_;
    struct Cache;
    std::unique_ptr<Cache> cache_;   // prepared statements reused across inserts
};

// A new uid: 16 random hex digits.
std::string newUid();

} // namespace ember::data
