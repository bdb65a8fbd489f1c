// The HTTPS transport: Boost.Beast over OpenSSL, put together from its units. A request takes
// a connection from the per-origin pool (connection_pool.hpp) or opens one (connect.hpp), runs
// the exchange on it (exchange.hpp) and gives it back when the response left it reusable. A
// pooled connection the server closed while idle is found before use (connection.hpp) or by
// the exchange, which then reports it stale: the request goes once more, on a fresh connection.
//
// I/O runs on the calling thread; there is no I/O thread and no hand-off. Opening a connection
// runs its asynchronous operations on the connection's own io_context until they complete or
// the call's deadline passes (connect.hpp); the exchange is synchronous reads and writes on the
// non-blocking socket that wait with ppoll (waiting_socket.hpp). A cancellation from another
// thread wakes either wait. An operation that did not complete leaves the connection in an
// unknown state: it is closed, never pooled, so no later request can read a stale response.
#include "http/call_interrupt.hpp"
#include "http/connect.hpp"
#include "http/connection.hpp"
#include "http/connection_pool.hpp"
#include "http/exchange.hpp"
#include "http/target.hpp"
#include "http/transport_errors.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>
#include <calbridge/version.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace calbridge::http {

namespace {

class HttpsTransport final : public Transport {
public:
    explicit HttpsTransport(const HttpTransportOptions& options)
        : limits_{options.max_header_bytes, options.max_body_bytes},
          connector_(options, options.user_agent.empty() ? std::string("calbridge/") + CALBRIDGE_VERSION_STRING
                                                         : options.user_agent),
          pool_(options.max_connections_per_origin, options.idle_timeout) {}

    HttpResponse send(const HttpRequest& request, const CallContext& ctx) override;

    TransportStats stats() const override {
        TransportStats s;
        s.requests = requests_.load(std::memory_order_relaxed);
        s.connections_opened = connector_.connections_opened();
        s.tls_handshakes = connector_.tls_handshakes();
        return s;
    }

private:
    std::shared_ptr<const Target> target_of(const std::string& url);
    ConnectionPool::Lease take_connection(const Target& target, bool fresh, CallInterrupt& call);

    const ResponseLimits limits_;
    Connector connector_;
    ConnectionPool pool_;  // after the connector (its TLS context): its connections go first
    // parse_target() of recently used URLs: a session calls the same few URLs again and again.
    // Only valid targets are kept; cleared when full.
    std::mutex targets_mutex_;
    std::unordered_map<std::string, std::shared_ptr<const Target>> targets_;
    std::atomic<std::uint64_t> requests_{0};
};

std::shared_ptr<const Target> HttpsTransport::target_of(const std::string& url) {
    constexpr std::size_t kMaxCachedTargets = 64;
    {
        std::lock_guard lock(targets_mutex_);
        if (auto it = targets_.find(url); it != targets_.end()) return it->second;
    }
    auto target = std::make_shared<const Target>(parse_target(url));  // throws for a URL it refuses
    std::lock_guard lock(targets_mutex_);
    if (targets_.size() >= kMaxCachedTargets) targets_.clear();
    targets_.emplace(url, target);
    return target;
}

HttpResponse HttpsTransport::send(const HttpRequest& request, const CallContext& ctx) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    const std::shared_ptr<const Target> parsed_target = target_of(request.url);
    const Target& target = *parsed_target;
    const WireRequest req = build_request(request, target, connector_.user_agent());
    CallInterrupt call(ctx);

    // A second attempt only after a reused connection turned out closed by the server (see
    // exchange()), on a fresh connection.
    bool sent_before = false;
    for (int attempt = 0;; ++attempt) {
        try {
            if (call.cancelled()) throw CancelledError("request cancelled", request_sent(false));
            if (std::chrono::steady_clock::now() >= call.deadline()) {
                throw TimeoutError("request deadline passed before " + target.origin + " was reached",
                                   request_sent(false));
            }
            ConnectionPool::Lease lease = take_connection(target, attempt > 0, call);
            if (lease.connection() == nullptr) lease.attach(connector_.open(target, call));
            ExchangeResult ex =
                exchange(*lease.connection(), req, target, limits_, lease.reused(), attempt == 0, call);
            if (ex.stale) {
                sent_before = ex.sent;
                continue;  // the lease closes the connection
            }
            if (ex.reusable) lease.release();
            return std::move(ex.response);
        } catch (const Error& e) {
            // The first attempt's bytes may have reached the server, whatever the second did.
            if (!sent_before || e.details().request_sent) throw;
            ErrorDetails details = e.details();
            details.request_sent = true;
            throw_error(e.code(), e.what(), std::move(details));
        }
    }
}

ConnectionPool::Lease HttpsTransport::take_connection(const Target& target, bool fresh, CallInterrupt& call) {
    for (;;) {
        ConnectionPool::Lease lease = pool_.acquire(target.origin, fresh, call.deadline(), call);
        if (lease.connection() == nullptr || looks_alive(*lease.connection())) return lease;
        // Closed by the server while idle: the lease closes it; take another or open one.
    }
}

}  // namespace

}  // namespace calbridge::http

namespace calbridge {

std::shared_ptr<Transport> make_http_transport(const HttpTransportOptions& options) {
    if (options.max_connections_per_origin == 0) {
        throw ConfigurationError("max_connections_per_origin must be at least 1");
    }
    if (options.max_header_bytes == 0 || options.max_body_bytes == 0) {
        throw ConfigurationError("response size limits must be positive");
    }
    return std::make_shared<http::HttpsTransport>(options);
}

}  // namespace calbridge
