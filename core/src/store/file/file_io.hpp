// The file store's file operations: opening an account's files without following a link or
// blocking on a FIFO, reading and writing them whole, and syncing the directory. Every failure
// is a StoreError naming the file, never its content.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include <sys/types.h>
#include <unistd.h>

namespace calbridge::detail::file_store {

[[noreturn]] void throw_errno(std::string_view what, const std::filesystem::path& path, int error);

[[noreturn]] void throw_corrupt(const std::filesystem::path& file, std::string_view why);

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }

    int get() const noexcept { return fd_; }

    // close() may report a write error that write() did not, so a writer checks it.
    int close() noexcept {
        const int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

private:
    int fd_;
};

// open() with O_CLOEXEC, again on EINTR; a fd of -1 with errno set when it fails.
FileDescriptor open_file(const std::filesystem::path& path, int flags, mode_t mode = 0);

// An account's own file (data, lock): never through a symbolic link, never a FIFO or device
// that could block the open or feed us what another user wants. O_NONBLOCK keeps the open of a
// FIFO from waiting for a writer; a regular file ignores it. A fd of -1 with errno set when the
// open itself failed (ENOENT for a missing file); StoreError for a link or a non-regular file.
FileDescriptor open_account_file(const std::filesystem::path& path, int flags, mode_t mode = 0);

// The whole of an account's file, at most 1 MiB (credentials are a few kilobytes at most); a
// non-regular or larger file is corrupt.
std::string read_all(const FileDescriptor& fd, const std::filesystem::path& file);

// Whether anything (a link included, never followed) is at `file`.
bool file_exists(const std::filesystem::path& file);

void write_all(const FileDescriptor& fd, std::string_view bytes, const std::filesystem::path& file);

// A rename or unlink is durable only once the directory itself is synced.
void sync_directory(const std::filesystem::path& directory);

}  // namespace calbridge::detail::file_store
