// The PostgreSQL token store: for applications whose processes run on several hosts.
#pragma once

#include <calbridge/store.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace calbridge {

struct PostgresStoreOptions {
    // Connections kept open and shared by the threads of this process.
    int pool_size = 4;
    // Bounds every statement (SET statement_timeout) and every connection attempt. The deadline
    // of the call a statement serves (store_call_deadline()), when sooner, ends the wait for its
    // reply; the statement is then reported as "may or may not have taken effect", since the
    // server may still run it within its statement_timeout (the version's compare-and-swap keeps
    // that harmless: a late save is the one the next write finds, a late claim a lease that
    // expires).
    std::chrono::milliseconds statement_timeout{5000};
    // The table; created on first use with its index and notification trigger unless
    // create_schema is false (then `calbridge store init` or create_schema() makes it).
    std::string table = "calbridge_credentials";
    bool create_schema = true;
    // Waiters are woken by LISTEN/NOTIFY; a pooler in transaction mode drops LISTEN, so they
    // also poll at this interval (with jitter) whatever happens.
    std::chrono::milliseconds poll_interval{250};
};

// `conninfo` is a libpq connection string or URI ("postgresql://user@host/db?sslmode=verify-full");
// its sslmode and every other libpq parameter apply as written. Lease times come from the
// server's clock (now()), so hosts with skewed clocks agree. A dropped connection is replaced
// on the next statement; a statement that fails mid-way is a StoreError and changes nothing.
class PostgresTokenStore final : public TokenStore, public RefreshLeases {
public:
    explicit PostgresTokenStore(std::string conninfo, PostgresStoreOptions options = {});
    ~PostgresTokenStore() override;
    PostgresTokenStore(const PostgresTokenStore&) = delete;
    PostgresTokenStore& operator=(const PostgresTokenStore&) = delete;

    // Creates the table, index and trigger if missing; idempotent.
    void create_schema();

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
    bool wait_for_change(std::string_view account, std::uint64_t version, std::chrono::milliseconds timeout) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace calbridge
