// The HTTPS transport: Boost.Beast over OpenSSL. The only unit of the core that includes Beast.
//
// I/O runs on the calling thread. Each connection owns a small io_context (one thread at a
// time), so a pooled connection moves between threads together with its executor: a request
// takes a connection from the pool, runs that connection's io_context on its own thread until
// the operation completes or the call's deadline passes (io_context::run_until), and gives the
// connection back. There is no I/O thread and no hand-off. A cancellation from another thread
// stops that io_context. An operation that did not complete leaves the connection in an
// unknown state: it is closed, never pooled, so no later request can read a stale response.
// A request and its response (the exchange) are synchronous Beast operations over the
// non-blocking socket that wait for readiness with ppoll(2) (WaitingSocket): one wait per round
// trip; a cancellation wakes it through the connection's eventfd.
#include "http/call_interrupt.hpp"
#include "http/connection_pool.hpp"
#include "http/proxy.hpp"
#include "http/resolver.hpp"
#include "http/target.hpp"
#include "http/tls_context.hpp"
#include "http/transport_errors.hpp"
#include "util/ascii.hpp"
#include "util/http_method.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>
#include <calbridge/version.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace calbridge::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

struct Connection;

// Waits until the connection's socket is ready for `what`, at most until the deadline of the
// exchange in progress (see Connection::IoScope). False, with `ec` set, when it timed out, was
// cancelled or failed: the socket is then closed.
bool wait_for_socket(Connection& c, tcp::socket::wait_type what, error_code& ec);

// The layer under TLS. Requests and responses go over synchronous reads and writes of a
// non-blocking socket, so a call costs no more system calls than the bytes need: a read or
// write that would block waits for readiness with one ppoll(2) on the socket and the
// connection's wake-up eventfd, which keeps the call's deadline, cancellation and poll hook.
// Only a failed wait ends an operation early, and then the connection is finished: TLS output
// lost with it does not matter. The TLS handshake and the proxy CONNECT still go through the
// asynchronous operations.
class WaitingSocket {
public:
    using executor_type = tcp::socket::executor_type;
    using lowest_layer_type = tcp::socket::lowest_layer_type;

    WaitingSocket(asio::io_context& ioc, Connection& owner) : socket_(ioc), owner_(owner) {}

    tcp::socket& socket() noexcept { return socket_; }
    executor_type get_executor() noexcept { return socket_.get_executor(); }
    lowest_layer_type& lowest_layer() noexcept { return socket_.lowest_layer(); }
    const lowest_layer_type& lowest_layer() const noexcept { return socket_.lowest_layer(); }

    // Bytes that left through write_some: zero means no byte of the request reached the server.
    std::uint64_t bytes_written() const noexcept { return bytes_written_; }
    // The next read waits for data before trying: right after a request, the reply cannot be
    // there yet, and a read would only return EAGAIN.
    void expect_reply() noexcept { wait_before_read_ = true; }

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
        for (;;) {
            if (!std::exchange(wait_before_read_, false)) {
                const std::size_t n = socket_.read_some(buffers, ec);
                if (ec != asio::error::would_block && ec != asio::error::try_again) return n;
            }
            if (!wait_for_socket(owner_, tcp::socket::wait_read, ec)) return 0;
        }
    }

    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
        for (;;) {
            const std::size_t n = socket_.write_some(buffers, ec);
            if (ec != asio::error::would_block && ec != asio::error::try_again) {
                bytes_written_ += n;
                return n;
            }
            if (!wait_for_socket(owner_, tcp::socket::wait_write, ec)) return 0;
        }
    }

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers) {
        error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers) {
        error_code ec;
        const std::size_t n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

    template <class MutableBufferSequence, class Token>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
        return socket_.async_read_some(buffers, std::forward<Token>(token));
    }

    template <class ConstBufferSequence, class Token>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
        return socket_.async_write_some(buffers, std::forward<Token>(token));
    }

