// The sandbox's only Asio/Beast translation unit (the library code itself is compiled once in
// calbridge_beast). Shaped after Beast's advanced async servers: one strand per connection,
// a timeout on every operation, keep-alive, header and body limits, and no thread ever
// blocked (delays are timers, in slices that notice a client hanging up).
#include "server.hpp"

#include "crypto.hpp"

#include "times.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <array>
#include <atomic>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace calbridge::sandbox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t header_limit = 16 * 1024;
// After answering a request it refuses, the server reads and drops what the client still
// sends (a lingering close, as nginx does), so that the client sees the answer instead of a
// reset connection: until the client has been silent for drain_idle, at most drain_limit
// bytes and drain_total time.
constexpr std::size_t drain_limit = 16 * 1024 * 1024;
constexpr auto drain_idle = std::chrono::milliseconds(300);
constexpr auto drain_total = std::chrono::seconds(10);
constexpr auto shutdown_timeout = std::chrono::seconds(2);

struct Shared {
    ServerOptions options;
    Handler handler;
    Counters& counters;
};

bool is_admin_target(std::string_view target) {
    return target == "/admin" || target.rfind("/admin/", 0) == 0 || target.rfind("/admin?", 0) == 0;
}

// A JSON string's contents (the server's own error bodies carry library messages).
std::string json_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
    return out;
}

const beast::error_category& http_category() {
    static const beast::error_category& c = http::make_error_code(http::error::bad_target).category();
    return c;
}

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
    static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

