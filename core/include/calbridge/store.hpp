// Where credentials live between calls and processes (DESIGN.md "Tokens are never lost").
// Every account's credentials carry a version; a refresh writes with compare-and-swap on the
// version it read, so two writers can never silently overwrite each other's rotation.
#pragma once

#include <calbridge/credentials.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace calbridge {

struct VersionedCredentials {
    Credentials credentials;
    std::uint64_t version = 0;  // starts at 1; every successful write increments it
};

// The interface a session talks to. Implementations must be safe to call from many threads.
// Failures (I/O, corruption) throw StoreError; a version conflict is not a failure, it is a
// result.
class TokenStore {
public:
    virtual ~TokenStore() = default;

    virtual std::optional<VersionedCredentials> load(std::string_view account) = 0;

    // Stores `credentials` only if `account` has none. Returns the new version (1), or
    // std::nullopt when the account already exists.
    virtual std::optional<std::uint64_t> insert(std::string_view account, const Credentials& credentials) = 0;

    // Compare-and-swap: writes only if the stored version is still `expected_version`. Returns
    // the new version, or std::nullopt on a conflict (someone else wrote first, or the account
    // was removed).
    virtual std::optional<std::uint64_t> save(std::string_view account, const Credentials& credentials,
                                              std::uint64_t expected_version) = 0;

    // Unconditional write (e.g. after a fresh authorization). Returns the new version.
    virtual std::uint64_t replace(std::string_view account, const Credentials& credentials) = 0;

    // Returns false when there was nothing to remove.
    virtual bool remove(std::string_view account) = 0;
};

// Process-local store. Versions live as long as the object.
class MemoryTokenStore final : public TokenStore {
public:
    std::optional<VersionedCredentials> load(std::string_view account) override;
    std::optional<std::uint64_t> insert(std::string_view account, const Credentials& credentials) override;
    std::optional<std::uint64_t> save(std::string_view account, const Credentials& credentials,
                                      std::uint64_t expected_version) override;
    std::uint64_t replace(std::string_view account, const Credentials& credentials) override;
    bool remove(std::string_view account) override;

private:
    std::mutex mutex_;
    std::unordered_map<std::string, VersionedCredentials> entries_;
};

// One file per account in a directory (created 0700 if missing). Files are created 0600 and
// written by writing a temporary file, fsync, and an atomic rename, so a crash leaves either
// the old or the new credentials, never a torn file. The version is stored in the file and
// survives restarts. Writers in several processes are serialised per account with an
// advisory lock (flock) held only around read-compare-write.
//
// Compare-and-swap alone cannot stop two processes from refreshing with the same refresh token
// at the same time (both read version N, both refresh, one save loses); the loser's session
// then adopts the winner's credentials. With rotation and reuse detection on the server, that
// race can still cost the grant; a per-account lease is planned.
class FileTokenStore final : public TokenStore {
public:
    explicit FileTokenStore(std::filesystem::path directory);

    std::optional<VersionedCredentials> load(std::string_view account) override;
    std::optional<std::uint64_t> insert(std::string_view account, const Credentials& credentials) override;
    std::optional<std::uint64_t> save(std::string_view account, const Credentials& credentials,
                                      std::uint64_t expected_version) override;
    std::uint64_t replace(std::string_view account, const Credentials& credentials) override;
    bool remove(std::string_view account) override;

    const std::filesystem::path& directory() const noexcept { return directory_; }
    // The file an account's credentials are kept in (account ids are encoded so that any
    // string, "../x" included, stays inside the directory).
    std::filesystem::path path_for(std::string_view account) const;

private:
    std::filesystem::path directory_;
};

}  // namespace calbridge
