// Servers that hang, trickle, drop the connection or send too much: each ends in a typed error
// at the right time, and the pool never hands out a connection in an unknown state.
#include "support/catch.hpp"
#include "tls_test_server.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace calbridge;
using namespace calbridge::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// The request ends with a TimeoutError at the deadline (500 ms), within a margin for a loaded
// machine; the next request on the same transport gets its own response.
void check_ends_at_deadline(const std::string& path) {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);  // a pooled connection

    const auto start = Clock::now();
    bool timed_out = false;
    bool sent = false;
    try {
        get(*transport, server.url("good", path), 500ms);
    } catch (const TimeoutError& e) {
        timed_out = true;
        sent = e.details().request_sent;
    }
    const auto elapsed = Clock::now() - start;
    CHECK(timed_out);
    CHECK(sent);
    CHECK(elapsed >= 450ms);
    CHECK(elapsed <= 1500ms);

    const auto res = get(*transport, server.url("good", "/echo?after"));
    CHECK(res.status == 200);
    CHECK(json_string(res.body, "path") == "/echo?after");
    // The timed-out connection was closed, not pooled: the last request needed a new one.
    CHECK(transport->stats().connections_opened == 2);
}

std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// A listener whose accept queue is full: the kernel drops further SYNs, so a connect hangs.
struct FullListener {
    int listener = -1;
    std::vector<int> fillers;
    std::uint16_t port = 0;

    FullListener() {
        listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(listener, 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
        for (int i = 0; i < 3; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
            fillers.push_back(fd);
        }
        // The queue is full once one filler's handshake has completed (a backlog of 0 holds
        // one connection): wait for that, the first filler becoming writable.
        pollfd first{fillers.front(), POLLOUT, 0};
        REQUIRE(::poll(&first, 1, 10'000) == 1);
    }
    ~FullListener() {
        for (int fd : fillers) ::close(fd);
        ::close(listener);
    }
};

}  // namespace

TEST_CASE("a connect nobody answers ends at the connect timeout, nothing sent") {
    FullListener full;
    auto options = test_options();
    options.connect_timeout = std::chrono::milliseconds(400);
    auto transport = make_http_transport(options);
    const auto start = Clock::now();
    bool timed_out = false;
    try {
        get(*transport, "https://127.0.0.1:" + std::to_string(full.port) + "/echo", 10s);
    } catch (const TimeoutError& e) {
        timed_out = true;
        CHECK_FALSE(e.details().request_sent);
    }
    const auto elapsed = Clock::now() - start;
    CHECK(timed_out);
    CHECK(elapsed >= 350ms);
    CHECK(elapsed <= 1500ms);
    CHECK(transport->stats().connections_opened == 0);
}

TEST_CASE("a server that never answers ends at the deadline") { check_ends_at_deadline("/hang"); }

TEST_CASE("a server trickling the body a byte every 100 ms ends at the deadline") {
    check_ends_at_deadline("/trickle");
}

TEST_CASE("a server trickling the headers a byte every 100 ms ends at the deadline") {
    check_ends_at_deadline("/trickle?phase=headers");
}

TEST_CASE("an upload the server stops reading ends at the deadline, request sent, connection not reused") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    HttpRequest req;
    req.method = "POST";
    req.url = server.url("good", "/stall-upload?key=deadline-upload");
    req.body.assign(32u << 20, 'x');  // far more than loopback's socket buffers hold (~10 MiB)
    // A pooled connection first, and a deadline that leaves room for copying the body (slow
    // under a sanitizer), so that it falls in the upload; the server closes 3 s after the header.
    REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);
    CallContext ctx;
    ctx.deadline = Clock::now() + 2s;
    const auto start = Clock::now();
    bool timed_out = false;
    try {
        transport->send(req, ctx);
    } catch (const TimeoutError& e) {
        timed_out = true;
        CHECK(e.details().request_sent);
    }
    const auto elapsed = Clock::now() - start;
    CHECK(timed_out);
    CHECK(server.hits("deadline-upload") == 1);  // the upload had begun
    CHECK(elapsed >= 1950ms);
    CHECK(elapsed <= 3500ms);
    CHECK(get(*transport, server.url("good", "/echo")).status == 200);
    CHECK(transport->stats().connections_opened == 2);  // the stalled one was not reused
}

