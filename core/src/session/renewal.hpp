// What the one thread that renews an account's token does, with no lock held: write pending
// credentials, re-read the store, refresh (under the store's refresh lease when it is shared),
// compare-and-swap the result into the store (docs/ARCHITECTURE.md "Tokens are never lost"). It reports
// what the round ended in instead of changing state, so the caller applies it under its lock,
// errors included. Internal to the core.
#pragma once

#include <calbridge/credentials.hpp>
#include <calbridge/store.hpp>

#include "call/call_policy.hpp"

#include <exception>
#include <optional>
#include <string>
#include <variant>

namespace calbridge::detail {

struct ClientState;

struct RenewalInput {
    std::string account;
    std::optional<Credentials> pending;  // refreshed earlier, not yet stored
    std::uint64_t pending_base_version = 0;
    std::optional<Secret> rejected;      // the access token a 401 rejected: not acceptable
    std::optional<Credentials> seed;     // to insert if the store has nothing
};

// The round ended with credentials to use from now on (stored, or adopted from the store).
struct Renewed {
    VersionedCredentials credentials;
    bool refreshed = false;  // this round's refresh (or its late write) made them: run on_refresh
};

// The refresh worked but its store write failed: the new credentials are kept in memory and
// written before anything else by the next round, whose compare-and-swap uses `base_version`.
struct RefreshedNotStored {
    Credentials fresh;
    std::uint64_t base_version = 0;
    std::exception_ptr error;
};

// The round failed; nothing new to use.
struct RenewalFailed {
    std::exception_ptr error;
    bool reauthorization_required = false;  // the grant is gone: run on_reauthorization_required
};

struct RenewalOutcome {
    std::variant<Renewed, RefreshedNotStored, RenewalFailed> result;
    // Pending credentials from an earlier round were written or dropped: forget them.
    bool pending_settled = false;
    // The store was read (or the seed inserted): the seed is spent.
    bool store_seen = false;
};

// Never throws: a failure is reported as RenewalFailed or RefreshedNotStored.
RenewalOutcome renew(const ClientState& client, Call& call, const RenewalInput& input) noexcept;

// A token that may be sent: not empty, not the rejected one, not expiring within `leeway`.
bool usable(const Credentials& credentials, WallTime now, std::chrono::seconds leeway,
            const std::optional<Secret>& rejected) noexcept;

}  // namespace calbridge::detail
