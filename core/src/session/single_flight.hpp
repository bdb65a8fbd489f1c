// One thread of this process does an account's renewal; the others wait for that round to end
// and share its result (or its failure). The state is guarded by the owner's mutex, which every
// method but notify() expects held; the wait releases it. Internal to the core.
#pragma once

#include <calbridge/errors.hpp>

#include "call/call_policy.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace calbridge::detail {

class SingleFlight {
public:
    explicit SingleFlight(std::mutex& mutex) : mutex_(mutex) {}

    // A failure the waiters of a round share with its leader: they asked for the same thing at
    // the same time, and e.g. 63 waiters must not each re-send a refused refresh.
    struct Failure {
        ErrorCode code;
        std::string message;
        ErrorDetails details;
    };

    bool busy() const noexcept { return leading_; }

    // The calling thread leads a round.
    void begin() noexcept { leading_ = true; }

    // The round ends. `failure` is what the waiters rethrow; none when they should look again
    // (the round succeeded, or failed for a reason of its leader's own: its deadline, its
    // cancellation). Call notify() once the mutex is released.
    void finish(std::optional<Failure> failure) noexcept;
    void notify() noexcept { finished_.notify_all(); }

    // Waits until the round in flight ends, the call's deadline passes (TimeoutError) or it is
    // cancelled (CancelledError), and rethrows the round's shared failure. The lock is held on
    // entry and on a normal return.
    void follow(std::unique_lock<std::mutex>& lock, Call& call, const std::string& account);

private:
    void wait(std::unique_lock<std::mutex>& lock, Call& call, std::uint64_t round);

    std::mutex& mutex_;
    std::condition_variable finished_;
    bool leading_ = false;
    std::uint64_t rounds_ = 0;  // rounds finished
    std::optional<Failure> last_failure_;
};

}  // namespace calbridge::detail
