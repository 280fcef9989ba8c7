#include "atomic_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace ember {

namespace fs = std::filesystem;

std::string ioErrorText(int err)
{
    switch (err) {
    case ENOSPC: return "no space left on the disk";
    case EDQUOT: return "disk quota exceeded";
    case EROFS: return "the file system is read-only";
    case EACCES:
    case EPERM: return "permission denied";
    case ENOENT: return "the folder does not exist";
    default: return std::strerror(err);
    }
}

namespace {

// The folder entry of a rename reaches the disk only when the folder itself is synced.
void syncFolder(const std::string& path)
{
    const auto parent = fs::path(path).parent_path();
    const int fd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path))
{
    tmp_ = path_ + ".tmp" + std::to_string(::getpid());
    // Created exclusively, never through a link: a symlink planted under the temporary name would
    // otherwise take the write to its target, outside the workspace. A file or link already there
    // (a killed process's leftover with this pid, or a plant) is removed, never followed.
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    fd_ = ::open(tmp_.c_str(), flags, 0644);
    if (fd_ < 0 && errno == EEXIST && ::unlink(tmp_.c_str()) == 0)
        fd_ = ::open(tmp_.c_str(), flags, 0644);
    if (fd_ < 0)
        throw std::runtime_error(path_ + ": cannot write (" + ioErrorText(errno) + ")");
}

AtomicFile::~AtomicFile()
{
    if (fd_ >= 0)
        ::close(fd_);
    if (!committed_)
        ::unlink(tmp_.c_str());
}

void AtomicFile::fail(const char* what, int err)
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
    throw std::runtime_error(path_ + ": " + what + " (" + ioErrorText(err) + ")");
}

void AtomicFile::write(const void* data, size_t bytes)
{
    if (fd_ < 0)
        throw std::logic_error("AtomicFile written after it failed or was committed");
    // Small writes gather in a buffer; large ones go straight to the file.
    if (buffer_.size() + bytes > (1u << 20))
        flushBuffer();
    if (bytes > (1u << 20))
        writeAll(static_cast<const char*>(data), bytes);
    else
        buffer_.append(static_cast<const char*>(data), bytes);
}

void AtomicFile::writeAll(const char* p, size_t left)
{
    while (left) {
        const ssize_t n = ::write(fd_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("write failed", n < 0 ? errno : ENOSPC);
        p += n;
        left -= static_cast<size_t>(n);
    }
}

void AtomicFile::flushBuffer()
{
    writeAll(buffer_.data(), buffer_.size());
    buffer_.clear();
}

void AtomicFile::commit()
{
    if (fd_ < 0)
        throw std::logic_error("AtomicFile committed after it failed or was committed");
    flushBuffer();
    if (::fsync(fd_) != 0) fail("flush to disk failed", errno);
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) fail("close failed", errno);
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("rename failed", errno);
    committed_ = true;
    syncFolder(path_);
}

void writeFileAtomic(const std::string& path, const void* data, size_t bytes)
{
    AtomicFile f(path);
    f.write(data, bytes);
    f.commit();
}

} // namespace ember
