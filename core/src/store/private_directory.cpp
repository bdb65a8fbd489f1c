#include "store/private_directory.hpp"

#include <calbridge/errors.hpp>

#include <cerrno>
#include <string>
#include <system_error>

#include <sys/stat.h>

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

}  // namespace calbridge::detail
