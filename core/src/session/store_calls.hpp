// Calls into the TokenStore. A store is user code: calbridge errors it throws pass through as
// they are, anything else becomes a StoreError, so a caller always gets the typed tree. Its
// message is scrubbed of the client secret and of the credentials being written (a database
// error may echo the row it refused); a calbridge error whose message held one of them comes
// out as a scrubbed copy of the same class.
// Internal to the core; never called with a core lock held.
#pragma once

#include <calbridge/store.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace calbridge::detail {

// Makes a call's deadline the store_call_deadline() of this thread until it goes (nests: the
// innermost wins, the outer comes back).
class StoreCallDeadline {
public:
    explicit StoreCallDeadline(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept;
    ~StoreCallDeadline();
    StoreCallDeadline(const StoreCallDeadline&) = delete;
    StoreCallDeadline& operator=(const StoreCallDeadline&) = delete;

private:
    std::optional<std::chrono::steady_clock::time_point> saved_;
};

std::optional<VersionedCredentials> store_load(TokenStore& store, std::string_view account,
                                               const Secret& client_secret);
std::optional<std::uint64_t> store_insert(TokenStore& store, std::string_view account, const Credentials& credentials,
                                          const Secret& client_secret);
std::optional<std::uint64_t> store_save(TokenStore& store, std::string_view account, const Credentials& credentials,
                                        std::uint64_t expected_version, const Secret& client_secret);
std::uint64_t store_replace(TokenStore& store, std::string_view account, const Credentials& credentials,
                            const Secret& client_secret);

// The refresh lease of a shared store, with the same error translation.
LeaseClaim lease_claim(RefreshLeases& leases, std::string_view account, std::uint64_t expected_version,
                       std::string_view owner, std::chrono::milliseconds ttl);
bool lease_renew(RefreshLeases& leases, std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl);
void lease_release(RefreshLeases& leases, std::string_view account, std::uint64_t epoch);
bool lease_mark_reauthorization_required(RefreshLeases& leases, std::string_view account, std::uint64_t expected_version);
bool lease_wait_for_change(RefreshLeases& leases, std::string_view account, std::uint64_t version,
                           std::chrono::milliseconds timeout);

}  // namespace calbridge::detail