public:
    template <class... Args>
    Connection(Shared& shared, tcp::socket&& socket, Args&... args)
        : shared_(shared), stream_(std::move(socket), args...), timer_(stream_.get_executor()) {
        shared_.counters.connection_opened();
    }

    ~Connection() {
        finish_request();
        shared_.counters.connection_closed();
    }

    void run() {
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Connection::on_run, this->shared_from_this()));
    }

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

    void on_run() {
        if constexpr (tls) {
            lowest().expires_after(shared_.options.timeout);
            stream_.async_handshake(ssl::stream_base::server,
                                    beast::bind_front_handler(&Connection::on_handshake, this->shared_from_this()));
        } else {
            read_request();
        }
    }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            shared_.counters.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
            if (ec == beast::error::timeout) shared_.counters.timeouts.fetch_add(1, std::memory_order_relaxed);
            return close_now();
        }
        read_request();
    }

    // ---- reading ---------------------------------------------------------------------------

    void read_request() {
        parser_.emplace();
        parser_->header_limit(header_limit);
        // Headers are checked against the larger limit; the route's limit is set once the
        // target is known (on_header).
        parser_->body_limit(std::max(shared_.options.body_limit, shared_.options.admin_body_limit));
        lowest().expires_after(shared_.options.timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&Connection::on_header, this->shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        const auto& req = parser_->get();
        const bool admin = is_admin_target(req.target());
        if (admin && !shared_.options.admin_token.empty() &&
            !constant_time_equal(std::string_view(req[http::field::authorization].data(),
                                                  req[http::field::authorization].size()),
                                 "Bearer " + shared_.options.admin_token)) {
            return reject(http::status::unauthorized, "unauthorized",
                          "the admin API needs Authorization: Bearer <admin token>",
                          "Bearer realm=\"calbridge-sandbox admin\"");
        }
        const std::size_t limit = admin ? shared_.options.admin_body_limit : shared_.options.body_limit;
        if (const auto length = parser_->content_length(); length && *length > limit) {
            return reject(http::status::payload_too_large, "request_too_large",
                          "the request body is larger than " + std::to_string(limit) + " bytes");
        }
        parser_->body_limit(limit);
        if (beast::iequals(req[http::field::expect], "100-continue")) {
            continue_.emplace(http::status::continue_, req.version());
            lowest().expires_after(shared_.options.timeout);
            http::async_write(stream_, *continue_,
                              [self = this->shared_from_this()](beast::error_code wec, std::size_t) {
                                  if (wec) return self->close_now();
                                  self->read_body();
                              });
            return;
        }
        read_body();
    }

    void read_body() {
        if (parser_->is_done()) return on_read({}, 0);
        lowest().expires_after(shared_.options.timeout);
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Connection::on_read, this->shared_from_this()));
    }

    void on_read_error(beast::error_code ec) {
        if (ec == beast::error::timeout) {  // a silent or slow client; the stream closed the socket
            shared_.counters.timeouts.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (ec == http::error::body_limit) {
            return reject(http::status::payload_too_large, "request_too_large", "the request body is too large");
        }
        if (ec == http::error::header_limit) {
            return reject(http::status::request_header_fields_too_large, "request_header_too_large",
                          "the request header is larger than " + std::to_string(header_limit) + " bytes");
        }
        if (ec.category() == http_category() && ec != http::error::end_of_stream && ec != http::error::partial_message) {
            return reject(http::status::bad_request, "invalid_request", "malformed HTTP request: " + ec.message());
        }
        close_now();  // end of stream, reset, truncated TLS: the client went away
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        auto message = parser_->release();
        parser_.reset();

        Request request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
        for (const auto& field : message) {
            request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
        }
        request.body = std::move(message.body());
        request.secure = tls;
        keep_alive_ = message.keep_alive();
        version_ = message.version();
        head_ = message.method() == http::verb::head;

        shared_.counters.request_started();
        in_flight_ = true;
        Response response;
        try {
            response = shared_.handler(request);
        } catch (const std::exception&) {
            response = Response{};
            response.status = 500;
            response.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
            response.body = R"({"error":"internal_error"})";
        }
        deliver(std::move(response));
    }

    // ---- writing ---------------------------------------------------------------------------

    void deliver(Response out) {
        res_.emplace();
        res_->version(version_);
        res_->result(static_cast<unsigned>(std::clamp(out.status, 100, 599)));
        for (auto& h : out.headers) res_->insert(h.name, h.value);
        res_->set(http::field::server, "calbridge-sandbox");
        res_->set(http::field::date, format_http_date(std::chrono::duration_cast<std::chrono::seconds>(
                                                          std::chrono::system_clock::now().time_since_epoch())
                                                          .count()));
        res_->body() = std::move(out.body);
        res_->keep_alive(keep_alive_ && !out.close);
        res_->prepare_payload();
        if (head_) {
            const auto size = res_->body().size();
            res_->body().clear();
            res_->content_length(size);
        }
        delivery_ = out.delivery;
        if (out.delay.count() > 0) {
            held_until_ = std::chrono::steady_clock::now() + out.delay;
            return hold();
        }
        send();
    }

    // A delayed reply waits in slices: a client that hangs up meanwhile ends the request at
    // once (it no longer counts as in flight), rather than when the delay is over. Nothing can
    // wake a timer when a peer closes, and reading would take the next request's bytes.
    void hold() {
        if (client_gone()) {
            finish_request();
            return close_now();
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= held_until_) return send();
        timer_.expires_after(std::min<std::chrono::steady_clock::duration>(held_until_ - now, hold_slice));
        timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (!ec) self->hold();
        });
    }

    // The peer has shut its side (FIN or reset), whatever it sent before.
    bool client_gone() {
        pollfd p{lowest().socket().native_handle(), POLLRDHUP, 0};
        return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    }

    void send() {
        lowest().expires_after(shared_.options.timeout);
        switch (delivery_) {
        case Delivery::normal:
            http::async_write(stream_, *res_, beast::bind_front_handler(&Connection::on_write, this->shared_from_this()));
            return;
        case Delivery::close_before_response:
            finish_request();
            return close_now();
        case Delivery::truncate_body: {
            std::ostringstream header;
            header << res_->base();
            raw_ = header.str();
            const std::string& body = res_->body();
            if (body.empty()) raw_.resize(raw_.size() / 2);  // nothing to cut but the header
            else raw_.append(body, 0, body.size() / 2);
            asio::async_write(stream_, asio::buffer(raw_), [self = this->shared_from_this()](beast::error_code, std::size_t) {
                self->finish_request();
                self->close_now();  // no close_notify: to the client the body just stops
            });
            return;
        }
        }
    }

    void on_write(beast::error_code ec, std::size_t) {
        finish_request();
        if (ec) return close_now();
        if (rejected_) {
            if constexpr (!tls) {
                beast::error_code ignored;  // the client sees the end at once; we keep reading
                lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
            }
            drain_until_ = std::chrono::steady_clock::now() + drain_total;
            return drain();
        }
        if (!res_->keep_alive()) return close_gracefully();
        res_.reset();
        read_request();
    }

    // Answers a request the server itself refuses (malformed, too large), then closes.
    void reject(http::status status, std::string_view error, const std::string& description,
                const char* www_authenticate = nullptr) {
        shared_.counters.bad_requests.fetch_add(1, std::memory_order_relaxed);
        rejected_ = true;
        keep_alive_ = false;
        version_ = 11;
        head_ = false;
        Response out;
        out.status = static_cast<int>(status);
        out.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
        if (www_authenticate != nullptr) out.headers.push_back({"WWW-Authenticate", www_authenticate});
        out.body = R"({"error":")" + std::string(error) + R"(","error_description":")" + json_escape(description) + "\"}";
        out.close = true;
        deliver(std::move(out));
    }

    // ---- closing ---------------------------------------------------------------------------

    void drain() {
        // The idle limit is a timer of our own: the stream's timeout would close the socket,
        // and a TLS connection still needs it to send close_notify.
        lowest().expires_never();
        const std::uint64_t generation = ++drain_generation_;
        timer_.expires_after(drain_idle);
        timer_.async_wait([self = this->shared_from_this(), generation](beast::error_code ec) {
            if (ec || generation != self->drain_generation_) return;
            beast::error_code ignored;
            self->lowest().socket().cancel(ignored);
        });
        stream_.async_read_some(asio::buffer(scratch_), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
            ++self->drain_generation_;
            self->timer_.cancel();
            self->drained_ += n;
            if (!ec && self->drained_ <= drain_limit && std::chrono::steady_clock::now() < self->drain_until_) {
                return self->drain();
            }
            if (ec == asio::error::operation_aborted) return self->close_gracefully();  // the client went quiet
            self->close_now();
        });
    }

    void close_gracefully() {
        if constexpr (tls) {
            lowest().expires_after(shared_.options.timeout < shutdown_timeout ? shared_.options.timeout : std::chrono::milliseconds(shutdown_timeout));
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close_now(); });
        } else {
            beast::error_code ec;
            lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
            lowest().close();
        }
    }

    void close_now() {
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().close();
    }

    void finish_request() {
        if (in_flight_) {
            in_flight_ = false;
            shared_.counters.request_finished();
        }
    }

    Shared& shared_;
    Stream stream_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::empty_body>> continue_;
    std::optional<http::response<http::string_body>> res_;
    std::string raw_;
    std::array<char, 64 * 1024> scratch_{};
    std::size_t drained_ = 0;
    std::uint64_t drain_generation_ = 0;
    std::chrono::steady_clock::time_point drain_until_;
    Delivery delivery_ = Delivery::normal;
    unsigned version_ = 11;
    bool keep_alive_ = false;
    bool head_ = false;
    bool in_flight_ = false;
    std::chrono::steady_clock::time_point held_until_{};  // when a delayed reply goes out
    static constexpr std::chrono::milliseconds hold_slice{50};
    bool rejected_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(asio::io_context& ioc, Shared& shared, ssl::context* tls, const tcp::endpoint& endpoint)
        : ioc_(ioc), shared_(shared), tls_(tls), acceptor_(asio::make_strand(ioc)), retry_(acceptor_.get_executor()) {
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        if (endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(asio::socket_base::max_listen_connections);
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    void run() {
        asio::dispatch(acceptor_.get_executor(), beast::bind_front_handler(&Listener::accept, shared_from_this()));
    }

private:
    void accept() {
        acceptor_.async_accept(asio::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    }

    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
            // Out of descriptors or similar: back off instead of spinning.
            retry_.expires_after(std::chrono::milliseconds(50));
            retry_.async_wait([self = shared_from_this()](beast::error_code wec) {
                if (!wec) self->accept();
            });
            return;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls_ != nullptr) {
            std::make_shared<Connection<ssl::stream<beast::tcp_stream>>>(shared_, std::move(socket), *tls_)->run();
        } else {
            std::make_shared<Connection<beast::tcp_stream>>(shared_, std::move(socket))->run();
        }
        accept();
    }

    asio::io_context& ioc_;
    Shared& shared_;
    ssl::context* tls_;
    tcp::acceptor acceptor_;
    asio::steady_timer retry_;
};

