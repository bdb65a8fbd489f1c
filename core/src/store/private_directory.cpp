#include "store/private_directory.hpp"

#include <calbridge/errors.hpp>

#include <cerrno>
#include <string>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace calbridge::detail {

namespace fs = std::filesystem;

void ensure_private_directory(const fs::path& directory) {
    std::error_code ec;
    if (fs::is_directory(directory, ec)) return;
    if (directory.has_parent_path() && !fs::exists(directory.parent_path(), ec)) {
        fs::create_directories(directory.parent_path(), ec);
        if (ec) {
            throw StoreError("cannot create directory " + directory.parent_path().string() + ": " + ec.message());
        }
    }
    if (::mkdir(directory.c_str(), 0700) == 0) {
        // mkdir applies the umask; a umask such as 0277 would leave the owner unable to write.
        if (::chmod(directory.c_str(), 0700) != 0) {
            throw StoreError("cannot set the mode of directory " + directory.string() + ": " +
                             std::generic_category().message(errno));
        }
    } else if (errno != EEXIST) {
        throw StoreError("cannot create directory " + directory.string() + ": " +
                         std::generic_category().message(errno));
    }
    if (!fs::is_directory(directory, ec)) throw StoreError(directory.string() + " is not a directory");
}

void require_private_directory(const fs::path& directory) {
    struct stat st {};
    if (::stat(directory.c_str(), &st) != 0) {
        throw StoreError("cannot stat directory " + directory.string() + ": " + std::generic_category().message(errno));
    }
    if (st.st_uid != ::geteuid()) {
        throw StoreError("token store directory " + directory.string() + " belongs to another user (uid " +
                         std::to_string(st.st_uid) + "): it must be the running user's own");
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw StoreError("token store directory " + directory.string() + " is writable by its group or others (mode " +
                         mode + "): make it private (chmod 700)");
    }
}

}  // namespace calbridge::detail