TEST_CASE("a cancellation from another thread ends an upload the server stopped reading") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    HttpRequest req;
    req.method = "POST";
    req.url = server.url("good", "/stall-upload?key=cancel-upload");
    req.body.assign(32u << 20, 'x');
    CallContext ctx;
    ctx.deadline = Clock::now() + 10s;
    ctx.cancel = std::make_shared<CancellationToken>();
    // The call is blocked writing once the server has the header and the sending thread has
    // gone back to waiting on the socket after that (the poll hook runs only while it waits).
    std::atomic<bool> header_seen{false};
    std::atomic<int> waits_after_header{0};
    ctx.cancel->poll_while_waiting(5ms, [&](CancellationToken&) {
        if (!header_seen.load()) return;
        waits_after_header.fetch_add(1);
        waits_after_header.notify_all();
    });
    std::thread canceller([&server, &header_seen, &waits_after_header, token = ctx.cancel] {
        server.wait_for_hit("cancel-upload");  // the server has the header: the upload is under way
        header_seen.store(true);
        waits_after_header.wait(0);  // ... and the sender is blocked on a full socket
        token->cancel();
    });
    const auto start = Clock::now();
    bool cancelled = false;
    try {
        transport->send(req, ctx);
    } catch (const CancelledError& e) {
        cancelled = true;
        CHECK(e.details().request_sent);
    }
    // Should the call end some other way, the canceller must not wait for ever.
    int none = 0;
    if (waits_after_header.compare_exchange_strong(none, -1)) waits_after_header.notify_all();
    const auto elapsed = Clock::now() - start;
    canceller.join();
    CHECK(cancelled);
    CHECK(waits_after_header.load() >= 1);
    CHECK(elapsed <= 10s - 1s);  // ended by the cancel, not by the deadline
}

TEST_CASE("a deadline already passed fails before any I/O, nothing sent") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    HttpRequest req;
    req.method = "GET";
    req.url = server.url("good", "/echo");
    CallContext ctx;
    ctx.deadline = Clock::now() - 1ms;
    try {
        transport->send(req, ctx);
        FAIL("expected a TimeoutError");
    } catch (const TimeoutError& e) {
        CHECK_FALSE(e.details().request_sent);
    }
    CHECK(transport->stats().connections_opened == 0);
}

TEST_CASE("a cancellation from another thread ends a hanging request at once") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    HttpRequest req;
    req.method = "GET";
    req.url = server.url("good", "/hang?key=cancel-hang");
    CallContext ctx = within(10s);
    ctx.cancel = std::make_shared<CancellationToken>();
    std::thread canceller([&server, token = ctx.cancel] {
        server.wait_for_hit("cancel-hang");  // the request is out, its response awaited
        token->cancel();
    });
    const auto start = Clock::now();
    bool cancelled = false;
    try {
        transport->send(req, ctx);
    } catch (const CancelledError& e) {
        cancelled = true;
        CHECK(e.details().request_sent);
    }
    const auto elapsed = Clock::now() - start;
    canceller.join();
    CHECK(cancelled);
    CHECK(elapsed < 2s);
    CHECK(get(*transport, server.url("good", "/echo")).status == 200);
    CHECK(transport->stats().connections_opened == 2);
}

TEST_CASE("an already cancelled call fails without I/O") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    HttpRequest req;
    req.method = "GET";
    req.url = server.url("good", "/echo");
    CallContext ctx = within(5s);
    ctx.cancel = std::make_shared<CancellationToken>();
    ctx.cancel->cancel();
    CHECK_THROWS_AS(transport->send(req, ctx), CancelledError);
    CHECK(transport->stats().connections_opened == 0);
}

TEST_CASE("a refused connection is a connection error, nothing sent") {
    auto transport = make_http_transport(test_options());
    try {
        get(*transport, "https://127.0.0.1:" + std::to_string(closed_port()) + "/echo");
        FAIL("expected a ConnectionError");
    } catch (const ConnectionError& e) {
        CHECK_FALSE(e.details().request_sent);
    }
}

TEST_CASE("a host name that does not resolve is a connection error, nothing sent") {
    auto transport = make_http_transport(test_options());
    try {
        get(*transport, "https://no-such-host.invalid/echo");
        FAIL("expected a ConnectionError");
    } catch (const ConnectionError& e) {
        CHECK_FALSE(e.details().request_sent);
    }
}

TEST_CASE("a connection closed before the response is a connection error, request sent, not retried") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    try {
        get(*transport, server.url("good", "/close-before-response"));
        FAIL("expected a ConnectionError");
    } catch (const ConnectionError& e) {
        CHECK(e.details().request_sent);
    }
    // A fresh connection is not retried by the transport, even for a GET: the lifecycle decides.
    CHECK(transport->stats().connections_opened == 1);
}

