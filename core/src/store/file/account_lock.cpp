#include "store/file/account_lock.hpp"

#include <array>
#include <cerrno>
#include <functional>
#include <string>

#include <fcntl.h>
#include <sys/file.h>

namespace calbridge::detail::file_store {

AccountLock::AccountLock(const std::filesystem::path& lock_file)
    : in_process_(stripe_for(lock_file)), fd_(open_account_file(lock_file, O_RDWR | O_CREAT, 0600)) {
    if (fd_.get() < 0) throw_errno("cannot open lock file", lock_file, errno);
    int result = -1;
    do {
        result = ::flock(fd_.get(), LOCK_EX);
    } while (result != 0 && errno == EINTR);
    if (result != 0) throw_errno("cannot lock", lock_file, errno);
}

std::mutex& AccountLock::stripe_for(const std::filesystem::path& lock_file) {
    static std::array<std::mutex, 64> stripes;
    return stripes[std::hash<std::string>{}(lock_file.native()) % stripes.size()];
}

}  // namespace calbridge::detail::file_store
