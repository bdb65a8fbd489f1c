// One account's token state within one Client, shared by every Session the Client made for
// that account: the current credentials and their store version, credentials refreshed but not
// yet stored, and the coordination that lets one thread at a time renew them while the others
// wait for its result (docs/ARCHITECTURE.md "Thread safety", "Tokens are never lost").
//
// The lock guards memory only. Store I/O, token requests, hooks and log lines all happen with
// it released: one leader does the I/O while the others wait on a condition variable, and
// ordinary calls with a usable token never wait at all. Internal to the core.
#pragma once

#include <calbridge/credentials.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/secret.hpp>

#include "call/call_policy.hpp"
#include "session/renewal.hpp"
#include "session/single_flight.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace calbridge::detail {

struct ClientState;

// An access token to send, and its generation: the count of distinct access tokens this state
// has held. A 401 compares generations to tell "my token is bad" from "my token was replaced".
struct Lease {
    Secret access_token;
    std::uint64_t generation = 0;
};

class AccountState {
public:
    explicit AccountState(std::string account) : account_(std::move(account)) {}

    const std::string& account() const noexcept { return account_; }

    // A token that does not expire within the leeway: the current one, or, when there is none
    // yet, it expires soon, or refreshed credentials still wait to be stored, the result of a
    // renewal (by this thread, or by the one already doing it).
    Lease acquire(const ClientState& client, Call& call);

    // After a 401 for the token of generation `rejected`: the current token when it has been
    // replaced since; a renewal (which will not accept the rejected token) otherwise.
    Lease after_rejection(const ClientState& client, Call& call, std::uint64_t rejected);

    // The current credentials, after acquire().
    Credentials credentials(const ClientState& client, Call& call);

    // Credentials this client has just written to the store (a new authorization): current
    // from now on, replacing whatever was cached or pending.
    void adopt(const Credentials& credentials, std::uint64_t version);

    // Credentials a Session was created with: inserted into the store on first load if the
    // account has none there. The first offer wins; ignored once loaded.
    void offer_seed(const Credentials& credentials);

private:
    // What the round's leader does once the lock is released: hooks, then return or throw.
    struct Settled {
        Lease lease;
        std::optional<Credentials> refreshed;  // run on_refresh with these
        bool reauthorization_required = false;
        std::exception_ptr error;
    };

    Lease obtain(const ClientState& client, Call& call, std::optional<std::uint64_t> rejected);
    // The current token when it may be sent as it is (lock held).
    std::optional<Lease> ready(const Call& call, std::chrono::seconds leeway, std::optional<std::uint64_t> rejected) const;
    // Applies a round's outcome (lock held); a round that overlapped adopt() keeps its result
    // out, since a new authorization wins.
    Settled apply(RenewalOutcome outcome, bool overlapped_adoption, const Call& call);
    // current_ expires within the leeway. For a token this process refreshed, whose whole
    // lifetime it therefore knows, the leeway is at most half that lifetime: a server that issues
    // tokens shorter-lived than the leeway would otherwise be asked for a new one on every call.
    bool expiring(const Call& call, std::chrono::seconds leeway) const;
    void make_current(const Credentials& credentials, std::uint64_t version);

    const std::string account_;

    mutable std::mutex mutex_;
    SingleFlight flight_{mutex_};  // one thread of this process renews, the others wait
    bool loaded_ = false;
    Credentials current_;
    std::uint64_t version_ = 0;
    std::uint64_t generation_ = 0;
    std::optional<std::chrono::seconds> lifetime_;  // of current_, when a refresh here issued it
    std::optional<Credentials> pending_;  // refreshed, not yet stored: written before anything else
    std::uint64_t pending_base_version_ = 0;
    std::optional<Credentials> seed_;
    std::uint64_t adoptions_ = 0;  // adopt() calls: a renewal that overlaps one keeps its result out
};

}  // namespace calbridge::detail