private:
    tcp::socket socket_;
    Connection& owner_;
    std::uint64_t bytes_written_ = 0;
    bool wait_before_read_ = false;
};

struct Connection {
    Connection(asio::ssl::context& tls_context, bool use_tls)
        : stream(WaitingSocket(ioc, *this), tls_context), tls(use_tls) {}
    ~Connection() {
        if (wake_fd >= 0) ::close(wake_fd);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    WaitingSocket& waiting_socket() noexcept { return stream.next_layer(); }
    tcp::socket& socket() noexcept { return waiting_socket().socket(); }

    // Calls `f` with the stream requests go over: TLS, or the bare socket (http:// to loopback).
    template <class F>
    void with_stream(F&& f) {
        if (tls) {
            f(stream);
        } else {
            f(waiting_socket());
        }
    }

    void close() noexcept {
        error_code ignored;
        socket().close(ignored);
    }

    // The deadline and interruption that waits of WaitingSocket honour, for one exchange.
    class IoScope {
    public:
        IoScope(Connection& c, CallInterrupt& call) : c_(c) {
            c_.io_call = &call;
            c_.io_timed_out = false;
            c_.io_cancelled = false;
        }
        ~IoScope() { c_.io_call = nullptr; }
        IoScope(const IoScope&) = delete;
        IoScope& operator=(const IoScope&) = delete;

    private:
        Connection& c_;
    };

    asio::io_context ioc{1};  // first: outlives the stream and any handler still queued
    beast::ssl_stream<WaitingSocket> stream;
    beast::flat_buffer buffer;
    bool tls;
    CallInterrupt* io_call = nullptr;  // set by IoScope
    int wake_fd = -1;                  // an eventfd a cancellation writes to (made at the first wait)
    bool io_timed_out = false;         // a wait in this scope ran out of time
    bool io_cancelled = false;         // a wait in this scope was cancelled
};

void destroy_connection(Connection* connection) noexcept { delete connection; }

void abandon_connection_after_fork(Connection* connection) noexcept {
    if (connection == nullptr) return;
    try {
        // The child's reactor shares its epoll set with the parent's: give the child its own
        // before the socket is closed, so nothing of the parent's registration changes.
        connection->ioc.notify_fork(asio::execution_context::fork_child);
    } catch (...) {
        return;  // leak it rather than disturb the parent
    }
    delete connection;  // closes the child's descriptor only; no TLS close_notify is sent
}

namespace {

constexpr std::size_t kMaxInformationalResponses = 8;

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

}  // namespace

bool wait_for_socket(Connection& c, tcp::socket::wait_type what, error_code& ec) {
    if (c.io_call == nullptr) {
        ec = asio::error::would_block;  // outside an exchange: nothing to wait to
        return false;
    }
    CallInterrupt& call = *c.io_call;
    if (c.wake_fd < 0) {
        c.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (c.wake_fd < 0) {
            ec = error_code(errno, boost::system::system_category());
            c.close();
            return false;
        }
    }
    // A cancellation writes to the eventfd; one that came before is seen by cancelled() below.
    auto wake = call.wake_with([fd = c.wake_fd] { (void)::eventfd_write(fd, 1); });
    const SteadyTime deadline = call.deadline();
    for (;;) {
        const bool cancelled = call.cancelled();
        const SteadyTime now = std::chrono::steady_clock::now();
        if (cancelled || now >= deadline) {
            (cancelled ? c.io_cancelled : c.io_timed_out) = true;
            ec = cancelled ? asio::error::operation_aborted : asio::error::timed_out;
            c.close();  // the connection is finished: never pooled
            return false;
        }
        // In slices that end when the call's poll hook is due (CancellationToken::poll_while_waiting).
        const SteadyTime slice = call.poll_due(deadline);
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::min<SteadyTime::duration>(std::max(slice, now) - now, std::chrono::hours(24)));
        timespec timeout{};
        timeout.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
        timeout.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
        pollfd fds[2]{};
        fds[0].fd = c.socket().native_handle();
        fds[0].events = what == tcp::socket::wait_write ? POLLOUT : POLLIN;
        fds[1].fd = c.wake_fd;
        fds[1].events = POLLIN;
        const int n = ::ppoll(fds, 2, &timeout, nullptr);
        if (n < 0 && errno != EINTR) {
            ec = error_code(errno, boost::system::system_category());
            c.close();
            return false;
        }
        if (n > 0 && fds[1].revents != 0) {
            // Emptied, then cancelled() says whether it was this call's cancellation (or one that
            // came too late for the previous call on this connection).
            eventfd_t count = 0;
            (void)::eventfd_read(c.wake_fd, &count);
            continue;
        }
        // Ready, or in error or hung up: the read or write that follows says which.
        if (n > 0 && fds[0].revents != 0) return true;
        if (n == 0 && slice < deadline) call.poll();
    }
}

