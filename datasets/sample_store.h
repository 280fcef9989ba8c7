#pragma once
// What the studio asks of a dataset store, whoever holds it: the workspace's SQLite database
// (Workspace) today, a team's server database next. The studio's StoreWorker runs every call on
// its own thread and only ever sees this interface, so a second backend is one more class
// behind openSampleStore(). One object per thread, as for Workspace.
#include "sample.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ember::data {

// A page of the sample list: every filter is optional; nothing outside [offset, offset+limit)
// is read from disk.
struct SampleQuery {
    enum class Sort { Id, Created, Modified, Task };
    std::optional<Split> split;
    std::optional<Status> status;
    int robot = -1;                  // samples whose labels include this robot; -1: any
    std::string text;                // case-insensitive substring of task, caption or source
    std::optional<bool> hasImage;
    std::optional<bool> derived;     // false: originals only; true: augmented copies only
    std::string source;              // prefix of the source field ("demo", "upstream-single", ...)
    Sort sort = Sort::Id;
    bool descending = false;
    int64_t offset = 0;
    int64_t limit = -1;              // -1: no limit
};

// What a list view shows: no child rows, no instruction text, no thumbnail.
struct SampleRow {
    int64_t id = 0;
    std::string uid;
    std::string task;
    std::string caption;
    std::vector<int> robots;
    Split split = Split::None;
    Status status = Status::Draft;
    std::string source;
    int64_t imageId = 0;
    std::string imagePath;   // relative to the workspace
    int64_t modified = 0;
    std::string derivedFrom;
};

struct StoredImage {
    ImageInfo info;
    bool newFile = false;   // this call wrote the file (so a rolled-back import removes it)
};

class SampleStore {
public:
    virtual ~SampleStore() = default;

    // Where the samples live: a workspace folder (its database and images/), or a server.
    virtual std::string location() const = 0;
    virtual bool readOnly() const = 0;

    virtual std::vector<SampleRow> query(const SampleQuery& q) const = 0;
    virtual int64_t count(const SampleQuery& q = {}) const = 0;
    virtual std::vector<int64_t> ids(const SampleQuery& q) const = 0;   // in query()'s order
    // Per robot label (MODEL.md order): how many matching samples name it.
    virtual std::vector<int64_t> labelHistogram(const SampleQuery& q = {}) const = 0;
    virtual std::optional<Sample> get(int64_t id) const = 0;

    virtual int64_t insert(Sample& s) = 0;
    // Replaces every field of each stored sample (modified set to now), all in one transaction.
    virtual void updateMany(std::vector<Sample>& samples) = 0;

    // The image file of a stored relative path, on this machine; throws UnsafePathError for a
    // path leading out of the store.
    virtual std::string absolutePath(const std::string& relative) const = 0;
    virtual std::vector<uint8_t> thumbnail(int64_t imageId) const = 0;   // JPEG bytes; empty when none
    virtual StoredImage storeImageBytes(const std::vector<uint8_t>& bytes, const std::string& ext) = 0;
    virtual StoredImage storeImageFile(const std::string& path, const std::string& expectedSha256 = "") = 0;
};

// The store at location (a workspace folder, created when missing): migrated, tidied at its
// first open in this process. busyTimeoutMs: how long a statement waits for another process's
// write lock before it fails as busy (DbError::busy).
std::unique_ptr<SampleStore> openSampleStore(const std::string& location, int busyTimeoutMs);

} // namespace ember::data
