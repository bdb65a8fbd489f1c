#include "session/account_state.hpp"

#include "session/client_state.hpp"
#include "session/renewal.hpp"

#include <calbridge/transport.hpp>

#include <algorithm>
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

// Turns the call's remaining time, measured on its (injectable) steady clock, into a time on
// the real clock that condition variables wait on.
std::optional<std::chrono::steady_clock::time_point> real_deadline(const Call& call) {
    if (call.deadline() == SteadyTime::max()) return std::nullopt;
    constexpr auto longest = std::chrono::hours(24 * 365);
    const auto remaining = std::clamp<std::chrono::steady_clock::duration>(
        call.deadline() - call.now(), std::chrono::steady_clock::duration::zero(), longest);
    return std::chrono::steady_clock::now() + remaining;
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

Lease AccountState::obtain(const ClientState& client, Call& call, std::optional<std::uint64_t> rejected) {
    const auto leeway = client.config.leeway();
    std::unique_lock lock(mutex_);
    for (;;) {
        if (renewing_) {
            const std::uint64_t round = rounds_;
            lock.unlock();
            if (renewing_on_this_thread(this)) {
                throw UserCallbackError("a callback asked for account " + account_ +
                                        "'s token during that account's own token renewal");
            }
            call.log()(LogLevel::debug, [&] { return "account " + account_ + ": waits for the token renewal in flight"; });
            lock.lock();
            if (rounds_ == round) wait_for_renewal(lock, call);
            if (rounds_ != round && last_failure_) {
                const SharedFailure failure = *last_failure_;
                lock.unlock();
                throw_error(failure.code, failure.message, failure.details);
            }
            continue;  // look again: the renewal may have given what this call needs
        }

        if (loaded_ && !pending_) {
            // After a 401: if the token has changed since, retry with the new one; if not, renew.
            const bool replaced = rejected && *rejected != generation_;
            if ((!rejected || replaced) && !expiring(call, leeway)) return Lease{current_.access_token, generation_};
        }

        // This thread renews; others arriving meanwhile wait for its result.
        RenewalInput input;
        input.account = account_;
        input.pending = pending_;
        input.pending_base_version = pending_base_version_;
        if (rejected && loaded_ && *rejected == generation_) input.rejected = current_.access_token;
        input.seed = seed_;
        const std::uint64_t adoptions = adoptions_;
        renewing_ = true;
        lock.unlock();

        RenewalOutcome out;
        {
            const RenewingHere mark(this);
            out = renew(client, call, input);
        }

        lock.lock();
        if (adoptions_ == adoptions) {  // else a new authorization landed meanwhile and wins
            if (out.clear_pending) pending_.reset();
            if (out.pending) {
                pending_ = std::move(out.pending->credentials);
                pending_base_version_ = out.pending->version;
            }
            if (out.seed_used || out.current) seed_.reset();
            if (out.current) {
                make_current(out.current->credentials, out.current->version);
                if (out.refreshed && current_.expires_at) {
                    lifetime_ = std::chrono::duration_cast<std::chrono::seconds>(*current_.expires_at - call.wall_now());
                }
            }
        }
        renewing_ = false;
        ++rounds_;
        last_failure_.reset();
        if (out.error) {
            try {
                std::rethrow_exception(out.error);
            } catch (const Error& e) {
                if (shared_with_waiters(e.code())) last_failure_ = SharedFailure{e.code(), e.what(), e.details()};
            } catch (...) {
            }
        }
        Lease lease{current_.access_token, generation_};
        std::optional<Credentials> refreshed;
        if (out.refreshed && out.current) refreshed = current_;
        lock.unlock();
        renewed_.notify_all();

        // Hooks last, with no lock held and the state already published.
        if (out.reauthorization_required) client.notify_reauthorization_required(account_);
        if (out.error) std::rethrow_exception(out.error);
        if (refreshed) client.notify_refreshed(*refreshed);
        return lease;
    }
}

void AccountState::wait_for_renewal(std::unique_lock<std::mutex>& lock, Call& call) {
    const std::uint64_t round = rounds_;
    const auto until = real_deadline(call);
    CancellationToken* cancel = call.cancel();

    // Subscribing runs the callback at once if the token is already cancelled, and the
    // callback takes our mutex: so subscribe, and later unsubscribe, with the mutex released.
    // The callback locks before notifying, so the wake-up cannot slip between a check and
    // the wait.
    lock.unlock();
    {
        CancellationToken::Subscription subscription;
        if (cancel != nullptr) {
            subscription = cancel->on_cancel([this] {
                { std::lock_guard wake(mutex_); }
                renewed_.notify_all();
            });
        }
        std::unique_lock inner(mutex_);
        const auto done = [&] { return rounds_ != round || (cancel != nullptr && cancel->is_cancelled()); };
        const SteadyTime end = until.value_or(SteadyTime::max());
        for (;;) {
            const SteadyTime slice = cancel != nullptr ? cancel->poll_due(end) : end;
            if (slice == SteadyTime::max()) {
                renewed_.wait(inner, done);
                break;
            }
            if (renewed_.wait_until(inner, slice, done) || slice >= end) break;
            inner.unlock();  // the poll hook may cancel, and the wake-up takes this mutex
            if (cancel != nullptr) cancel->poll();
            inner.lock();
        }
    }  // `inner` unlocks before the subscription goes
    lock.lock();
    if (rounds_ == round) {
        lock.unlock();
        call.check_live("waiting for the token renewal of account " + account_);
        // The real clock ran out first while the call's own clock says there is time left
        // (an injected clock): report the wait as what it was.
        throw TimeoutError("account " + account_ + ": gave up waiting for the token renewal in flight");
    }
}

}  // namespace calbridge::detail
