// Which transport failures a call sends again (calbridge/session.hpp, RetryPolicy): a refused
// certificate and a name that does not exist are final; a handshake that failed otherwise is
// retried. Real connections to the TLS test server, counted on the server.
#include "support/catch.hpp"
#include "tls_test_server.hpp"

#include "call/call_policy.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <thread>

using namespace calbridge;
using namespace calbridge::test;
using namespace std::chrono_literals;

namespace {

// The HTTPS transport, counting the requests handed to it (each one resolves its name anew:
// failed lookups are not cached).
class CountingTransport final : public Transport {
public:
    CountingTransport() : inner_(make_http_transport(test_options())) {}

    HttpResponse send(const HttpRequest& request, const CallContext& ctx) override {
        sends_.fetch_add(1);
        return inner_->send(request, ctx);
    }
    int sends() const noexcept { return sends_.load(); }

private:
    std::shared_ptr<Transport> inner_;
    std::atomic<int> sends_{0};
};

// A loopback listener that accepts each connection and closes it at once, counting them.
class ClosingListener {
public:
    ClosingListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        socklen_t size = sizeof address;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] {
            for (;;) {
                const int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0) return;  // shut down
                accepted_.fetch_add(1);
                ::close(c);
            }
        });
    }
    ~ClosingListener() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    ClosingListener(const ClosingListener&) = delete;
    ClosingListener& operator=(const ClosingListener&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    // Counted before each connection is closed, so before the client sees it fail.
    int accepted() const noexcept { return accepted_.load(); }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

struct RetryingCall {
    std::shared_ptr<CountingTransport> transport = std::make_shared<CountingTransport>();
    detail::CallEnvironment env{transport,
                                system_wall_clock(),
                                system_steady_clock(),
                                system_waiter(),
                                RetryPolicy{3, 1ms, 1ms},
                                detail::Logger()};

    HttpResponse get(const std::string& url) {
        detail::Call call(env, CallOptions{}, 10s);
        HttpRequest request;
        request.method = "GET";
        request.url = url;
        return call.send(request, detail::Replay::idempotent);
    }
};

}  // namespace

TEST_CASE("a certificate from an untrusted CA is not retried: one connection") {
    auto& server = TlsTestServer::get();
    const auto before = server.stat("connections");
    RetryingCall call;
    try {
        call.get(server.url("untrusted", "/echo"));
        FAIL("the request succeeded");
    } catch (const TlsError& e) {
        CHECK_FALSE(e.details().retryable);
        CHECK_FALSE(e.details().request_sent);
    }
    CHECK(call.transport->sends() == 1);
    CHECK(server.stat("connections") == before + 1);
}

TEST_CASE("an expired certificate is not retried") {
    auto& server = TlsTestServer::get();
    const auto before = server.stat("connections");
    RetryingCall call;
    CHECK_THROWS_AS(call.get(server.url("expired", "/echo")), TlsError);
    CHECK(server.stat("connections") == before + 1);
}

TEST_CASE("a TLS handshake cut short by the server is retried within the budget") {
    // A failure that is not a verdict on the certificate: sending again may work.
    ClosingListener listener;
    RetryingCall call;
    try {
        call.get("https://localhost:" + std::to_string(listener.port()) + "/echo");
        FAIL("the request succeeded");
    } catch (const Error& e) {
        CHECK((e.code() == ErrorCode::tls || e.code() == ErrorCode::connection));
        CHECK(e.details().retryable);
    }
    CHECK(call.transport->sends() == 4);
    CHECK(listener.accepted() == 4);
}

TEST_CASE("a host name that does not exist is not retried: one lookup") {
    RetryingCall call;
    try {
        call.get("https://no-such-host.invalid/v1/calendars");
        FAIL("the request succeeded");
    } catch (const ConnectionError& e) {
        CHECK_FALSE(e.details().retryable);
        CHECK_FALSE(e.details().request_sent);
    }
    CHECK(call.transport->sends() == 1);
}
