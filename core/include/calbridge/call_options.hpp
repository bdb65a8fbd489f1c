// Per-call options and the retry budget: what every call of a Session or Client takes.
#pragma once

#include <calbridge/clock.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace calbridge {

class CancellationToken;  // calbridge/transport.hpp

// How many times one logical call may send a request again, and how long it waits first when
// the server gave no Retry-After. The budget is shared by everything the call does: transport
// retries, Retry-After and backoff waits, and the retry after a 401.
//
// Retried, within the budget and the call's deadline: a failed connect, TLS handshake or
// dropped connection, a name lookup that failed for now (EAI_AGAIN); and for requests that are
// safe to send twice, 429, 502, 503 and 504 (waiting Retry-After when the server gave one and
// it ends before the deadline, else the backoff). A request that is not safe to send twice (a
// code exchange, a refresh) is retried only when none of it left this machine. Never retried:
// a refused TLS certificate, a host name that does not exist (EAI_NONAME), any other status.
struct RetryPolicy {
    int max_retries = 3;
    std::chrono::milliseconds initial_backoff{200};  // doubled after each retry
    std::chrono::milliseconds max_backoff{5'000};
};

// Per call. Everything the call does (a refresh, the retry after a 401, transport retries,
// Retry-After waits, waiting for another thread's refresh) comes out of one deadline.
struct CallOptions {
    // Absolute, on the client's steady clock; wins over `timeout`. Useful to give several calls
    // (e.g. every page of a listing) one deadline together.
    std::optional<SteadyTime> deadline;
    // From the start of the call; default: the configuration's request timeout.
    std::optional<std::chrono::milliseconds> timeout;
    // Cancels the call from another thread (CancelledError); waits wake at once.
    std::shared_ptr<CancellationToken> cancel;
};

}  // namespace calbridge
