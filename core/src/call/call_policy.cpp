#include "call/call_policy.hpp"

#include "call/http_errors.hpp"
#include "call/retry_after.hpp"

#include <algorithm>

namespace calbridge::detail {

namespace {

// Statuses that say "not now" rather than "not this": worth the same request again.
bool is_transient(int status) noexcept { return status == 429 || status == 502 || status == 503 || status == 504; }

long long to_ms(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// A timeout longer than this is as good as none, and cannot overflow the clock.
constexpr std::chrono::milliseconds longest_timeout{std::chrono::hours(24 * 365)};

}  // namespace

Call::Call(const CallEnvironment& env, const CallOptions& options, std::chrono::milliseconds default_timeout)
    : env_(env),
      deadline_(options.deadline ? *options.deadline
                                 : env.steady_clock() + std::min(options.timeout.value_or(default_timeout), longest_timeout)),
      cancel_(options.cancel),
      retries_left_(std::max(0, env.retry.max_retries)) {}

HttpResponse Call::send(const HttpRequest& request, Replay replay) {
    for (;;) {
        const SteadyTime started = now();
        if (started >= deadline_ || (cancel_ && cancel_->is_cancelled())) check_live(describe(request));
        log()(LogLevel::trace, [&] { return "sending " + describe_in_full(request); });
        HttpResponse response;
        try {
            response = env_.transport->send(request, CallContext{deadline_, cancel_});
        } catch (const ConnectionError& e) {
            if (!retry_after_transport_failure(request, replay, e)) throw;
            continue;
        } catch (const TlsError& e) {
            if (!retry_after_transport_failure(request, replay, e)) throw;
            continue;
        }
        log()(LogLevel::trace, [&] {
            return describe_in_full(request) + ": HTTP " + std::to_string(response.status) + " after " +
                   std::to_string(to_ms(now() - started)) + " ms";
        });
        if (replay == Replay::idempotent && is_transient(response.status) && retry_after_status(request, response)) {
            continue;
        }
        return response;
    }
}

bool Call::take_retry() noexcept {
    if (retries_left_ == 0) return false;
    --retries_left_;
    ++retries_taken_;
    return true;
}

void Call::check_live(std::string_view doing) const {
    if (cancel_ && cancel_->is_cancelled()) throw CancelledError(std::string(doing) + ": cancelled");
    if (now() >= deadline_) {
        ErrorDetails details;
        details.request_sent = false;
        throw TimeoutError(std::string(doing) + ": the call's deadline has passed", std::move(details));
    }
}

bool Call::retry_after_transport_failure(const HttpRequest& request, Replay replay, const Error& failure) {
    if (!failure.details().retryable) return false;  // a refused certificate, a name that does not exist
    if (replay == Replay::if_not_sent && failure.details().request_sent) return false;
    const auto delay = backoff();
    if (now() + delay > deadline_ || !take_retry()) return false;
    log()(LogLevel::warning, [&] {
        return describe(request) + ": " + failure.what() + "; retrying in " + std::to_string(delay.count()) +
               " ms (retry " + std::to_string(retries_taken_) + " of " + std::to_string(env_.retry.max_retries) + ")";
    });
    return wait(delay);
}

bool Call::retry_after_status(const HttpRequest& request, const HttpResponse& response) {
    const ErrorDetails details = reply_details(response, wall_now());
    const std::chrono::milliseconds delay = details.retry_after ? *details.retry_after : backoff();
    if (now() + delay > deadline_) {
        // Waiting would only end in a timeout: fail now, with the retry-after for the caller.
        log()(LogLevel::debug, [&] {
            return describe(request) + ": HTTP " + std::to_string(response.status) + " asks for a wait of " +
                   std::to_string(delay.count()) + " ms, beyond the call's deadline";
        });
        return false;
    }
    if (!take_retry()) return false;
    log()(LogLevel::warning, [&] {
        return describe(request) + ": HTTP " + std::to_string(response.status) + "; retrying in " +
               std::to_string(delay.count()) + " ms (retry " + std::to_string(retries_taken_) + " of " +
               std::to_string(env_.retry.max_retries) + ")";
    });
    return wait(delay);
}

bool Call::wait(std::chrono::milliseconds delay) {
    const SteadyTime until = now() + delay;
    if (until > deadline_) return false;
    if (env_.waiter(until, cancel_.get())) throw CancelledError("cancelled while waiting to retry");
    return true;
}

std::optional<std::chrono::steady_clock::time_point> Call::real_deadline() const {
    if (deadline_ == SteadyTime::max()) return std::nullopt;
    constexpr auto longest = std::chrono::hours(24 * 365);
    const auto remaining = std::clamp<std::chrono::steady_clock::duration>(deadline_ - now(),
                                                                         std::chrono::steady_clock::duration::zero(), longest);
    return std::chrono::steady_clock::now() + remaining;
}

bool Call::pause(std::chrono::milliseconds delay) {
    const SteadyTime start = now();
    const SteadyTime until = std::min(deadline_, start + delay);
    if (until > start && env_.waiter(until, cancel_.get())) throw CancelledError("cancelled while waiting");
    if (cancel_ && cancel_->is_cancelled()) throw CancelledError("cancelled while waiting");
    return start + delay <= deadline_;
}

std::chrono::milliseconds Call::backoff() const noexcept {
    auto delay = env_.retry.initial_backoff;
    for (int i = 0; i < retries_taken_ && delay < env_.retry.max_backoff; ++i) delay *= 2;
    return std::min(delay, env_.retry.max_backoff);
}

}  // namespace calbridge::detail
