// One logical call: one deadline, one retry budget, one cancellation token, shared by every
// request the call sends (a refresh, the request itself, its retry after a 401) and every wait
// (Retry-After, backoff, another thread's refresh). Internal to the core.
#pragma once

#include <calbridge/call_options.hpp>
#include <calbridge/clock.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include "log/logger.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

namespace calbridge::detail {

// Whether a request may be sent again after a failure (docs/ARCHITECTURE.md "Token requests are not
// blindly retried").
enum class Replay {
    // GET, DELETE, an upsert by event_id: sending twice does no harm. Retried after a connect,
    // TLS or dropped-connection failure, and after 429, 502, 503 and 504 (waiting what
    // Retry-After says, or a backoff). Never after a failure that is not
    // ErrorDetails::retryable (a refused certificate, a host name that does not exist).
    idempotent,
    // A code exchange, a refresh, any other POST: sent again only when the failure kept every
    // byte of it on this machine (a connect or TLS handshake failure); a replayed code or
    // rotated refresh token can cost the user the grant.
    if_not_sent,
};

// What calls need from their client; shared, read-only.
struct CallEnvironment {
    std::shared_ptr<Transport> transport;
    WallClock wall_clock;
    SteadyClock steady_clock;
    Waiter waiter;
    RetryPolicy retry;
    Logger log;
};

// Not thread-safe: a call runs on the thread that made it.
class Call {
public:
    Call(const CallEnvironment& env, const CallOptions& options, std::chrono::milliseconds default_timeout);

    // Sends `request` until it gets a reply worth reporting, within the deadline and budget:
    // retries what `replay` allows, waits for Retry-After when it fits before the deadline, and
    // otherwise returns the reply as it is (a 429 whose Retry-After is beyond the deadline is
    // returned at once, for the caller to report with its retry-after). Throws what the
    // transport throws when no retry is allowed, TimeoutError once the deadline has passed,
    // CancelledError when cancelled.
    HttpResponse send(const HttpRequest& request, Replay replay);

    // Narrows the deadline to `until` (when earlier) until the returned guard goes, e.g. the
    // hard deadline of a token request sent under a refresh lease.
    class DeadlineLimit {
    public:
        DeadlineLimit(Call& call, SteadyTime until) noexcept
            : call_(call), saved_(call.deadline_) { call.deadline_ = std::min(call.deadline_, until); }
        ~DeadlineLimit() { call_.deadline_ = saved_; }
        DeadlineLimit(const DeadlineLimit&) = delete;
        DeadlineLimit& operator=(const DeadlineLimit&) = delete;

    private:
        Call& call_;
        SteadyTime saved_;
    };

    // Takes the call's cancellation token away (so cancellation and its poll hook are not
    // heard) until the returned guard goes; the deadline still holds. For a request that must
    // be seen through once sent: a refresh the server may answer by rotating the refresh token,
    // whose reply is then the only copy of the new one.
    class CancellationShield {
    public:
        explicit CancellationShield(Call& call) noexcept : call_(call), saved_(std::move(call.cancel_)) {}
        ~CancellationShield() { call_.cancel_ = std::move(saved_); }
        CancellationShield(const CancellationShield&) = delete;
        CancellationShield& operator=(const CancellationShield&) = delete;

    private:
        Call& call_;
        std::shared_ptr<CancellationToken> saved_;
    };

    // Waits `delay`, cut short at the deadline, with the call's waiter (cancellation and the
    // poll hook heard). False when the deadline came first; CancelledError when cancelled.
    bool pause(std::chrono::milliseconds delay);

    // Takes one retry from the budget (the retry after a 401); false when it is spent.
    bool take_retry() noexcept;

    // TimeoutError when the deadline has passed, CancelledError when cancelled.
    void check_live(std::string_view doing) const;

    SteadyTime now() const { return env_.steady_clock(); }
    WallTime wall_now() const { return env_.wall_clock(); }
    SteadyTime deadline() const noexcept { return deadline_; }
    // The deadline on the real steady clock (the call's own clock may be a test's), for waits
    // outside the call's waiter: condition variables, store calls. None for a call without one.
    std::optional<std::chrono::steady_clock::time_point> real_deadline() const;
    CancellationToken* cancel() const noexcept { return cancel_.get(); }
    const Logger& log() const noexcept { return env_.log; }

private:
    bool retry_after_transport_failure(const HttpRequest& request, Replay replay, const Error& failure);
    bool retry_after_status(const HttpRequest& request, const HttpResponse& response);
    // Waits `delay`, or returns false at once when that would pass the deadline.
    bool wait(std::chrono::milliseconds delay);
    std::chrono::milliseconds backoff() const noexcept;

    const CallEnvironment& env_;
    SteadyTime deadline_;
    std::shared_ptr<CancellationToken> cancel_;
    int retries_left_;
    int retries_taken_ = 0;
};

}  // namespace calbridge::detail