namespace {

bool is_connection_closed(const error_code& ec) noexcept {
    return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
           ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset ||
           ec == asio::error::connection_aborted || ec == asio::error::broken_pipe;
}

bool is_http_parse_error(const error_code& ec) noexcept {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category();
}

bool is_token(std::string_view s) noexcept {
    static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
        return detail::is_ascii_alnum(ch) || specials.find(ch) != std::string_view::npos;
    });
}

bool is_field_value(std::string_view s) noexcept {
    return std::none_of(s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; });
}

// A connect_to entry, checked and normalized once.
struct ConnectRoute {
    std::string host;  // lower case, as Target::host
    std::uint16_t port = 0;
    std::string to_host;
    bool to_host_is_ip = false;
    std::uint16_t to_port = 0;
};

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

// A pooled connection may have been closed by the server while idle: then its socket is
// readable (EOF, a TLS close_notify) or in error. Checked without blocking before reuse.
bool looks_alive(Connection& c) {
    if (c.buffer.size() != 0) return false;
    if (c.tls && SSL_pending(c.stream.native_handle()) > 0) return false;
    pollfd p{};
    p.fd = c.socket().native_handle();
    p.events = POLLIN | POLLRDHUP;
    return ::poll(&p, 1, 0) == 0;
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

class HttpsTransport final : public Transport {
public:
    explicit HttpsTransport(const HttpTransportOptions& options)
        : options_(options),
          proxy_(make_proxy_config(options)),
          routes_(make_connect_routes(options.connect_to)),
          user_agent_(options.user_agent.empty() ? std::string("calbridge/") + CALBRIDGE_VERSION_STRING
                                                 : options.user_agent),
          tls_context_(make_client_tls_context(options.tls)),
          pool_(options.max_connections_per_origin, options.idle_timeout) {}

    HttpResponse send(const HttpRequest& request, const CallContext& ctx) override;

    TransportStats stats() const override {
        TransportStats s;
        s.requests = requests_.load(std::memory_order_relaxed);
        s.connections_opened = connections_opened_.load(std::memory_order_relaxed);
        s.tls_handshakes = tls_handshakes_.load(std::memory_order_relaxed);
        return s;
    }

private:
    struct Exchange {
        bool stale = false;  // a reused connection the server had closed: try a fresh one
        bool sent = false;   // with `stale`: bytes of the request were written
        bool reusable = false;
        HttpResponse response;
    };

    std::shared_ptr<const Target> target_of(const std::string& url);
    bhttp::request<bhttp::string_body> build_request(const HttpRequest& request, const Target& target) const;
    ConnectionPool::Lease take_connection(const Target& target, bool fresh, CallInterrupt& call);
    ConnectionPtr open_connection(const Target& target, CallInterrupt& call);
    void connect_through_proxy(Connection& c, const Target& target, SteadyTime deadline, CallInterrupt& call);
    Exchange exchange(Connection& c, const bhttp::request<bhttp::string_body>& req, const Target& target,
                      bool reused, bool may_retry, CallInterrupt& call);

    const HttpTransportOptions options_;
    const ProxyConfig proxy_;
    const std::vector<ConnectRoute> routes_;
    const std::string user_agent_;
    asio::ssl::context tls_context_;
    Resolver resolver_;
    ConnectionPool pool_;  // after the TLS context: its connections go first
    // parse_target() of recently used URLs: a session calls the same few URLs again and again.
    // Only valid targets are kept; cleared when full.
    std::mutex targets_mutex_;
    std::unordered_map<std::string, std::shared_ptr<const Target>> targets_;
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> connections_opened_{0};
    std::atomic<std::uint64_t> tls_handshakes_{0};
};

bhttp::request<bhttp::string_body> HttpsTransport::build_request(const HttpRequest& request,
                                                                 const Target& target) const {
    if (!is_token(request.method)) throw InvalidArgumentError("request method is not an HTTP token");
    bhttp::request<bhttp::string_body> req;
    const auto verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown || verb == bhttp::verb::connect) {
        if (verb == bhttp::verb::connect) throw InvalidArgumentError("CONNECT is not a request calbridge sends");
        req.method_string(request.method);
    } else {
        req.method(verb);
    }
    req.target(target.request_target);
    req.version(11);
    req.set(bhttp::field::host, target.host_header);
    bool has_user_agent = false;
    for (const auto& h : request.headers) {
        // Values are not quoted in these messages: an Authorization header is a secret.
        if (!is_token(h.name)) throw InvalidArgumentError("request header name is not an HTTP token");
        if (!is_field_value(h.value)) {
            throw InvalidArgumentError("request header " + h.name + " contains a line break or NUL");
        }
        // Framing and routing are the transport's.
        if (detail::iequals(h.name, "Host") || detail::iequals(h.name, "Content-Length") || detail::iequals(h.name, "Connection") ||
            detail::iequals(h.name, "Transfer-Encoding")) {
            continue;
        }
        if (detail::iequals(h.name, "User-Agent")) has_user_agent = true;
        req.insert(h.name, h.value);
    }
    if (!has_user_agent) req.set(bhttp::field::user_agent, user_agent_);
    req.body() = request.body;
    req.prepare_payload();
    return req;
}

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
    const auto req = build_request(request, target);
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
            if (lease.connection() == nullptr) lease.attach(open_connection(target, call));
            Exchange ex = exchange(*lease.connection(), req, target, lease.reused(), attempt == 0, call);
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

