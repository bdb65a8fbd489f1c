// Test seams of the file token store. Internal: only the store and its tests include this.
#pragma once

#include <filesystem>
#include <functional>

namespace calbridge::detail {

// Called with the temporary file's path once it is fully written and synced, just before it is
// renamed over the account's file (while the account's lock is held). Tests use it to simulate
// a crash there (fork, then _exit in the child) or a failure (throw: the temporary file is
// removed and the exception propagates). Empty outside tests. Set it only while no store is in
// use on another thread: it is read without synchronisation.
extern std::function<void(const std::filesystem::path& temp)> file_store_before_rename;

}  // namespace calbridge::detail
