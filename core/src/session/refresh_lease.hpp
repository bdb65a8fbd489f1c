// The cross-process half of a refresh: the refresh lease of a shared store (docs/ARCHITECTURE.md "Shared
// stores"). One thread per process gets here (the account's SingleFlight picked it); it claims
// the lease, or waits for the process that holds it, and the holder keeps the lease alive while
// its token request is in flight. Internal to the core.
#pragma once

#include <calbridge/store.hpp>

#include "call/call_policy.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

namespace calbridge::detail {

struct ClientState;

// The lease holder's side: renews the lease every ttl / 3 on a thread of its own until it is
// destroyed, then releases it unless a save already ended it. The store's renew() therefore
// runs on that thread, concurrently with the holder's call.
class HeldLease {
public:
    HeldLease(const ClientState& client, RefreshLeases& leases, std::string account, std::uint64_t epoch,
              VersionedCredentials stored);
    ~HeldLease();
    HeldLease(const HeldLease&) = delete;
    HeldLease& operator=(const HeldLease&) = delete;

    // The credentials the claim read from the store, under the lease: the refresh token to use.
    const VersionedCredentials& stored() const noexcept { return stored_; }
    std::uint64_t epoch() const noexcept { return epoch_; }

    // Renews the lease now, on this thread: false when it is no longer ours (this process
    // stalled past the lease and another took it over). Checked right before the token request
    // is sent, so a process that wakes from a stop does not spend a refresh token someone else
    // is already using.
    bool confirm();

    // A save (or the reauthorization mark) ended the lease: nothing to release.
    void ended() noexcept { ended_ = true; }

private:
    void keep_alive();

    const ClientState& client_;
    RefreshLeases& leases_;
    const std::string account_;
    const std::uint64_t epoch_;
    const VersionedCredentials stored_;
    const std::chrono::milliseconds ttl_;
    bool ended_ = false;

    std::mutex mutex_;
    std::condition_variable stop_signal_;
    bool stopping_ = false;
    std::thread keeper_;
};

// What waiting for the lease came to: hold it, or use what another process stored.
using LeaseOutcome = std::variant<std::unique_ptr<HeldLease>, VersionedCredentials>;

// How a waiter reads what it finds in the store (the renewal round's own rules).
struct LeaseJudge {
    // The credentials need no refresh: use them.
    std::function<bool(const VersionedCredentials&)> usable;
    // The account is marked, gone, or has no refresh token: throws InvalidGrantError.
    std::function<void(const std::optional<VersionedCredentials>&)> check_refreshable;
};

// Claims the lease on `judged` (stored credentials that need a refresh), waiting while another
// owner holds it, until the call's deadline, and taking over a lease that expires. Returns the
// held lease, or credentials another process stored meanwhile that `judge.usable` accepts.
// Throws TimeoutError / CancelledError, StoreError, and whatever `judge.check_refreshable` throws.
LeaseOutcome acquire_lease(const ClientState& client, Call& call, RefreshLeases& leases, const std::string& account,
                           VersionedCredentials judged, const LeaseJudge& judge);

// The lease owner this process writes: the configured one, or "<host>:<pid>:<random>" (the
// pid is read at each call, so a child after fork() has an identity of its own).
std::string lease_owner(const ClientState& client);

// One wait of a lease waiter: a store notification or a poll interval with jitter, whichever
// the store offers, cut short by the call's deadline. False when the deadline came first.
bool wait_for_store_change(const ClientState& client, Call& call, RefreshLeases& leases, const std::string& account,
                           std::uint64_t version, std::chrono::milliseconds longest);

}  // namespace calbridge::detail