ConnectionPtr HttpsTransport::open_connection(const Target& target, CallInterrupt& call) {
    const SteadyTime now = std::chrono::steady_clock::now();
    const SteadyTime connect_deadline =
        options_.connect_timeout.count() > 0 && call.deadline() - now > options_.connect_timeout
            ? now + options_.connect_timeout
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

void HttpsTransport::connect_through_proxy(Connection& c, const Target& target, SteadyTime deadline,
                                           CallInterrupt& call) {
    const std::string where = "proxy " + authority(proxy_.host, proxy_.port);
    const std::string tunnel = authority(target.host, target.port);
    bhttp::request<bhttp::empty_body> req(bhttp::verb::connect, tunnel, 11);
    req.set(bhttp::field::host, tunnel);
    req.set(bhttp::field::user_agent, user_agent_);
    if (!proxy_.authorization.empty()) req.set(bhttp::field::proxy_authorization, proxy_.authorization);

    OpResult r = run(c, deadline, call, [&](Completion done) { bhttp::async_write(c.socket(), req, done); });
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // a CONNECT reply has no body: the tunnel follows
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_header_bytes, 1u << 30)));
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

HttpsTransport::Exchange HttpsTransport::exchange(Connection& c, const bhttp::request<bhttp::string_body>& req,
                                                  const Target& target, bool reused, bool may_retry,
                                                  CallInterrupt& call) {
    const bool idempotent =
        detail::is_retry_safe_method(std::string_view(req.method_string().data(), req.method_string().size()));

    // Synchronous Beast operations over the non-blocking socket (see WaitingSocket): the whole
    // exchange waits in the io_context only when the socket is not ready.
    Connection::IoScope io(c, call);
    error_code ec;
    if (!c.socket().non_blocking()) c.socket().non_blocking(true, ec);
    if (ec) throw ConnectionError("cannot use the connection to " + target.origin + ": " + ec.message(), request_sent(false));
    const std::uint64_t written_before = c.waiting_socket().bytes_written();
    c.with_stream([&](auto& stream) { bhttp::write(stream, req, ec); });
    if (c.io_cancelled) throw CancelledError("cancelled while sending to " + target.origin, request_sent(true));
    if (c.io_timed_out) throw TimeoutError("timed out sending the request to " + target.origin, request_sent(true));
    if (ec) {
        const bool nothing_sent = c.waiting_socket().bytes_written() == written_before;
        if (reused && may_retry && (nothing_sent || idempotent)) return Exchange{true, !nothing_sent, false, {}};
        throw ConnectionError("connection to " + target.origin + " lost while sending the request: " + ec.message(),
                              request_sent(!nothing_sent));
    }
    c.waiting_socket().expect_reply();

    const bool head = req.method() == bhttp::verb::head;
    for (std::size_t informational = 0;; ++informational) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_header_bytes, 1u << 30)));
        parser.body_limit(static_cast<std::uint64_t>(options_.max_body_bytes));
        if (head) parser.skip(true);
        ec = {};
        c.with_stream([&](auto& stream) { bhttp::read(stream, c.buffer, parser, ec); });
        if (c.io_cancelled) throw CancelledError("cancelled while waiting for " + target.origin, request_sent(true));
        if (c.io_timed_out) {
            throw TimeoutError("timed out waiting for the response of " + target.origin, request_sent(true));
        }
        if (ec) {
            const bool nothing_received = informational == 0 && !parser.got_some() && c.buffer.size() == 0;
            if (nothing_received && reused && may_retry && idempotent && is_connection_closed(ec)) {
                return Exchange{true, true, false, {}};
            }
            if (ec == bhttp::error::header_limit) {
                throw ProtocolError("the response header of " + target.origin + " exceeds " +
                                        std::to_string(options_.max_header_bytes) + " bytes",
                                    request_sent(true));
            }
            if (ec == bhttp::error::body_limit) {
                throw ProtocolError("the response body of " + target.origin + " exceeds " +
                                        std::to_string(options_.max_body_bytes) + " bytes",
                                    request_sent(true));
            }
            if (is_http_parse_error(ec) && !is_connection_closed(ec)) {
                throw ProtocolError("malformed HTTP response from " + target.origin + ": " + ec.message(),
                                    request_sent(true));
            }
            throw ConnectionError(std::string("connection to ") + target.origin +
                                      (nothing_received ? " closed before the response: " : " closed mid-response: ") +
                                      ec.message(),
                                  request_sent(true));
        }
        auto& res = parser.get();
        const unsigned status = res.result_int();
        // Beast takes any three digits; RFC 9110 §15 allows 100 to 599 ("024" was read as 24).
        if (status < 100 || status > 599) {
            throw ProtocolError("malformed HTTP response from " + target.origin + ": status " + std::to_string(status) +
                                    " is outside 100 to 599",
                                request_sent(true));
        }
        if (status >= 100 && status < 200 && status != 101) {
            // 100 Continue, 103 Early Hints: the real response follows.
            if (informational + 1 >= kMaxInformationalResponses) {
                throw ProtocolError("too many informational responses from " + target.origin, request_sent(true));
            }
            continue;
        }
        Exchange ex;
        ex.response.status = static_cast<int>(status);
        for (const auto& field : res) {
            ex.response.headers.push_back(HttpHeader{std::string(field.name_string()), std::string(field.value())});
        }
        ex.response.body = std::move(res.body());
        // Only a response whose end the parser knew without EOF, and nothing after it.
        ex.reusable = !res.need_eof() && status != 101 && c.buffer.size() == 0;
        return ex;
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
