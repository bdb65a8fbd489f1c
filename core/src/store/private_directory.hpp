// The directory a store keeps its files in: shared by the file and SQLite stores.
#pragma once

#include <filesystem>

namespace calbridge::detail {

// Creates `directory` 0700 if it is missing (missing parents with the default mode); an
// existing directory is used as it is, whatever its mode: that is the owner's choice.
// StoreError when it cannot be created or is not a directory.
void ensure_private_directory(const std::filesystem::path& directory);

}  // namespace calbridge::detail
