// Where credentials live between calls and processes (docs/ARCHITECTURE.md "Tokens are never lost").
// Every account's credentials carry a version; a refresh writes with compare-and-swap on the
// version it read, so two writers can never silently overwrite each other's rotation.
#pragma once

#include <calbridge/credentials.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace calbridge {

struct VersionedCredentials {
    Credentials credentials;
    std::uint64_t version = 0;  // starts at 1; every successful write increments it
    // A shared store marked the grant dead (a refresh was refused and nobody had rotated it):
    // every process fails fast with InvalidGrantError until a new authorization replaces it.
    bool reauthorization_required = false;
};

// What a claim on an account's refresh lease found (see RefreshLeases).
struct LeaseClaim {
    enum class Status {
        granted,                   // the caller holds the lease: refresh `stored`, save, release
        version_moved,             // the version is no longer the expected one: `stored` is newer
        held,                      // another owner's lease is live: wait, then look again
        reauthorization_required,  // the account is marked: nobody may refresh it
        missing,                   // the store has no credentials for the account
    };
    Status status = Status::missing;
    // The credentials as the claim read them, in the same step: for `granted`, the refresh
    // token to use (never one from memory); absent only for `missing`.
    std::optional<VersionedCredentials> stored;
    std::uint64_t epoch = 0;               // granted: the lease's epoch, for renew and release
    std::chrono::milliseconds remaining{};  // held: how long the other lease still runs
};

// The refresh lease of a store that several processes (or hosts) share: at most one owner at a
// time refreshes an account; the others wait for the version to move. Each call is one short
// write or read: no transaction or lock is ever held between calls, so a holder that dies
// leaves a lease that simply expires. Times are measured on the store's clock where it has one
// (PostgreSQL's now()), otherwise on this host's wall clock. Safe to call from many threads:
// renew() comes from a thread of calbridge's own while the holder's token request is in flight.
class RefreshLeases {
public:
    virtual ~RefreshLeases() = default;

    // Grants the lease when the stored version is still `expected_version` (so the credentials
    // still need the refresh the caller judged they need), the account is not marked, and no
    // other lease is live: sets the owner, expiry now + `ttl`, and epoch + 1. An expired lease
    // is taken over.
    virtual LeaseClaim claim(std::string_view account, std::uint64_t expected_version, std::string_view owner,
                             std::chrono::milliseconds ttl) = 0;

    // Extends the lease to now + `ttl` while its epoch is still `epoch`. False when it is not
    // (it expired and someone took it over, or the credentials were saved or replaced since).
    virtual bool renew(std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) = 0;

    // Ends the lease if its epoch is still `epoch`; otherwise does nothing.
    virtual void release(std::string_view account, std::uint64_t epoch) = 0;

    // Marks the account "reauthorization required" while its version is still
    // `expected_version`, and ends any lease. False when the version moved (the refusal was a
    // lost race, not a dead grant).
    virtual bool mark_reauthorization_required(std::string_view account, std::uint64_t expected_version) = 0;

    // Blocks for at most `timeout` or until the account's version may have moved past
    // `version` (PostgreSQL: a notification). Returns false at once when the store has no way
    // to be told, and the caller polls instead (the default).
    virtual bool wait_for_change(std::string_view account, std::uint64_t version, std::chrono::milliseconds timeout) {
        (void)account, (void)version, (void)timeout;
        return false;
    }
};

// The deadline of the calbridge call a store method runs for, on the steady clock, when it runs
// on that call's thread (std::nullopt outside a call, e.g. for the lease renewals of
// calbridge's own thread). A store that can bound its own waits (a network database) should
// give up by then, so one slow store call cannot outlive the call it serves.
std::optional<std::chrono::steady_clock::time_point> store_call_deadline() noexcept;

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

    // The refresh lease, for stores that several processes share; nullptr (the default) for a
    // store that coordinates nothing across processes, which is then safe for one process only.
    // A shared store's save() and replace() also end any lease and clear the reauthorization
    // mark; its load() reports the mark.
    virtual RefreshLeases* refresh_leases() noexcept { return nullptr; }
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
// advisory lock (flock) held only around one read-compare-write, never across a network call.
//
// Shared by several processes on one host, it coordinates refreshes with the same lease as the
// database stores: the lease (owner, expiry on this host's wall clock, epoch) and the
// reauthorization mark live in the account's file. Put the directory on a local disk: flock is
// not reliable on network file systems.
class FileTokenStore final : public TokenStore, public RefreshLeases {
public:
    explicit FileTokenStore(std::filesystem::path directory);

    std::optional<VersionedCredentials> load(std::string_view account) override;
    std::optional<std::uint64_t> insert(std::string_view account, const Credentials& credentials) override;
    std::optional<std::uint64_t> save(std::string_view account, const Credentials& credentials,
                                      std::uint64_t expected_version) override;
    std::uint64_t replace(std::string_view account, const Credentials& credentials) override;
    bool remove(std::string_view account) override;
    RefreshLeases* refresh_leases() noexcept override { return this; }

    LeaseClaim claim(std::string_view account, std::uint64_t expected_version, std::string_view owner,
                     std::chrono::milliseconds ttl) override;
    bool renew(std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) override;
    void release(std::string_view account, std::uint64_t epoch) override;
    bool mark_reauthorization_required(std::string_view account, std::uint64_t expected_version) override;
    // Returns as soon as the account's file has been replaced (every write replaces it; looked
    // at every 2 ms), or after `timeout`.
    bool wait_for_change(std::string_view account, std::uint64_t version, std::chrono::milliseconds timeout) override;

    const std::filesystem::path& directory() const noexcept { return directory_; }
    // The file an account's credentials are kept in (account ids are encoded so that any
    // string, "../x" included, stays inside the directory).
    std::filesystem::path path_for(std::string_view account) const;

    // The accounts with credentials in the directory, in the order of their file names; files
    // that cannot be read or are not credentials are left out. Empty when the directory does
    // not exist. Reads without the account locks: every write replaces a file whole.
    std::vector<std::string> accounts() const;

private:
    std::filesystem::path directory_;
};

}  // namespace calbridge
