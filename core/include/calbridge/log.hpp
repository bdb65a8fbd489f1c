// Logging: the application gives a sink and a level; calbridge calls the sink with one line of
// text per event.
//
// What reaches the sink is built from redacted values only: tokens, the client secret,
// authorization codes and PKCE verifiers never appear in it, not even at trace level (at most
// the last 4 characters of a secret of 20 characters or more, as Secret::redacted() shows).
// The sink runs on the thread that made the call, never while calbridge holds a lock, and may
// be called from several threads at once. An exception it throws is swallowed: logging never
// fails a call.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>

namespace calbridge {

enum class LogLevel : int {
    trace = 0,  // every request and reply line, every wait
    debug = 1,  // token lifecycle decisions: adopt, renew, wait for a renewal in flight
    info = 2,   // a code exchanged, a token refreshed, a grant revoked (also one that was revoked
                // already), a grant found gone: reauthorization required
    warning = 3,  // retries, a store write that failed, a conflicting concurrent write
    error = 4,  // nothing the core logs today: every failure it meets is also raised to the caller
    off = 5,    // as a threshold: log nothing
};

// "trace", "debug", "info", "warning", "error", "off".
std::string_view log_level_name(LogLevel level) noexcept;

// Called with the event's level and its message (no trailing newline).
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

// A threshold the application may change while calls run (to follow a logging framework's
// configuration): read with a relaxed atomic load at every log point, from any thread.
using LogThreshold = std::shared_ptr<const std::atomic<LogLevel>>;

}  // namespace calbridge
