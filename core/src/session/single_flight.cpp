#include "session/single_flight.hpp"

#include <calbridge/transport.hpp>

#include <algorithm>
#include <chrono>

namespace calbridge::detail {

void SingleFlight::finish(std::optional<Failure> failure) noexcept {
    leading_ = false;
    ++rounds_;
    last_failure_ = std::move(failure);
}

void SingleFlight::follow(std::unique_lock<std::mutex>& lock, Call& call, const std::string& account) {
    const std::uint64_t round = rounds_;
    wait(lock, call, round);
    if (rounds_ == round) {
        lock.unlock();
        call.check_live("waiting for the token renewal of account " + account);
        // The real clock ran out first while the call's own clock says there is time left
        // (an injected clock): report the wait as what it was.
        throw TimeoutError("account " + account + ": gave up waiting for the token renewal in flight");
    }
    if (last_failure_) {
        const Failure failure = *last_failure_;
        lock.unlock();
        throw_error(failure.code, failure.message, failure.details);
    }
}

void SingleFlight::wait(std::unique_lock<std::mutex>& lock, Call& call, std::uint64_t round) {
    const auto until = call.real_deadline();
    CancellationToken* cancel = call.cancel();

    // Subscribing runs the callback at once if the token is already cancelled, and the
    // callback takes the mutex: so subscribe, and later unsubscribe, with the mutex released.
    // The callback locks before notifying, so the wake-up cannot slip between a check and
    // the wait.
    lock.unlock();
    {
        CancellationToken::Subscription subscription;
        if (cancel != nullptr) {
            subscription = cancel->on_cancel([this] {
                { std::lock_guard wake(mutex_); }
                finished_.notify_all();
            });
        }
        std::unique_lock inner(mutex_);
        const auto done = [&] { return rounds_ != round || (cancel != nullptr && cancel->is_cancelled()); };
        const SteadyTime end = until.value_or(SteadyTime::max());
        for (;;) {
            const SteadyTime slice = cancel != nullptr ? cancel->poll_due(end) : end;
            if (slice == SteadyTime::max()) {
                finished_.wait(inner, done);
                break;
            }
            if (finished_.wait_until(inner, slice, done) || slice >= end) break;
            inner.unlock();  // the poll hook may cancel, and the wake-up takes this mutex
            if (cancel != nullptr) cancel->poll();
            inner.lock();
        }
    }  // `inner` unlocks before the subscription goes
    lock.lock();
}

}  // namespace calbridge::detail
