#include "support/wire_transport.hpp"

#include "pki.hpp"  // sandbox/src: the sandbox's throwaway CA and server certificate

#include <calbridge/errors.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

namespace calbridge::testing {

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr const char* call_header = "X-Calbridge-Wire-Call";    // client side -> server side
constexpr const char* error_header = "X-Calbridge-Wire-Error";  // server side -> client side
constexpr int error_marker_status = 599;

// The real connection's own deadline: the core has enforced the test clock's deadline already.
constexpr std::chrono::seconds wire_deadline{30};

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

// What the client side of a call leaves for the server side, and the error it gets back.
class CallTable {
public:
    std::uint64_t add(const CallContext& ctx) {
        std::lock_guard lock(mutex_);
        const std::uint64_t id = ++next_;
        calls_[id].ctx = ctx;
        return id;
    }
    std::optional<CallContext> context(std::uint64_t id) const {
        std::lock_guard lock(mutex_);
        const auto it = calls_.find(id);
        if (it == calls_.end()) return std::nullopt;
        return it->second.ctx;
    }
    void set_error(std::uint64_t id, std::exception_ptr error) {
        std::lock_guard lock(mutex_);
        const auto it = calls_.find(id);
        if (it != calls_.end()) it->second.error = std::move(error);
    }
    std::exception_ptr finish(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        const auto it = calls_.find(id);
        if (it == calls_.end()) return {};
        std::exception_ptr error = std::move(it->second.error);
        calls_.erase(it);
        return error;
    }

private:
    struct Call {
        CallContext ctx;
        std::exception_ptr error;
    };
    mutable std::mutex mutex_;
    std::map<std::uint64_t, Call> calls_;
    std::uint64_t next_ = 0;
};

// A TLS server on 127.0.0.1, a thread per connection, blocking I/O: simple, and unlike the
// transport under test in every way that matters.
class WireServer {
public:
    WireServer(std::shared_ptr<Transport> behind, std::shared_ptr<CallTable> calls, const std::vector<std::string>& hosts)
        : behind_(std::move(behind)),
          calls_(std::move(calls)),
          pki_(sandbox::make_pki(hosts)),
          tls_(asio::ssl::context::tls_server),
          acceptor_(ioc_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
        tls_.use_certificate_chain(asio::buffer(pki_.server_cert_pem));
        tls_.use_private_key(asio::buffer(pki_.server_key_pem), asio::ssl::context::pem);
        port_ = acceptor_.local_endpoint().port();
        accept_thread_ = std::thread([this] { accept_loop(); });
    }

    WireServer(const WireServer&) = delete;
    WireServer& operator=(const WireServer&) = delete;

    ~WireServer() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            // shutdown(2) wakes the blocking accept and reads; the threads close their sockets.
            ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
            for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
        }
        accept_thread_.join();
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            threads.swap(connection_threads_);
        }
        for (auto& t : threads) t.join();
    }

    std::uint16_t port() const { return port_; }
    const std::string& ca_pem() const { return pki_.ca_cert_pem; }