tcp::endpoint resolve(asio::io_context& ioc, const std::string& host, std::uint16_t port) {
    beast::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) return {address, port};
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) throw std::runtime_error("cannot resolve host " + host + ": " + ec.message());
    return results.begin()->endpoint();
}

}  // namespace

struct Server::Impl {
    explicit Impl(ServerOptions options, Handler handler, Counters& counters)
        : shared{std::move(options), std::move(handler), counters},
          ioc(static_cast<int>(shared.options.threads)) {}

    Shared shared;
    std::optional<ssl::context> tls;  // outlives the connections, which the io_context owns
    asio::io_context ioc;
    std::shared_ptr<Listener> listener;
    std::vector<std::thread> threads;
    std::atomic<bool> stopped{false};
};

Server::Server(ServerOptions options, Handler handler, Counters& counters) {
    if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
    impl_ = std::make_unique<Impl>(std::move(options), std::move(handler), counters);
    const ServerOptions& o = impl_->shared.options;
    try {
        if (o.tls) {
            auto& ctx = impl_->tls.emplace(ssl::context::tls_server);
            ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                            ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
            ctx.use_certificate_chain(asio::buffer(o.certificate_chain_pem));
            ctx.use_private_key(asio::buffer(o.private_key_pem), ssl::context::pem);
        }
        const tcp::endpoint endpoint = resolve(impl_->ioc, o.host, o.port);
        impl_->listener = std::make_shared<Listener>(impl_->ioc, impl_->shared, impl_->tls ? &*impl_->tls : nullptr, endpoint);
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + e.code().message());
    }
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->listener->port(); }

void Server::start() {
    impl_->listener->run();
    for (unsigned i = 0; i < impl_->shared.options.threads; ++i) {
        impl_->threads.emplace_back([this] { impl_->ioc.run(); });
    }
}

void Server::stop() {
    if (!impl_ || impl_->stopped.exchange(true)) return;
    impl_->ioc.stop();
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
}

}  // namespace calbridge::sandbox
