#include "store/file/file_io.hpp"

#include <calbridge/errors.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>

namespace calbridge::detail::file_store {

namespace {

namespace fs = std::filesystem;

// Credentials are a few kilobytes at most; anything much larger is not ours.
constexpr off_t max_file_size = 1 << 20;

}  // namespace

[[noreturn]] void throw_errno(std::string_view what, const fs::path& path, int error) {
    throw StoreError(std::string(what) + " " + path.string() + ": " + std::generic_category().message(error));
}

[[noreturn]] void throw_corrupt(const fs::path& file, std::string_view why) {
    throw StoreError("credentials file " + file.string() + " is corrupt: " + std::string(why));
}

FileDescriptor open_file(const fs::path& path, int flags, mode_t mode) {
    int fd = -1;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return FileDescriptor(fd);
}

FileDescriptor open_account_file(const fs::path& path, int flags, mode_t mode) {
    FileDescriptor fd = open_file(path, flags | O_NOFOLLOW | O_NONBLOCK, mode);
    if (fd.get() < 0) {
        if (errno == ELOOP) throw StoreError(path.string() + " is a symbolic link: the token store refuses it");
        return fd;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode)) throw StoreError(path.string() + " is not a regular file: the token store refuses it");
    return fd;
}

std::string read_all(const FileDescriptor& fd, const fs::path& file) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", file, errno);
    if (!S_ISREG(st.st_mode)) throw_corrupt(file, "not a regular file");
    if (st.st_size > max_file_size) throw_corrupt(file, "too large");
    std::string text;
    std::array<char, 8192> buffer{};
    while (true) {
        const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot read", file, errno);
        if (n == 0) return text;
        text.append(buffer.data(), static_cast<std::size_t>(n));
        // The file may have grown since fstat; still, never read without bound.
        if (text.size() > static_cast<std::size_t>(max_file_size)) throw_corrupt(file, "too large");
    }
}

bool file_exists(const fs::path& file) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    throw_errno("cannot stat", file, errno);
}

void write_all(const FileDescriptor& fd, std::string_view bytes, const fs::path& file) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot write", file, errno);
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void sync_directory(const fs::path& directory) {
    const FileDescriptor fd = open_file(directory, O_RDONLY | O_DIRECTORY);
    if (fd.get() < 0) throw_errno("cannot open directory", directory, errno);
    if (::fsync(fd.get()) != 0) throw_errno("cannot sync directory", directory, errno);
}

}  // namespace calbridge::detail::file_store
