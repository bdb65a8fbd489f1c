// The file token store's JSON file of one account,
//   {"version": N, "credentials": {...}, "reauthorization_required": true,
//    "lease_epoch": E, "lease": {"owner": "...", "until": MS}}
// where the last three are written only when set (true, E > 0, a lease held), so a file
// without a lease or mark is byte for byte what earlier versions wrote, and their files load.
// "until" is milliseconds since the Unix epoch on this host's wall clock (lease_rules.hpp).
// An earlier calbridge reading a newer file ignores the lease and the mark; one that writes it
// drops them (the epoch restarts): do not mix versions on one shared directory.
#pragma once

#include <calbridge/store.hpp>

#include "store/file/account_files.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace calbridge::detail::file_store {

// A live or expired lease; released and cleared leases are not stored.
struct StoredLease {
    std::string owner;
    std::int64_t until_ms = 0;
};

// Everything an account's file holds.
struct Entry {
    VersionedCredentials current;  // version, credentials and the reauthorization mark
    std::uint64_t lease_epoch = 0;  // kept across save and replace, never reset
    std::optional<StoredLease> lease;
};

// std::nullopt when the account has no file.
std::optional<Entry> read_entry(const std::filesystem::path& file);

// Writes `entry` as the account's file, atomically (atomic_write.hpp), with its lock held.
void write_entry(const std::filesystem::path& directory, const AccountFiles& files, const Entry& entry);

}  // namespace calbridge::detail::file_store
