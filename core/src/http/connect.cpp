// Opening a transport connection (connect.hpp): resolve, connect, proxy CONNECT, TLS handshake.
#include "http/connect.hpp"

#include "http/connection.hpp"
#include "http/tls_context.hpp"
#include "http/transport_errors.hpp"
#include "util/ascii.hpp"

#include <calbridge/errors.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace calbridge::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// How one asynchronous operation ended.
struct OpResult {
    bool finished = false;   // false: the deadline passed or the call was cancelled first
    bool cancelled = false;
    error_code ec;
    std::size_t bytes = 0;
};

struct Completion {
    OpResult* result;
    void operator()(error_code ec) const {
        result->finished = true;
        result->ec = ec;
    }
    void operator()(error_code ec, std::size_t bytes) const {
        result->finished = true;
        result->ec = ec;
        result->bytes = bytes;
    }
};

// Runs `ioc` on this thread until `finished`, the deadline, or a stop (a cancellation's wake-up),
// in slices that end when the call's poll hook is due (CancellationToken::poll_while_waiting) so
// the hook runs between them. Without a hook this is one run_until(deadline).
void run_until_polling(asio::io_context& ioc, SteadyTime deadline, CallInterrupt& call, const bool& finished) {
    for (;;) {
        const SteadyTime slice = call.poll_due(deadline);
        ioc.run_until(slice);
        if (finished || ioc.stopped() || slice >= deadline) return;
        call.poll();
    }
}

// Starts one asynchronous operation on `c` and runs the connection's io_context on this thread
// until it completes, the deadline passes or the call is cancelled. In the last two cases the
// socket is closed (the connection is finished) and the aborted operation is reaped.
template <class Initiate>
OpResult run(Connection& c, SteadyTime deadline, CallInterrupt& call, Initiate&& initiate) {
    OpResult r;
    auto wake = call.wake_with([&c] { c.ioc.stop(); });
    initiate(Completion{&r});
    c.ioc.restart();
    // A cancellation before restart() was lost by it; its flag is not.
    if (!call.cancelled()) run_until_polling(c.ioc, deadline, call, r.finished);
    if (!r.finished) {
        const bool cancelled = call.cancelled();
        c.close();
        c.ioc.restart();
        c.ioc.poll();  // the aborted operation completes now, while `r` still exists
        r = OpResult{};
        r.cancelled = cancelled;
    }
    return r;
}

std::vector<tcp::endpoint> to_endpoints(const std::vector<ResolvedAddress>& addresses) {
    std::vector<tcp::endpoint> out;
    out.reserve(addresses.size());
    for (const auto& a : addresses) {
        tcp::endpoint e;
        if (a.size > e.capacity()) continue;
        std::memcpy(e.data(), &a.address, a.size);
        e.resize(a.size);
        out.push_back(e);
    }
    return out;
}

}  // namespace

std::vector<ConnectRoute> make_connect_routes(const std::vector<ConnectTo>& entries) {
    std::vector<ConnectRoute> routes;
    for (const auto& e : entries) {
        if (e.host.empty() || e.to_host.empty()) throw ConfigurationError("connect_to: host and to_host are required");
        if (e.port == 0 || e.to_port == 0) throw ConfigurationError("connect_to: ports must be 1-65535");
        ConnectRoute r;
        r.host = detail::ascii_lower(e.host);
        r.port = e.port;
        r.to_host = detail::ascii_lower(e.to_host);
        error_code ec;
        (void)asio::ip::make_address(r.to_host, ec);
        r.to_host_is_ip = !ec;
        r.to_port = e.to_port;
        routes.push_back(std::move(r));
    }
    return routes;
}

Connector::Connector(const HttpTransportOptions& options, std::string user_agent)
    : connect_timeout_(options.connect_timeout),
      max_header_bytes_(options.max_header_bytes),
      proxy_(make_proxy_config(options)),
      routes_(make_connect_routes(options.connect_to)),
      user_agent_(std::move(user_agent)),
      tls_context_(make_client_tls_context(options.tls)) {}

