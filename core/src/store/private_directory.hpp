// The directory a store keeps its files in: shared by the file and SQLite stores.
#pragma once

#include <filesystem>

namespace calbridge::detail {

// Creates `directory` 0700 if it is missing (missing parents with the default mode); an
// existing directory is used as it is, whatever its mode: that is the owner's choice.
// StoreError when it cannot be created or is not a directory.
void ensure_private_directory(const std::filesystem::path& directory);

// StoreError, with the reason, unless `directory` belongs to the running user (its effective
// uid) and neither its group nor others may write to it: in a directory others can write, they
// could plant a link or a FIFO where an account's file goes, or swap files between reads. The
// file store's rule; the message names the directory, its owner and its mode, nothing else.
void require_private_directory(const std::filesystem::path& directory);

}  // namespace calbridge::detail
