#include "session/renewal.hpp"

#include "session/client_state.hpp"
#include "session/store_calls.hpp"

#include <calbridge/errors.hpp>

namespace calbridge::detail {

namespace {

[[noreturn]] void throw_reauthorization_required(RenewalOutcome& out, const std::string& account,
                                                 std::string_view why, ErrorDetails details = {}) {
    out.reauthorization_required = true;
    throw InvalidGrantError("account " + account + ": " + std::string(why) + "; reauthorization required",
                            std::move(details));
}

// The store's credentials, inserting the seed first when it has none.
std::optional<VersionedCredentials> load_or_seed(const ClientState& client, const RenewalInput& in,
                                                 RenewalOutcome& out) {
    auto stored = store_load(*client.store, in.account);
    if (stored || !in.seed) return stored;
    if (const auto version = store_insert(*client.store, in.account, *in.seed)) {
        out.seed_used = true;
        return VersionedCredentials{*in.seed, *version};
    }
    return store_load(*client.store, in.account);  // someone inserted first: theirs win
}

bool same_grant(const VersionedCredentials& a, const VersionedCredentials& b) {
    return a.version == b.version && a.credentials.refresh_token == b.credentials.refresh_token;
}

void renew_steps(const ClientState& client, Call& call, const RenewalInput& in, RenewalOutcome& out) {
    const std::string& account = in.account;
    const Logger& log = call.log();

    // 1. Credentials refreshed by an earlier call whose store write failed: store them first,
    //    and use them without refreshing again (their refresh token may have rotated already).
    if (in.pending) {
        const auto version = store_save(*client.store, account, *in.pending, in.pending_base_version);
        out.clear_pending = true;
        if (version) {
            log(LogLevel::info, [&] { return "account " + account + ": stored the credentials of an earlier refresh"; });
            out.current = VersionedCredentials{*in.pending, *version};
            out.refreshed = true;  // the refresh's hook did not run when its write failed
            return;
        }
        log(LogLevel::warning, [&] {
            return "account " + account + ": the store changed before the credentials of an earlier refresh were "
                   "written; using the store's";
        });
    }

    // 2. Re-read the store: another Session, Client or process may have renewed already.
    const auto stored = load_or_seed(client, in, out);
    if (!stored) throw_reauthorization_required(out, account, "no credentials in the token store");
    out.current = *stored;
    if (usable(stored->credentials, call.wall_now(), client.config.leeway(), in.rejected)) {
        log(LogLevel::debug, [&] {
            return "account " + account + ": using the stored credentials (version " +
                   std::to_string(stored->version) + ")";
        });
        return;
    }
    if (stored->credentials.refresh_token.empty()) {
        throw_reauthorization_required(out, account, "the access token is no longer usable and there is no refresh token");
    }

    // 3. Refresh.
    log(LogLevel::debug, [&] {
        return "account " + account + ": refreshing (" +
               (in.rejected ? std::string("the server rejected the access token")
                            : std::string("the access token expires within the leeway")) +
               ")";
    });
    Credentials fresh;
    try {
        fresh = client.token_endpoint.refresh(call, stored->credentials);
    } catch (const InvalidGrantError& e) {
        // 4. The grant may be gone, or someone else may have rotated the refresh token under us:
        //    only the store can tell.
        const auto again = store_load(*client.store, account);
        if (again && !same_grant(*again, *stored)) {
            log(LogLevel::debug, [&] {
                return "account " + account + ": refresh refused, but the store has newer credentials (version " +
                       std::to_string(again->version) + "); using them";
            });
            out.current = *again;
            return;
        }
        log(LogLevel::error, [&] { return "account " + account + ": the grant is gone; reauthorization required"; });
        throw_reauthorization_required(out, account, "the refresh token was refused (invalid_grant)", e.details());
    }

    // 5. Compare-and-swap into the store before the new access token is used anywhere.
    std::optional<std::uint64_t> version;
    try {
        version = store_save(*client.store, account, fresh, stored->version);
    } catch (...) {
        out.pending = VersionedCredentials{fresh, stored->version};
        log(LogLevel::warning, [&] {
            return "account " + account + ": the refreshed credentials could not be stored; they are kept in "
                   "memory and written before the next use";
        });
        throw;
    }
    if (!version) {
        // Someone else wrote since we read (another process refreshed, or a new authorization):
        // the store is the authority, ours are dropped.
        const auto winner = store_load(*client.store, account);
        if (!winner) throw_reauthorization_required(out, account, "the credentials were removed from the store");
        log(LogLevel::warning, [&] {
            return "account " + account + ": the store changed during the refresh; using its credentials (version " +
                   std::to_string(winner->version) + ")";
        });
        out.current = *winner;
        return;
    }
    out.current = VersionedCredentials{std::move(fresh), *version};
    out.refreshed = true;
}

}  // namespace

bool usable(const Credentials& credentials, WallTime now, std::chrono::seconds leeway,
            const std::optional<Secret>& rejected) noexcept {
    if (credentials.access_token.empty()) return false;
    if (rejected && credentials.access_token == *rejected) return false;
    return !credentials.expires_within(now, leeway);
}

RenewalOutcome renew(const ClientState& client, Call& call, const RenewalInput& input) noexcept {
    RenewalOutcome out;
    try {
        renew_steps(client, call, input, out);
    } catch (...) {
        out.error = std::current_exception();
    }
    return out;
}

}  // namespace calbridge::detail
