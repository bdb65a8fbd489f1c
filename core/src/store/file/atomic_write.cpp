#include "store/file/atomic_write.hpp"

#include "store/file/file_io.hpp"
#include "store/file_store_hooks.hpp"

#include <cerrno>
#include <functional>

#include <fcntl.h>
#include <unistd.h>

namespace calbridge::detail {
std::function<void(const std::filesystem::path& temp)> file_store_before_rename;
}  // namespace calbridge::detail

namespace calbridge::detail::file_store {

namespace {

namespace fs = std::filesystem;

// Called with the account lock held, so nobody else is writing `temp`: one that exists was
// left by a writer that died before its rename, and is removed.
FileDescriptor create_temp(const fs::path& temp) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        FileDescriptor fd = open_file(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (fd.get() >= 0) return fd;
        if (errno != EEXIST || attempt > 0) break;
        if (::unlink(temp.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove stale", temp, errno);
    }
    throw_errno("cannot create", temp, errno);
}

// Removes the temporary file unless the rename consumed it.
class TempFileGuard {
public:
    explicit TempFileGuard(const fs::path& temp) noexcept : temp_(temp) {}
    TempFileGuard(const TempFileGuard&) = delete;
    TempFileGuard& operator=(const TempFileGuard&) = delete;
    ~TempFileGuard() {
        if (armed_) ::unlink(temp_.c_str());
    }
    void release() noexcept { armed_ = false; }

private:
    const fs::path& temp_;
    bool armed_ = true;
};

}  // namespace

void write_atomically(const fs::path& directory, const AccountFiles& files, std::string_view bytes) {
    FileDescriptor fd = create_temp(files.temp);
    TempFileGuard guard(files.temp);
    write_all(fd, bytes, files.temp);
    if (::fsync(fd.get()) != 0) throw_errno("cannot sync", files.temp, errno);
    if (fd.close() != 0) throw_errno("cannot close", files.temp, errno);
    if (detail::file_store_before_rename) detail::file_store_before_rename(files.temp);
    if (::rename(files.temp.c_str(), files.data.c_str()) != 0) {
        throw_errno("cannot rename onto", files.data, errno);
    }
    guard.release();
    sync_directory(directory);
}

}  // namespace calbridge::detail::file_store