TEST_CASE("a connection closed mid-body is a connection error, request sent") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    try {
        get(*transport, server.url("good", "/close-mid-body"));
        FAIL("expected a ConnectionError");
    } catch (const ConnectionError& e) {
        CHECK(e.details().request_sent);
        CHECK_THAT(e.what(), Catch::Matchers::Contains("mid-response"));
    }
    CHECK(get(*transport, server.url("good", "/echo")).status == 200);
}

TEST_CASE("a stale keep-alive connection: a GET is retried once on a fresh connection") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);
    // The server reads this request on the pooled connection and closes it without a reply.
    const auto res = get(*transport, server.url("good", "/flaky-close?key=stale-get"));
    CHECK(res.status == 200);
    CHECK(server.hits("stale-get") == 2);
    CHECK(transport->stats().connections_opened == 2);
}

TEST_CASE("a stale keep-alive connection: a POST is not retried, request sent") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);
    try {
        post(*transport, server.url("good", "/flaky-close?key=stale-post"), "grant_type=refresh_token");
        FAIL("expected a ConnectionError");
    } catch (const ConnectionError& e) {
        CHECK(e.details().request_sent);
    }
    CHECK(server.hits("stale-post") == 1);
    CHECK(transport->stats().connections_opened == 1);
}

// The one list of util/http_method.hpp: GET, HEAD, PUT and DELETE go again after a stale
// connection took their bytes; OPTIONS and TRACE (and POST, above) do not.
TEST_CASE("a stale keep-alive connection: PUT and DELETE are retried but OPTIONS and TRACE are not") {
    auto& server = TlsTestServer::get();
    for (const std::string method : {"PUT", "DELETE", "OPTIONS", "TRACE"}) {
        INFO(method);
        const bool retried = method == "PUT" || method == "DELETE";
        auto transport = make_http_transport(test_options());
        REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);
        HttpRequest req;
        req.method = method;
        req.url = server.url("good", "/flaky-close?key=stale-" + method);
        if (retried) {
            CHECK(transport->send(req, within(std::chrono::seconds(10))).status == 200);
        } else {
            try {
                transport->send(req, within(std::chrono::seconds(10)));
                FAIL("expected a ConnectionError");
            } catch (const ConnectionError& e) {
                CHECK(e.details().request_sent);
            }
        }
        CHECK(server.hits("stale-" + method) == (retried ? 2 : 1));
        CHECK(transport->stats().connections_opened == (retried ? 2 : 1));
    }
}

TEST_CASE("a stale connection retried once: a second drop is the caller's error") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);
    CHECK_THROWS_AS(get(*transport, server.url("good", "/close-before-response")), ConnectionError);
    CHECK(transport->stats().connections_opened == 2);
}

TEST_CASE("an oversized response header is a protocol error") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    CHECK_THROWS_AS(get(*transport, server.url("good", "/huge-headers?size=100000")), ProtocolError);
    CHECK(get(*transport, server.url("good", "/huge-headers?size=30000")).status == 200);
}

TEST_CASE("an oversized response body is a protocol error, with or without chunking") {
    auto& server = TlsTestServer::get();
    auto options = test_options();
    options.max_body_bytes = 1024 * 1024;
    auto transport = make_http_transport(options);
    CHECK(get(*transport, server.url("good", "/huge-body?size=1048576")).body.size() == 1048576);
    CHECK_THROWS_AS(get(*transport, server.url("good", "/huge-body?size=1048577")), ProtocolError);
    CHECK_THROWS_AS(get(*transport, server.url("good", "/huge-body?size=2000000&chunked=1")), ProtocolError);
    CHECK(get(*transport, server.url("good", "/echo")).status == 200);
}

TEST_CASE("the default body limit is 8 MiB") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    CHECK(get(*transport, server.url("good", "/huge-body?size=8388608")).body.size() == 8388608);
    CHECK_THROWS_AS(get(*transport, server.url("good", "/huge-body?size=8388609")), ProtocolError);
}

// Found by fuzzing (fuzz/regressions/http_response): Beast reads "HTTP/1.1 024" as status 24.
TEST_CASE("a status outside 100 to 599 is a protocol error") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    CHECK_THROWS_AS(get(*transport, server.url("good", "/status?code=024")), ProtocolError);
    CHECK_THROWS_AS(get(*transport, server.url("good", "/status?code=600")), ProtocolError);
    CHECK(get(*transport, server.url("good", "/status?code=599")).status == 599);
}

TEST_CASE("a reply that is not HTTP is a protocol error") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    CHECK_THROWS_AS(get(*transport, server.url("good", "/malformed")), ProtocolError);
}
