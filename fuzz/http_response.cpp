// The HTTP transport's response reading (core/src/http/exchange.cpp, exchange(): Beast's
// response_parser with the transport's header and body limits, informational responses,
// keep-alive decisions), driven through the real transport over a loopback connection: a
// server thread in this process answers each request with the input's bytes and closes.
//
// Input: byte 0 picks the method (GET, HEAD, POST, DELETE); the rest is what the server sends.
// Invariants: only calbridge errors (a malformed or oversized reply is a ProtocolError or a
// ConnectionError, never a crash or a hang); a response returned has a status in 100..599,
// a body within the limit, and none for HEAD.
#include "fuzz_support.hpp"

#include <calbridge/transport.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace {

using namespace calbridge;

constexpr std::size_t max_header_bytes = 2048;
constexpr std::size_t max_body_bytes = 8192;

class LoopbackServer {
public:
    LoopbackServer() {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listener_ < 0) fuzz::fail("socket()");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 16) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            fuzz::fail("cannot listen on loopback");
        }
        port_ = ntohs(addr.sin_port);
        std::thread([this] { serve(); }).detach();  // lives as long as the process
    }

    std::uint16_t port() const noexcept { return port_; }

    void set_reply(std::string reply) {
        std::lock_guard lock(mutex_);
        reply_ = std::move(reply);
    }

private:
    void serve() {
        for (;;) {
            const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            // The request's head (the fuzzer's requests have no body beyond a few bytes).
            std::string request;
            char buf[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0) break;
                request.append(buf, static_cast<std::size_t>(n));
            }
            std::string reply;
            {
                std::lock_guard lock(mutex_);
                reply = reply_;
            }
            std::size_t sent = 0;
            while (sent < reply.size()) {
                const ssize_t n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
                if (n <= 0) break;
                sent += static_cast<std::size_t>(n);
            }
            ::shutdown(fd, SHUT_WR);
            ::close(fd);
        }
    }

    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::mutex mutex_;
    std::string reply_;
};

struct Harness {
    Harness() {
        HttpTransportOptions o;
        o.max_header_bytes = max_header_bytes;
        o.max_body_bytes = max_body_bytes;
        o.use_proxy_env = false;
        o.connect_timeout = std::chrono::milliseconds(5000);
        transport = make_http_transport(o);
        url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/calendars";
    }
    LoopbackServer server;
    std::shared_ptr<Transport> transport;
    std::string url;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static Harness* h = new Harness();  // never destroyed: the server thread uses it
    static const char* const methods[] = {"GET", "HEAD", "POST", "DELETE"};
    const std::string method = methods[data[0] % 4];
    h->server.set_reply(std::string(reinterpret_cast<const char*>(data + 1), size - 1));

    HttpRequest request;
    request.method = method;
    request.url = h->url;
    request.headers = {{"Accept", "application/json"}};
    if (method == "POST") request.body = "{}";
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);

    fuzz::expect_only_calbridge_errors([&] {
        try {
            const HttpResponse r = h->transport->send(request, ctx);
            fuzz::check(r.status >= 100 && r.status <= 599, "a status RFC 9110 allows", std::to_string(r.status));
            fuzz::check(r.body.size() <= max_body_bytes, "the body within the limit");
            if (method == "HEAD") fuzz::check(r.body.empty(), "no body for HEAD");
        } catch (const TimeoutError& e) {
            fuzz::fail("the exchange timed out: the transport waited for bytes after the server closed", e.what());
        }
    });
    return 0;
}