private:
    void accept_loop() {
        for (;;) {
            error_code ec;
            tcp::socket socket(ioc_);
            acceptor_.accept(socket, ec);
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            if (ec) continue;
            open_fds_.insert(socket.native_handle());
            connection_threads_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
        }
    }

    void serve(tcp::socket socket) {
        const int fd = socket.native_handle();
        asio::ssl::stream<tcp::socket> stream(std::move(socket), tls_);
        error_code ec;
        stream.handshake(asio::ssl::stream_base::server, ec);
        boost::beast::flat_buffer buffer;
        while (!ec) {
            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(1024 * 1024);
            parser.body_limit(boost::none);
            bhttp::read(stream, buffer, parser, ec);
            if (ec) break;
            const auto& req = parser.get();
            bhttp::response<bhttp::string_body> res = answer(req);
            const auto fault = res.find(wire_fault_header);
            if (fault != res.end()) {
                if (fault->value() == wire_drop_mid_body) write_half(stream, res);
                break;  // and close the connection
            }
            res.keep_alive(req.keep_alive());
            bhttp::write(stream, res, ec);
            if (!req.keep_alive()) break;
        }
        {
            std::lock_guard lock(mutex_);
            open_fds_.erase(fd);
        }
        // No TLS close_notify exchange: a client may keep the connection open without answering.
        stream.next_layer().close(ec);
    }

    // The header, announcing the whole body, and the first half of the body.
    static void write_half(asio::ssl::stream<tcp::socket>& stream, bhttp::response<bhttp::string_body> res) {
        res.erase(wire_fault_header);
        res.prepare_payload();
        std::string raw = "HTTP/1.1 " + std::to_string(res.result_int()) + " " + std::string(res.reason()) + "\r\n";
        for (const auto& field : res) {
            raw += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
        }
        raw += "\r\n" + res.body().substr(0, res.body().size() / 2);
        error_code ec;
        asio::write(stream, asio::buffer(raw), ec);
    }

    bhttp::response<bhttp::string_body> answer(const bhttp::request<bhttp::string_body>& req) {
        HttpRequest request;
        request.method = std::string(req.method_string());
        std::string host;
        std::optional<std::string> content_length;
        std::uint64_t id = 0;
        for (const auto& field : req) {
            const std::string name(field.name_string());
            std::string value(field.value());
            if (iequals(name, "Host")) host = std::move(value);
            else if (iequals(name, "Content-Length")) content_length = std::move(value);
            else if (iequals(name, call_header)) (void)std::from_chars(value.data(), value.data() + value.size(), id);
            else request.headers.push_back({name, std::move(value)});
        }
        request.url = "https://" + host + std::string(req.target());
        request.body = req.body();

        std::string framing;
        if (host.empty()) framing = "no Host header";
        if (content_length && *content_length != std::to_string(request.body.size())) {
            framing = "Content-Length " + *content_length + " for a body of " + std::to_string(request.body.size());
        }
        if (!content_length && !request.body.empty()) framing = "a body without Content-Length";
        const std::optional<CallContext> ctx = calls_->context(id);
        if (!ctx) framing = "no call tag";

        bhttp::response<bhttp::string_body> res;
        res.version(11);
        try {
            if (!framing.empty()) throw InternalError("wire transport: the request arrived with " + framing);
            const HttpResponse reply = behind_->send(request, *ctx);
            res.result(static_cast<unsigned>(reply.status));
            for (const auto& h : reply.headers) {
                if (iequals(h.name, "Content-Length") || iequals(h.name, "Transfer-Encoding") ||
                    iequals(h.name, "Connection")) {
                    continue;  // the framing is this server's
                }
                res.insert(h.name, h.value);
            }
            const bool bodyless = reply.status < 200 || reply.status == 204 || reply.status == 304;
            if (!bodyless) res.body() = reply.body;
        } catch (...) {
            calls_->set_error(id, std::current_exception());
            res = {};
            res.version(11);
            res.result(static_cast<unsigned>(error_marker_status));
            res.set(error_header, std::to_string(id));
        }
        res.prepare_payload();
        return res;
    }

    const std::shared_ptr<Transport> behind_;
    const std::shared_ptr<CallTable> calls_;
    const sandbox::Pki pki_;
    asio::io_context ioc_;  // owns the sockets; never run: every operation here is blocking
    asio::ssl::context tls_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::thread accept_thread_;

    std::mutex mutex_;
    bool stopping_ = false;
    std::set<int> open_fds_;
    std::vector<std::thread> connection_threads_;
};

class WireTransport final : public Transport {
public:
    WireTransport(std::shared_ptr<Transport> behind, const std::vector<std::string>& hosts)
        : calls_(std::make_shared<CallTable>()), server_(std::move(behind), calls_, hosts) {
        HttpTransportOptions options;
        options.tls.source = TlsTrust::Source::ca_pem;
        options.tls.ca_pem = server_.ca_pem();
        options.use_proxy_env = false;
        // The refresh tests hold 64 requests in flight at once.
        options.max_connections_per_origin = 256;
        for (const auto& host : hosts) {
            ConnectTo route;
            route.host = host;
            route.port = 443;
            route.to_host = "127.0.0.1";
            route.to_port = server_.port();
            options.connect_to.push_back(route);
        }
        real_ = make_http_transport(options);
    }

    HttpResponse send(const HttpRequest& request, const CallContext& ctx) override {
        const std::uint64_t id = calls_->add(ctx);
        HttpRequest tagged = request;
        tagged.headers.push_back({call_header, std::to_string(id)});
        CallContext wire;
        wire.deadline = std::chrono::steady_clock::now() + wire_deadline;
        wire.cancel = ctx.cancel;
        HttpResponse response;
        try {
            response = real_->send(tagged, wire);
        } catch (...) {
            (void)calls_->finish(id);
            throw;
        }
        const std::exception_ptr scripted = calls_->finish(id);
        if (response.status == error_marker_status && response.header(error_header) != nullptr) {
            if (scripted) std::rethrow_exception(scripted);
            throw InternalError("wire transport: an error marker without an error");
        }
        return response;
    }

    TransportStats stats() const override { return real_->stats(); }

private:
    std::shared_ptr<CallTable> calls_;
    WireServer server_;  // before real_: the real transport's connections close first
    std::shared_ptr<Transport> real_;
};

}  // namespace

std::shared_ptr<Transport> make_wire_transport(std::shared_ptr<Transport> behind, std::vector<std::string> hosts) {
    return std::make_shared<WireTransport>(std::move(behind), hosts);
}

}  // namespace calbridge::testing
