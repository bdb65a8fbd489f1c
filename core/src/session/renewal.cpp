#include "session/renewal.hpp"

#include "session/client_state.hpp"
#include "session/refresh_lease.hpp"
#include "session/store_calls.hpp"

#include <calbridge/errors.hpp>

namespace calbridge::detail {

namespace {

// The grant is gone for good: the round fails with InvalidGrantError and the hook runs.
struct GrantGone {
    InvalidGrantError error;
};

[[noreturn]] void grant_gone(const std::string& account, std::string_view why, ErrorDetails details = {}) {
    throw GrantGone{InvalidGrantError("account " + account + ": " + std::string(why) + "; reauthorization required",
                                      std::move(details))};
}

// The refresh worked and its store write failed.
struct WriteFailed {
    Credentials fresh;
    std::uint64_t base_version;
    std::exception_ptr error;  // the store's
};

bool same_grant(const VersionedCredentials& a, const VersionedCredentials& b) {
    return a.version == b.version && a.credentials.refresh_token == b.credentials.refresh_token;
}

// One renewal round, top to bottom. Each step either settles the round (returns the
// credentials to use, or throws) or hands on to the next.
class Round {
public:
    Round(const ClientState& client, Call& call, const RenewalInput& in, RenewalOutcome& out)
        : client_(client), call_(call), in_(in), out_(out), account_(in.account), log_(call.log()) {}

    Renewed run() {
        if (in_.pending) {
            if (auto stored = write_pending()) return *stored;
        }
        const auto stored = load_or_seed();
        check_refreshable(stored);
        if (usable(stored->credentials, call_.wall_now(), client_.config.leeway(), in_.rejected)) {
            log_(LogLevel::debug, [&] {
                return "account " + account_ + ": using the stored credentials (version " + std::to_string(stored->version) + ")";
            });
            return Renewed{*stored, false};
        }
        if (RefreshLeases* leases = client_.store->refresh_leases()) return refresh_under_lease(*leases, *stored);
        return refresh(*stored, nullptr);
    }

private:
    // 1. Credentials refreshed by an earlier round whose store write failed: store them first,
    //    and use them without refreshing again (their refresh token may have rotated already).
    std::optional<Renewed> write_pending() {
        const auto version = store_save(*client_.store, account_, *in_.pending, in_.pending_base_version,
                                        client_.config.client_secret());
        out_.pending_settled = true;
        if (version) {
            log_(LogLevel::info, [&] { return "account " + account_ + ": stored the credentials of an earlier refresh"; });
            return Renewed{VersionedCredentials{*in_.pending, *version}, true};  // its hook has not run yet
        }
        log_(LogLevel::warning, [&] {
            return "account " + account_ + ": the store changed before the credentials of an earlier refresh were "
                   "written; using the store's";
        });
        return std::nullopt;
    }

    // 2. Re-read the store (inserting the seed when it has nothing): another Session, Client or
    //    process may have renewed already.
    std::optional<VersionedCredentials> load_or_seed() {
        auto stored = store_load(*client_.store, account_, client_.config.client_secret());
        out_.store_seen = true;
        if (stored || !in_.seed) return stored;
        if (const auto version = store_insert(*client_.store, account_, *in_.seed, client_.config.client_secret())) {
            return VersionedCredentials{*in_.seed, *version};
        }
        return store_load(*client_.store, account_, client_.config.client_secret());  // someone inserted first: theirs win
    }

    void check_refreshable(const std::optional<VersionedCredentials>& stored) const {
        if (!stored) grant_gone(account_, "no credentials in the token store");
        if (stored->reauthorization_required) grant_gone(account_, "the token store marks the grant as gone");
        if (stored->credentials.refresh_token.empty() &&
            !usable(stored->credentials, call_.wall_now(), client_.config.leeway(), in_.rejected)) {
            grant_gone(account_, "the access token is no longer usable and there is no refresh token");
        }
    }

    // 3'. A shared store: one process refreshes under the lease, the others wait for its result.
    Renewed refresh_under_lease(RefreshLeases& leases, const VersionedCredentials& judged) {
        const LeaseJudge judge{
            [&](const VersionedCredentials& c) {
                return usable(c.credentials, call_.wall_now(), client_.config.leeway(), in_.rejected);
            },
            [&](const std::optional<VersionedCredentials>& c) { check_refreshable(c); },
        };
        LeaseOutcome outcome = acquire_lease(client_, call_, leases, account_, judged, judge);
        if (auto* adopted = std::get_if<VersionedCredentials>(&outcome)) {
            log_(LogLevel::debug, [&] {
                return "account " + account_ + ": another process refreshed; using its credentials (version " +
                       std::to_string(adopted->version) + ")";
            });
            return Renewed{*adopted, false};
        }
        HeldLease& lease = *std::get<std::unique_ptr<HeldLease>>(outcome);
        // The refresh token comes from the store as the claim read it, never from memory.
        return refresh(lease.stored(), &lease);
    }

