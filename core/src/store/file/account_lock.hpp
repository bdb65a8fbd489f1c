// The lock around one account's read-compare-write in the file store.
#pragma once

#include "store/file/file_io.hpp"

#include <filesystem>
#include <mutex>

namespace calbridge::detail::file_store {

// Serialises read-compare-write on one account. flock covers other processes and other open
// files in this process; the process-wide mutex covers threads where flock is emulated with
// per-process fcntl locks (NFS on Linux), which would let two threads of one process in at
// once. Mutexes are striped by lock path, so two stores on one directory share them.
class AccountLock {
public:
    explicit AccountLock(const std::filesystem::path& lock_file);
    // Closing the descriptor releases the flock, before the mutex (members die in reverse).

private:
    static std::mutex& stripe_for(const std::filesystem::path& lock_file);

    std::lock_guard<std::mutex> in_process_;
    FileDescriptor fd_;
};

}  // namespace calbridge::detail::file_store
