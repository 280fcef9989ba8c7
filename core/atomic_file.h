#pragma once
// Files that appear whole or not at all: written to a temporary file beside the target, flushed
// to the disk, then renamed over it. A failure (a full disk, a killed process) leaves the previous
// file untouched and no temporary behind; the message names the cause ("no space left on the
// disk"). No torch, no Qt.
#include <cstddef>
#include <string>

namespace ember {

// "no space left on the disk", "permission denied", ...: errno in words a user can act on.
std::string ioErrorText(int err);

void writeFileAtomic(const std::string& path, const void* data, size_t bytes);
inline void writeFileAtomic(const std::string& path, const std::string& text) { writeFileAtomic(path, text.data(), text.size()); }

// Streams a file the same way: nothing at `path` changes until commit().
class AtomicFile {
public:
    explicit AtomicFile(std::string path);   // throws std::runtime_error when the folder is not writable
    ~AtomicFile();                            // removes the temporary file unless committed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(const void* data, size_t bytes);
    void write(const std::string& s) { write(s.data(), s.size()); }
    void commit();   // flush, sync, rename over the target

private:
    void flushBuffer();
    void writeAll(const char* p, size_t bytes);
    [[noreturn]] void fail(const char* what, int err);
    std::string path_, tmp_, buffer_;
    int fd_ = -1;
    bool committed_ = false;
};

} // namespace ember
