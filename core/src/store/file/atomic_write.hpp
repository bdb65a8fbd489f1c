// Replacing an account's file whole, by rename, in the file store.
#pragma once

#include "store/file/account_files.hpp"

#include <filesystem>
#include <string_view>

namespace calbridge::detail::file_store {

// Write the new file beside the old one, make it durable, then rename it into place: a crash
// at any point leaves either the old or the new file whole. Called with the account's lock held
// (account_lock.hpp); a temporary file a dead writer left is removed first. The test hook of
// file_store_hooks.hpp runs just before the rename.
void write_atomically(const std::filesystem::path& directory, const AccountFiles& files, std::string_view bytes);

}  // namespace calbridge::detail::file_store
