// The files of an account, all in the store's directory (<stem> encodes the account, see
// account_stem):
//   <stem>.json  the credentials; replaced only by rename, so a reader never sees a torn file
//   <stem>.lock  flock'ed around read-compare-write; never deleted, because deleting a lock
//                file lets a waiter lock the old inode while a newcomer locks a new one
//   <stem>.tmp   the next <stem>.json while it is written; exists between writes only if a
//                writer died, and the next writer (holding the lock) removes it
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace calbridge::detail::file_store {

// Account key → file name stem. Every byte outside [a-z0-9_-] becomes %XX, so the stem never
// contains "/" or ".", cannot be "." or "..", and two keys never share a stem. Upper-case
// letters are escaped too because macOS and Windows file systems ignore case ("ACC" and "acc"
// would otherwise be one file).
std::string escape_account(std::string_view account);

// The file name stem of an account: escape_account(), or, past 200 bytes, a readable prefix of
// it made unique by a hash of the whole key.
std::string account_stem(std::string_view account);

struct AccountFiles {
    std::filesystem::path data;
    std::filesystem::path lock;
    std::filesystem::path temp;
};

AccountFiles account_files(const std::filesystem::path& directory, std::string_view account);

}  // namespace calbridge::detail::file_store
