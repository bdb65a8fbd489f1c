// Opening a transport connection: connect_to routes, the name lookup, TCP connect (each address
// its share of the time), the proxy's CONNECT tunnel, and the TLS handshake with its
// verification. These run as asynchronous operations on the connection's io_context, which the
// calling thread runs until they complete, the connect deadline passes or the call is cancelled
// (a cancellation from another thread stops the io_context). A connection whose operation did
// not complete is closed: only a fully opened one is returned.
#pragma once

#include "http/call_interrupt.hpp"
#include "http/connection_pool.hpp"
#include "http/proxy.hpp"
#include "http/resolver.hpp"
#include "http/target.hpp"

#include <calbridge/transport.hpp>

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace calbridge::http {

struct Connection;

// A connect_to entry, checked and normalized once.
struct ConnectRoute {
    std::string host;  // lower case, as Target::host
    std::uint16_t port = 0;
    std::string to_host;
    bool to_host_is_ip = false;
    std::uint16_t to_port = 0;
};

// Throws ConfigurationError for an entry without hosts or with port 0.
std::vector<ConnectRoute> make_connect_routes(const std::vector<ConnectTo>& entries);

// Opens connections for one transport: its routes, proxy, TLS trust and name lookups.
class Connector {
public:
    // Throws ConfigurationError for a proxy, connect_to entry or TLS trust it cannot use.
    Connector(const HttpTransportOptions& options, std::string user_agent);
    Connector(const Connector&) = delete;
    Connector& operator=(const Connector&) = delete;

    // A connection to `target`, ready for requests, within options.connect_timeout and the
    // call's deadline. Throws ConnectionError, TimeoutError, CancelledError or TlsError, never
    // with request_sent (a refused certificate is not retryable), and ConfigurationError for an
    // http:// route to a host that is not loopback.
    ConnectionPtr open(const Target& target, CallInterrupt& call);

    const std::string& user_agent() const noexcept { return user_agent_; }
    std::uint64_t connections_opened() const noexcept { return connections_opened_.load(std::memory_order_relaxed); }
    std::uint64_t tls_handshakes() const noexcept { return tls_handshakes_.load(std::memory_order_relaxed); }

private:
    void connect_through_proxy(Connection& c, const Target& target, SteadyTime deadline, CallInterrupt& call);

    const std::chrono::milliseconds connect_timeout_;
    const std::size_t max_header_bytes_;  // of the proxy's reply to CONNECT
    const ProxyConfig proxy_;
    const std::vector<ConnectRoute> routes_;
    const std::string user_agent_;
    boost::asio::ssl::context tls_context_;
    Resolver resolver_;
    std::atomic<std::uint64_t> connections_opened_{0};
    std::atomic<std::uint64_t> tls_handshakes_{0};
};

}  // namespace calbridge::http
