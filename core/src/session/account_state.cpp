#include "session/account_state.hpp"

#include "session/client_state.hpp"
#include "session/renewal.hpp"

#include <calbridge/transport.hpp>

#include <algorithm>
#include <type_traits>
#include <variant>
#include <vector>

namespace calbridge::detail {

namespace {

// A leader's own deadline or cancellation says nothing about the grant: the threads that waited
// for it try again (one of them leads next). Any other failure is theirs too: they asked for
// the same thing at the same time, and e.g. 63 waiters must not each re-send a refused refresh.
bool shared_with_waiters(ErrorCode code) noexcept {
    return code != ErrorCode::timeout && code != ErrorCode::cancelled;
}

// The account states this thread is renewing right now. A callback made during a renewal (the
// store, the log sink) that asks for the same account's token would otherwise wait for itself
// until its deadline; it gets an error at once instead.
thread_local std::vector<const AccountState*> renewing_here;

class RenewingHere {
public:
    explicit RenewingHere(const AccountState* state) { renewing_here.push_back(state); }
    ~RenewingHere() { renewing_here.pop_back(); }
    RenewingHere(const RenewingHere&) = delete;
    RenewingHere& operator=(const RenewingHere&) = delete;
};

bool renewing_on_this_thread(const AccountState* state) {
    return std::find(renewing_here.begin(), renewing_here.end(), state) != renewing_here.end();
}

}  // namespace

Lease AccountState::acquire(const ClientState& client, Call& call) { return obtain(client, call, std::nullopt); }

Lease AccountState::after_rejection(const ClientState& client, Call& call, std::uint64_t rejected) {
    return obtain(client, call, rejected);
}

Credentials AccountState::credentials(const ClientState& client, Call& call) {
    acquire(client, call);
    std::lock_guard lock(mutex_);
    return current_;
}

void AccountState::adopt(const Credentials& credentials, std::uint64_t version) {
    std::lock_guard lock(mutex_);
    make_current(credentials, version);
    pending_.reset();
    seed_.reset();
    ++adoptions_;
}

void AccountState::offer_seed(const Credentials& credentials) {
    std::lock_guard lock(mutex_);
    if (!loaded_ && !seed_) seed_ = credentials;
}

bool AccountState::expiring(const Call& call, std::chrono::seconds leeway) const {
    if (lifetime_ && *lifetime_ / 2 < leeway) leeway = std::max(*lifetime_ / 2, std::chrono::seconds(0));
    return !usable(current_, call.wall_now(), leeway, std::nullopt);
}

void AccountState::make_current(const Credentials& credentials, std::uint64_t version) {
    if (!loaded_ || !(credentials.access_token == current_.access_token)) {
        ++generation_;
        lifetime_.reset();
    }
    current_ = credentials;
    version_ = version;
    loaded_ = true;
}

std::optional<Lease> AccountState::ready(const Call& call, std::chrono::seconds leeway,
                                         std::optional<std::uint64_t> rejected) const {
    if (!loaded_ || pending_) return std::nullopt;
    // After a 401: if the token has changed since, retry with the new one; if not, renew.
    const bool replaced = rejected && *rejected != generation_;
    if (rejected && !replaced) return std::nullopt;
    if (expiring(call, leeway)) return std::nullopt;
    return Lease{current_.access_token, generation_};
}

Lease AccountState::obtain(const ClientState& client, Call& call, std::optional<std::uint64_t> rejected) {
    const auto leeway = client.config.leeway();
    std::unique_lock lock(mutex_);
    for (;;) {
        if (flight_.busy()) {
            if (renewing_on_this_thread(this)) {
                lock.unlock();
                throw UserCallbackError("a callback asked for account " + account_ +
                                        "'s token during that account's own token renewal");
            }
            call.log()(LogLevel::debug, [&] { return "account " + account_ + ": waits for the token renewal in flight"; });
            flight_.follow(lock, call, account_);
            continue;  // look again: the renewal may have given what this call needs
        }
        if (auto lease = ready(call, leeway, rejected)) return *lease;

        // This thread renews; others arriving meanwhile wait for its result.
        RenewalInput input;
        input.account = account_;
        input.pending = pending_;
        input.pending_base_version = pending_base_version_;
        if (rejected && loaded_ && *rejected == generation_) input.rejected = current_.access_token;
        input.seed = seed_;
        const std::uint64_t adoptions = adoptions_;
        flight_.begin();
        lock.unlock();

        RenewalOutcome outcome;
        {
            const RenewingHere mark(this);
            outcome = renew(client, call, input);
        }

        lock.lock();
        Settled settled = apply(std::move(outcome), adoptions_ != adoptions, call);
        std::optional<SingleFlight::Failure> shared;
        if (settled.error) {
            try {
                std::rethrow_exception(settled.error);
            } catch (const Error& e) {
                if (shared_with_waiters(e.code())) shared = SingleFlight::Failure{e.code(), e.what(), e.details()};
            } catch (...) {
            }
        }
        flight_.finish(std::move(shared));
        lock.unlock();
        flight_.notify();

        // Hooks last, with no lock held and the state already published.
        if (settled.reauthorization_required) client.notify_reauthorization_required(account_);
        if (settled.error) std::rethrow_exception(settled.error);
        if (settled.refreshed) client.notify_refreshed(*settled.refreshed);
        return settled.lease;
    }
}

AccountState::Settled AccountState::apply(RenewalOutcome outcome, bool overlapped_adoption, const Call& call) {
    Settled settled;
    if (!overlapped_adoption) {
        if (outcome.pending_settled) pending_.reset();
        if (outcome.store_seen) seed_.reset();
    }
    std::visit(
        [&](auto& result) {
            using Result = std::decay_t<decltype(result)>;
            if constexpr (std::is_same_v<Result, Renewed>) {
                if (!overlapped_adoption) {
                    pending_.reset();
                    seed_.reset();
                    make_current(result.credentials.credentials, result.credentials.version);
                    if (result.refreshed && current_.expires_at) {
                        lifetime_ = std::chrono::duration_cast<std::chrono::seconds>(*current_.expires_at - call.wall_now());
                    }
                    if (result.refreshed) settled.refreshed = current_;
                }
            } else if constexpr (std::is_same_v<Result, RefreshedNotStored>) {
                if (!overlapped_adoption) {
                    pending_ = std::move(result.fresh);
                    pending_base_version_ = result.base_version;
                }
                settled.error = result.error;
            } else {
                settled.error = result.error;
                settled.reauthorization_required = result.reauthorization_required;
            }
        },
        outcome.result);
    settled.lease = Lease{current_.access_token, generation_};
    return settled;
}

}  // namespace calbridge::detail
