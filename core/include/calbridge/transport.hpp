// The seam between OAuth/calendar logic and the bytes on the wire. The core's default
// transport is Boost.Beast over OpenSSL (core/src/http); tests swap in a scripted fake that
// asserts exact requests. Nothing here knows about OAuth.
#pragma once

#include <calbridge/config.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge {

using SteadyTime = std::chrono::steady_clock::time_point;

struct HttpHeader {
    std::string name;
    std::string value;
};

struct HttpRequest {
    std::string method;  // "GET", "POST", "DELETE"
    std::string url;     // absolute: "https://api.cronofy.com/v1/calendars?..."
    std::vector<HttpHeader> headers;  // Host, Content-Length and Connection are the transport's
    std::string body;

    // Case-insensitive; nullptr when absent.
    const std::string* header(std::string_view name) const noexcept;
};

struct HttpResponse {
    int status = 0;
    std::vector<HttpHeader> headers;
    std::string body;

    // Case-insensitive; the first of repeated headers; nullptr when absent.
    const std::string* header(std::string_view name) const noexcept;
};

// Cancels a call from another thread. Cheap to check; waits and transports subscribe to be
// woken at once. Thread-safe.
class CancellationToken {
public:
    void cancel();
    bool is_cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

    // Runs `fn` when the token is cancelled (at once, on this thread, if it already is), until
    // the returned subscription is destroyed; once the destructor returns, `fn` is not running
    // and will not run. `fn` runs on the cancelling thread with the token's lock held: keep it
    // short and non-blocking (e.g. post a cancel to an io_context) and do not touch the token.
    class Subscription {
    public:
        Subscription() = default;
        Subscription(Subscription&&) noexcept;
        Subscription& operator=(Subscription&&) noexcept;
        Subscription(const Subscription&) = delete;
        Subscription& operator=(const Subscription&) = delete;
        ~Subscription();

    private:
        friend class CancellationToken;
        Subscription(CancellationToken* token, std::list<std::function<void()>>::iterator it)
            : token_(token), it_(it) {}
        void reset() noexcept;
        CancellationToken* token_ = nullptr;
        std::list<std::function<void()>>::iterator it_;
    };
    [[nodiscard]] Subscription on_cancel(std::function<void()> fn);

    // Waits until `until` or cancellation, whichever comes first. True if cancelled.
    bool wait_until(SteadyTime until);

    // A poll hook, for a caller that can notice an interruption only by checking for one
    // (Python checks for Ctrl-C this way: bindings/src/blocking.cpp). While a call with this
    // token waits (for the network, a free connection, a name lookup, a token renewal in
    // flight, a Retry-After or backoff), the waiting thread runs `hook(*this)` at least every
    // `every`, with no calbridge lock held. The first run is `every` after the call's first
    // wait began, so a call done sooner never runs it. The hook may cancel the token (the call
    // then ends with CancelledError) and must not throw. Set it before the token is handed to a
    // call; every thread that waits with the token may run it.
    void poll_while_waiting(std::chrono::milliseconds every, std::function<void(CancellationToken&)> hook);

    // For code that waits (the waits above; a Transport that waits may do the same): wait in
    // slices that end at poll_due(until), and after a slice that ended before `until`, call
    // poll() with no lock held. poll_due is `until` itself when there is no hook, and poll()
    // runs the hook only when its time has come.
    SteadyTime poll_due(SteadyTime until) noexcept;
    void poll();

private:
    std::atomic<bool> cancelled_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    std::list<std::function<void()>> callbacks_;
    std::chrono::steady_clock::duration poll_every_{};
    std::function<void(CancellationToken&)> poll_hook_;
    // The hook's next run as steady-clock ticks since the epoch; 0 until the first wait.
    std::atomic<std::chrono::steady_clock::rep> next_poll_{0};
};

// What every transport call gets: the logical call's deadline and its cancellation token.
struct CallContext {
    SteadyTime deadline = SteadyTime::max();
    std::shared_ptr<CancellationToken> cancel;  // may be null
};

// Counters a transport keeps (tests and benchmarks read them).
struct TransportStats {
    std::uint64_t requests = 0;
    std::uint64_t connections_opened = 0;
    std::uint64_t tls_handshakes = 0;
};

class Transport {
public:
    virtual ~Transport() = default;

    // Sends one request and reads the whole response before ctx.deadline, on the calling
    // thread. Never follows redirects (a 3xx is returned as a response). Throws:
    //  - TimeoutError when the deadline passes, CancelledError when ctx.cancel fires;
    //  - ConnectionError (resolve, connect, connection dropped) and TlsError (handshake,
    //    verification). Their details().request_sent says whether any byte of the request may
    //    have reached the server: false means it is safe to retry even a non-idempotent
    //    request (a code exchange, a refresh);
    //    details().retryable is false when sending again cannot succeed (a refused certificate,
    //    a host name that does not exist): calls do not retry those;
    //  - ProtocolError for a malformed or oversized response.
    // Thread-safe: many threads may send at once.
    virtual HttpResponse send(const HttpRequest& request, const CallContext& ctx) = 0;

    virtual TransportStats stats() const { return {}; }
};

// Connect somewhere else for one host and port, as curl's --connect-to: a request to
// `host`:`port` keeps its URL, Host header, SNI and certificate name check, and only its TCP
// connection goes to `to_host`:`to_port` (a name or an IP address), never through a proxy. For
// staging addresses and for tests that serve a production host name from a loopback port.
struct ConnectTo {
    std::string host;  // as in request URLs, compared case-insensitively; IPv6 without brackets
    std::uint16_t port = 443;
    std::string to_host;
    std::uint16_t to_port = 443;
};

// The HTTPS transport: Boost.Beast over OpenSSL, with keep-alive connections pooled per origin.
struct HttpTransportOptions {
    // Connections per origin (scheme, host, port), idle and busy together. A request that finds
    // them all busy waits for one, within its deadline.
    std::size_t max_connections_per_origin = 8;
    std::size_t max_header_bytes = 64 * 1024;       // a larger response header is a ProtocolError
    std::size_t max_body_bytes = 8 * 1024 * 1024;   // a larger response body is a ProtocolError
    // Resolve + connect (+ proxy CONNECT) + TLS handshake of a new connection, within the
    // request's own deadline.
    std::chrono::milliseconds connect_timeout{10'000};
    // A pooled connection idle longer than this is closed instead of reused.
    std::chrono::milliseconds idle_timeout{30'000};
    TlsTrust tls;
    std::string user_agent;  // empty: "calbridge/<version>"; a request's own User-Agent wins
    // HTTPS proxy through HTTP CONNECT: "http://[user:password@]host[:port]". When `proxy` is
    // empty and use_proxy_env is set, HTTPS_PROXY/https_proxy and NO_PROXY/no_proxy are read
    // once, when the transport is made. Loopback hosts never go through a proxy.
    bool use_proxy_env = true;
    std::string proxy;
    std::string no_proxy;  // comma-separated host names, domain suffixes, IP addresses or "*"
    // The first entry matching a request's host and port wins. http:// requests (loopback
    // only) may be sent only to a loopback to_host.
    std::vector<ConnectTo> connect_to;
};

// Throws ConfigurationError for options it cannot honour (an unreadable CA file, a PEM
// without certificates, a malformed proxy URL, a zero limit, a connect_to entry without hosts
// or with port 0).
std::shared_ptr<Transport> make_http_transport(const HttpTransportOptions& options);

// The transport a Client uses unless given another: the Beast transport with the config's
// TLS trust, connect timeout and user agent.
std::shared_ptr<Transport> make_default_transport(const Config& config);

}  // namespace calbridge