    // 3. Refresh, with the hard deadline D when under a lease.
    Renewed refresh(const VersionedCredentials& stored, HeldLease* lease) {
        log_(LogLevel::debug, [&] {
            return "account " + account_ + ": refreshing (" +
                   (in_.rejected ? std::string("the server rejected the access token")
                                 : std::string("the access token expires within the leeway")) +
                   ")";
        });
        Credentials fresh;
        // Cancelled already: nothing is sent. Once it is sent, the refresh is seen through (to
        // the deadline) whatever the caller's cancellation says: with rotation the server has
        // retired the old refresh token, and walking away from the reply would lose the new
        // one, so the next refresh would send a retired token and may cost the grant. The
        // caller hears of its cancellation at its next step, with the new credentials stored.
        call_.check_live("refreshing the token");
        const Call::CancellationShield shield(call_);
        try {
            if (lease != nullptr) {
                if (!lease->confirm()) return after_lost_lease(stored);
                const Call::DeadlineLimit hard(call_, call_.now() + client_.config.lease_request_timeout());
                fresh = client_.token_endpoint.refresh(call_, stored.credentials);
            } else {
                fresh = client_.token_endpoint.refresh(call_, stored.credentials);
            }
        } catch (const InvalidGrantError& e) {
            return after_refusal(stored, lease, e);
        }
        return commit(stored, std::move(fresh), lease);
    }

    // This process stalled past its lease and another took it over: send nothing, use (or
    // wait for) what the other stores.
    Renewed after_lost_lease(const VersionedCredentials& stored) {
        log_(LogLevel::warning, [&] { return "account " + account_ + ": the refresh lease was taken over; not refreshing"; });
        auto now = store_load(*client_.store, account_, client_.config.client_secret());
        check_refreshable(now);
        if (now->version != stored.version && usable(now->credentials, call_.wall_now(), client_.config.leeway(), in_.rejected)) {
            return Renewed{*now, false};
        }
        return refresh_under_lease(*client_.store->refresh_leases(), *now);
    }

    // 4. invalid_grant: the grant may be gone, or someone rotated the refresh token under us;
    //    only the store can tell. A shared store is marked, so other processes fail fast.
    Renewed after_refusal(const VersionedCredentials& stored, HeldLease* lease, const InvalidGrantError& e) {
        const auto again = store_load(*client_.store, account_, client_.config.client_secret());
        if (again && !same_grant(*again, stored) && !again->reauthorization_required) {
            log_(LogLevel::debug, [&] {
                return "account " + account_ + ": refresh refused, but the store has newer credentials (version " +
                       std::to_string(again->version) + "); using them";
            });
            return Renewed{*again, false};
        }
        if (lease != nullptr && again && !again->reauthorization_required) {
            if (lease_mark_reauthorization_required(*client_.store->refresh_leases(), account_, stored.version)) {
                lease->ended();
            } else if (auto moved = store_load(*client_.store, account_, client_.config.client_secret());
                       moved && !moved->reauthorization_required) {
                return Renewed{*moved, false};  // the version moved between the two reads: a lost race
            }
        }
        // A grant revoked by the user or the application: an expected outcome the caller hears
        // of (InvalidGrantError, on_reauthorization_required), not a failure of calbridge.
        log_(LogLevel::info, [&] { return "account " + account_ + ": the grant is gone; reauthorization required"; });
        grant_gone(account_, "the refresh token was refused (invalid_grant)", e.details());
    }

    // 5. Compare-and-swap into the store before the new access token is used anywhere. The
    //    version is the fencing check: a holder whose lease ran out writes nothing once
    //    another has stored.
    Renewed commit(const VersionedCredentials& stored, Credentials fresh, HeldLease* lease) {
        std::optional<std::uint64_t> version;
        try {
            version = store_save(*client_.store, account_, fresh, stored.version, client_.config.client_secret());
        } catch (...) {
            log_(LogLevel::warning, [&] {
                return "account " + account_ + ": the refreshed credentials could not be stored; they are kept in "
                       "memory and written before the next use";
            });
            // The lease is left to run out rather than released: it keeps other processes from
            // refreshing with the old token while this one retries the write.
            if (lease != nullptr) lease->ended();
            throw WriteFailed{std::move(fresh), stored.version, std::current_exception()};
        }
        if (lease != nullptr) lease->ended();  // a save ends the lease, whoever held it
        if (!version) {
            // Someone else wrote since we read (another process refreshed, or a new
            // authorization): the store is the authority, ours are dropped.
            const auto winner = store_load(*client_.store, account_, client_.config.client_secret());
            if (!winner) grant_gone(account_, "the credentials were removed from the store");
            log_(LogLevel::warning, [&] {
                return "account " + account_ + ": the store changed during the refresh; using its credentials (version " +
                       std::to_string(winner->version) + ")";
            });
            return Renewed{*winner, false};
        }
        return Renewed{VersionedCredentials{std::move(fresh), *version}, true};
    }

    const ClientState& client_;
    Call& call_;
    const RenewalInput& in_;
    RenewalOutcome& out_;
    const std::string& account_;
    const Logger& log_;
};

}  // namespace

bool usable(const Credentials& credentials, WallTime now, std::chrono::seconds leeway,
            const std::optional<Secret>& rejected) noexcept {
    if (credentials.access_token.empty()) return false;
    if (rejected && credentials.access_token == *rejected) return false;
    return !credentials.expires_within(now, leeway);
}

RenewalOutcome renew(const ClientState& client, Call& call, const RenewalInput& input) noexcept {
    RenewalOutcome out{RenewalFailed{}};
    const StoreCallDeadline store_deadline(call.real_deadline());
    try {
        out.result = Round(client, call, input, out).run();
    } catch (GrantGone& gone) {
        out.result = RenewalFailed{std::make_exception_ptr(std::move(gone.error)), true};
    } catch (WriteFailed& failed) {
        out.result = RefreshedNotStored{std::move(failed.fresh), failed.base_version, failed.error};
    } catch (...) {
        out.result = RenewalFailed{std::current_exception(), false};
    }
    return out;
}

}  // namespace calbridge::detail
