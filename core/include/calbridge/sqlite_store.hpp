// The SQLite token store: the embedded default for anything that several processes share on
// one host (web workers, task queues, the CLI). One database file, one row per account.
#pragma once

#include <calbridge/store.hpp>

#include <chrono>
#include <filesystem>
#include <memory>

namespace calbridge {

struct SqliteStoreOptions {
    // How long a statement waits for another process's write lock before StoreError.
    std::chrono::milliseconds busy_timeout{5000};
};

// The database runs in WAL mode with synchronous=FULL (a rotation lost at power failure is a
// dead grant), every read-modify-write is one BEGIN IMMEDIATE transaction, and no transaction
// is ever held across a network call. The file (and its -wal and -shm companions) is created
// 0600, its directory 0700 if missing. The schema carries a version and is migrated on open;
// a file from a newer calbridge is refused with StoreError. Connections are per thread and
// reopened in a child after fork(). Put the file on a local disk: SQLite's locking is not
// reliable on network file systems (NFS, SMB) or some container bind mounts.
class SqliteTokenStore final : public TokenStore, public RefreshLeases {
public:
    explicit SqliteTokenStore(std::filesystem::path file, SqliteStoreOptions options = {});
    ~SqliteTokenStore() override;
    SqliteTokenStore(const SqliteTokenStore&) = delete;
    SqliteTokenStore& operator=(const SqliteTokenStore&) = delete;

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
    // Returns as soon as any other connection has committed to the database (PRAGMA
    // data_version, looked at every 2 ms), or after `timeout`.
    bool wait_for_change(std::string_view account, std::uint64_t version, std::chrono::milliseconds timeout) override;

    const std::filesystem::path& file() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace calbridge