ConnectionPtr Connector::open(const Target& target, CallInterrupt& call) {
    const SteadyTime now = std::chrono::steady_clock::now();
    const SteadyTime connect_deadline =
        connect_timeout_.count() > 0 && call.deadline() - now > connect_timeout_ ? now + connect_timeout_
                                                                                 : call.deadline();
    const ConnectRoute* route = nullptr;
    for (const auto& r : routes_) {
        if (r.port == target.port && r.host == target.host) {
            route = &r;
            break;
        }
    }
    if (route != nullptr && !target.tls && !is_loopback_host(route->to_host)) {
        throw ConfigurationError("connect_to may send http:// requests only to a loopback address, not " +
                                 route->to_host);
    }
    const bool via_proxy = route == nullptr && use_proxy(proxy_, target.host, target.port);
    const std::string& host = route != nullptr ? route->to_host : via_proxy ? proxy_.host : target.host;
    const bool host_is_ip = route != nullptr ? route->to_host_is_ip : via_proxy ? proxy_.host_is_ip : target.host_is_ip;
    const std::uint16_t port = route != nullptr ? route->to_port : via_proxy ? proxy_.port : target.port;
    const std::string where = via_proxy ? "proxy " + authority(host, port) : authority(host, port);

    std::vector<tcp::endpoint> endpoints;
    if (host_is_ip) {
        error_code ec;
        const auto address = asio::ip::make_address(host, ec);
        if (ec) throw ConnectionError("invalid IP address " + host, request_sent(false));
        endpoints.emplace_back(address, port);
    } else {
        endpoints = to_endpoints(resolver_.resolve(host, port, connect_deadline, call));
    }

    ConnectionPtr c(new Connection(tls_context_, target.tls));
    // Addresses in order; each gets an equal share of the time left (the last one all of it),
    // so one unreachable address (say an IPv6 route that drops packets) cannot use it all.
    OpResult r;
    error_code last_error;  // of the last address that answered with a refusal or an error
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const SteadyTime start = std::chrono::steady_clock::now();
        if (start >= connect_deadline) break;
        const auto left = static_cast<SteadyTime::rep>(endpoints.size() - i);
        const SteadyTime attempt_deadline = i + 1 == endpoints.size() ? connect_deadline
                                                                      : start + (connect_deadline - start) / left;
        error_code ec;
        c->socket().close(ec);
        c->socket().open(endpoints[i].protocol(), ec);
        if (ec) {
            last_error = ec;
            continue;
        }
        r = run(*c, attempt_deadline, call, [&](Completion done) { c->socket().async_connect(endpoints[i], done); });
        if (r.finished && !r.ec) break;
        if (r.cancelled) throw CancelledError("cancelled while connecting to " + where, request_sent(false));
        if (r.finished) last_error = r.ec;
    }
    if (!r.finished || r.ec) {
        if (!last_error) throw TimeoutError("timed out connecting to " + where, request_sent(false));
        throw ConnectionError("cannot connect to " + where + ": " + last_error.message(), request_sent(false));
    }
    connections_opened_.fetch_add(1, std::memory_order_relaxed);
    error_code ignored;
    c->socket().set_option(tcp::no_delay(true), ignored);

    if (via_proxy) connect_through_proxy(*c, target, connect_deadline, call);

    if (target.tls) {
        SSL* ssl = c->stream.native_handle();
        prepare_tls_connection(ssl, target.host, target.host_is_ip);
        r = run(*c, connect_deadline, call, [&](Completion done) {
            c->stream.async_handshake(asio::ssl::stream_base::client, done);
        });
        if (!r.finished) {
            if (r.cancelled) throw CancelledError("cancelled during the TLS handshake with " + target.origin, request_sent(false));
            throw TimeoutError("timed out in the TLS handshake with " + target.origin, request_sent(false));
        }
        if (r.ec) {
            const std::string why = certificate_failure(ssl);
            if (!why.empty()) {
                throw TlsError("the TLS certificate of " + target.origin + " was refused: " + why, permanent_failure());
            }
            throw TlsError("TLS handshake with " + target.origin + " failed: " + r.ec.message(), request_sent(false));
        }
        tls_handshakes_.fetch_add(1, std::memory_order_relaxed);
    }
    return c;
}

void Connector::connect_through_proxy(Connection& c, const Target& target, SteadyTime deadline, CallInterrupt& call) {
    const std::string where = "proxy " + authority(proxy_.host, proxy_.port);
    const std::string tunnel = authority(target.host, target.port);
    bhttp::request<bhttp::empty_body> req(bhttp::verb::connect, tunnel, 11);
    req.set(bhttp::field::host, tunnel);
    req.set(bhttp::field::user_agent, user_agent_);
    if (!proxy_.authorization.empty()) req.set(bhttp::field::proxy_authorization, proxy_.authorization);

    OpResult r = run(c, deadline, call, [&](Completion done) { bhttp::async_write(c.socket(), req, done); });
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // a CONNECT reply has no body: the tunnel follows
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header_bytes_, 1u << 30)));
    if (r.finished && !r.ec) {
        r = run(c, deadline, call, [&](Completion done) { bhttp::async_read(c.socket(), c.buffer, parser, done); });
    }
    if (!r.finished) {
        if (r.cancelled) throw CancelledError("cancelled while connecting through " + where, request_sent(false));
        throw TimeoutError("timed out connecting through " + where, request_sent(false));
    }
    if (r.ec) {
        throw ConnectionError("cannot open a tunnel through " + where + ": " + r.ec.message(), request_sent(false));
    }
    const unsigned status = parser.get().result_int();
    if (status / 100 != 2) {
        throw ConnectionError(where + " refused the tunnel to " + tunnel + " with status " + std::to_string(status),
                              request_sent(false));
    }
    if (c.buffer.size() != 0) {
        throw ConnectionError(where + " sent data before the TLS handshake", request_sent(false));
    }
}

}  // namespace calbridge::http
