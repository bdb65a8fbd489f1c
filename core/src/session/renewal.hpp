// What the one thread that renews an account's token does, with no lock held: write pending
// credentials, re-read the store, refresh, compare-and-swap the result into the store
// (DESIGN.md "Tokens are never lost"). It reports what it did instead of changing state, so
// the caller applies it under its lock, errors included. Internal to the core.
#pragma once

#include <calbridge/credentials.hpp>
#include <calbridge/store.hpp>

#include "call/call_policy.hpp"

#include <exception>
#include <optional>
#include <string>

namespace calbridge::detail {

struct ClientState;

struct RenewalInput {
    std::string account;
    std::optional<Credentials> pending;  // refreshed earlier, not yet stored
    std::uint64_t pending_base_version = 0;
    std::optional<Secret> rejected;      // the access token a 401 rejected: not acceptable
    std::optional<Credentials> seed;     // to insert if the store has nothing
};

struct RenewalOutcome {
    std::optional<VersionedCredentials> current;  // the credentials to use from now on
    bool clear_pending = false;
    std::optional<VersionedCredentials> pending;  // refreshed but not stored (version = the base)
    bool seed_used = false;
    bool refreshed = false;                 // `current` comes from a refresh: run on_refresh
    bool reauthorization_required = false;  // run on_reauthorization_required
    std::exception_ptr error;               // to throw once the outcome is applied
};

// Never throws: a failure is reported in `error`, next to whatever must still be kept (the
// pending credentials of a failed store write).
RenewalOutcome renew(const ClientState& client, Call& call, const RenewalInput& input) noexcept;

// A token that may be sent: not empty, not the rejected one, not expiring within `leeway`.
bool usable(const Credentials& credentials, WallTime now, std::chrono::seconds leeway,
            const std::optional<Secret>& rejected) noexcept;

}  // namespace calbridge::detail
