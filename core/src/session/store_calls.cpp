#include "session/store_calls.hpp"

#include "log/redactor.hpp"

#include <calbridge/errors.hpp>

#include <exception>
#include <string>

namespace calbridge {

namespace {
thread_local std::optional<std::chrono::steady_clock::time_point> current_store_call_deadline;
}  // namespace

std::optional<std::chrono::steady_clock::time_point> store_call_deadline() noexcept {
    return current_store_call_deadline;
}

}  // namespace calbridge

namespace calbridge::detail {

StoreCallDeadline::StoreCallDeadline(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept
    : saved_(current_store_call_deadline) {
    current_store_call_deadline = deadline;
}

StoreCallDeadline::~StoreCallDeadline() { current_store_call_deadline = saved_; }

namespace {

// The secrets a store's message may hold: a database error such as "Failing row contains (...)"
// echoes the credentials being written.
Redactor secrets_of(const Secret& client_secret, const Credentials* written) {
    Redactor redactor;
    redactor.add(client_secret);
    if (written) {
        redactor.add(written->access_token);
        redactor.add(written->refresh_token);
    }
    return redactor;
}

template <class Fn>
auto guarded(std::string_view operation, std::string_view account, const Redactor& secrets, Fn&& fn)
    -> decltype(fn()) {
    try {
        return fn();
    } catch (const Error& e) {
        // A calbridge error passes through as it is, unless its message holds a secret: then a
        // scrubbed copy of the same class, without anything attached that could still hold it.
        const std::string scrubbed = secrets.scrub(e.what());
        if (scrubbed == e.what()) throw;
        throw_error(e.code(), scrubbed, e.details());
    } catch (const std::exception& e) {
        throw StoreError("token store " + std::string(operation) + " for account " + std::string(account) +
                         " failed: " + secrets.scrub(e.what()));
    } catch (...) {
        throw StoreError("token store " + std::string(operation) + " for account " + std::string(account) +
                         " threw a non-standard exception");
    }
}

template <class Fn>
auto guarded(std::string_view operation, std::string_view account, Fn&& fn) -> decltype(fn()) {
    return guarded(operation, account, Redactor{}, std::forward<Fn>(fn));
}

}  // namespace

std::optional<VersionedCredentials> store_load(TokenStore& store, std::string_view account,
                                               const Secret& client_secret) {
    return guarded("load", account, secrets_of(client_secret, nullptr), [&] { return store.load(account); });
}

std::optional<std::uint64_t> store_insert(TokenStore& store, std::string_view account, const Credentials& credentials,
                                          const Secret& client_secret) {
    return guarded("insert", account, secrets_of(client_secret, &credentials),
                   [&] { return store.insert(account, credentials); });
}

std::optional<std::uint64_t> store_save(TokenStore& store, std::string_view account, const Credentials& credentials,
                                        std::uint64_t expected_version, const Secret& client_secret) {
    return guarded("save", account, secrets_of(client_secret, &credentials),
                   [&] { return store.save(account, credentials, expected_version); });
}

std::uint64_t store_replace(TokenStore& store, std::string_view account, const Credentials& credentials,
                            const Secret& client_secret) {
    return guarded("replace", account, secrets_of(client_secret, &credentials),
                   [&] { return store.replace(account, credentials); });
}

LeaseClaim lease_claim(RefreshLeases& leases, std::string_view account, std::uint64_t expected_version,
                       std::string_view owner, std::chrono::milliseconds ttl) {
    return guarded("lease claim", account, [&] { return leases.claim(account, expected_version, owner, ttl); });
}

bool lease_renew(RefreshLeases& leases, std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) {
    return guarded("lease renewal", account, [&] { return leases.renew(account, epoch, ttl); });
}

void lease_release(RefreshLeases& leases, std::string_view account, std::uint64_t epoch) {
    guarded("lease release", account, [&] { leases.release(account, epoch); });
}

bool lease_mark_reauthorization_required(RefreshLeases& leases, std::string_view account,
                                         std::uint64_t expected_version) {
    return guarded("reauthorization mark", account,
                   [&] { return leases.mark_reauthorization_required(account, expected_version); });
}

bool lease_wait_for_change(RefreshLeases& leases, std::string_view account, std::uint64_t version,
                           std::chrono::milliseconds timeout) {
    return guarded("wait for change", account, [&] { return leases.wait_for_change(account, version, timeout); });
}

}  // namespace calbridge::detail
