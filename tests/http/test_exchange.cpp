// The exchange (core/src/http/exchange.hpp) on its own, over a plain connection to a loopback
// socket the test plays the server with: the reply is written before the exchange runs (it
// waits in the socket buffers), so nothing here races. What it reports of the request's bytes
// (request_sent, and `stale` with `sent` on a reused connection), the response limits, the
// status range, informational responses, and build_request's framing rules.
#include "support/catch.hpp"
#include "loopback_pair.hpp"

#include "http/call_interrupt.hpp"
#include "http/connection.hpp"
#include "http/exchange.hpp"
#include "http/target.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

using namespace calbridge;
using namespace calbridge::http;
using namespace calbridge::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr ResponseLimits kLimits{256, 16};

// A plain (http://) connection to a loopback socket, and that socket.
struct PlainPair {
    asio::ssl::context tls{asio::ssl::context::tls_client};
    Connection c{tls, false};
    asio::io_context server_ioc;
    tcp::socket server{connect_loopback(c.socket(), server_ioc)};

    void reply(const std::string& bytes) { asio::write(server, asio::buffer(bytes)); }
    // The request head as it reached the server.
    std::string request_head() {
        asio::streambuf in;
        asio::read_until(server, in, "\r\n\r\n");
        return std::string(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
    }
};

Target loopback_target() { return parse_target("http://127.0.0.1:8080/calendars?x=1"); }

WireRequest wire(const std::string& method, std::string body = {}) {
    HttpRequest r;
    r.method = method;
    r.url = "http://127.0.0.1:8080/calendars?x=1";
    r.body = std::move(body);
    return build_request(r, loopback_target(), "calbridge-test");
}

CallContext within_10s(std::shared_ptr<CancellationToken> token = nullptr) {
    CallContext ctx;
    ctx.deadline = Clock::now() + 10s;
    ctx.cancel = std::move(token);
    return ctx;
}

ExchangeResult run(PlainPair& p, const WireRequest& req, bool reused, bool may_retry,
                   const CallContext& ctx = within_10s(), ResponseLimits limits = kLimits) {
    CallInterrupt call(ctx);
    return exchange(p.c, req, loopback_target(), limits, reused, may_retry, call);
}

// The Error the exchange throws (FAIL when it returns).
template <class E>
E thrown(PlainPair& p, const WireRequest& req, bool reused, bool may_retry, const CallContext& ctx = within_10s(),
         ResponseLimits limits = kLimits) {
    try {
        (void)run(p, req, reused, may_retry, ctx, limits);
    } catch (const E& e) {
        return e;
    }
    FAIL("the exchange did not throw the expected error");
    throw std::logic_error("not reached");
}

}  // namespace

TEST_CASE("an exchange writes the request and returns a complete response as reusable") {
    PlainPair p;
    p.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Reply: yes\r\n\r\nok");
    const ExchangeResult ex = run(p, wire("GET"), false, true);
    CHECK_FALSE(ex.stale);
    CHECK(ex.reusable);
    CHECK(ex.response.status == 200);
    CHECK(ex.response.body == "ok");
    const std::string* header = ex.response.header("x-reply");
    REQUIRE(header != nullptr);
    CHECK(*header == "yes");
    const std::string head = p.request_head();
    CHECK(head.rfind("GET /calendars?x=1 HTTP/1.1\r\n", 0) == 0);
    CHECK(head.find("Host: 127.0.0.1:8080\r\n") != std::string::npos);
    CHECK(head.find("User-Agent: calbridge-test\r\n") != std::string::npos);
}

TEST_CASE("an exchange reports request_sent false when no byte of the request was written") {
    PlainPair p;
    p.c.socket().shutdown(tcp::socket::shutdown_send);  // every write fails before a byte leaves
    SECTION("a new connection: ConnectionError") {
        const auto e = thrown<ConnectionError>(p, wire("POST", "body"), false, true);
        CHECK_FALSE(e.details().request_sent);
    }
    SECTION("a reused connection: stale, for any method, with nothing sent") {
        const ExchangeResult ex = run(p, wire("POST", "body"), true, true);
        CHECK(ex.stale);
        CHECK_FALSE(ex.sent);
    }
    SECTION("a reused connection on the second attempt: ConnectionError") {
        const auto e = thrown<ConnectionError>(p, wire("GET"), true, false);
        CHECK_FALSE(e.details().request_sent);
    }
}

TEST_CASE("an exchange reports request_sent true once bytes of the request went out") {
    PlainPair p;
    p.server.shutdown(tcp::socket::shutdown_send);  // takes the request, then ends without a reply
    SECTION("a new connection: ConnectionError, sent") {
        const auto e = thrown<ConnectionError>(p, wire("GET"), false, true);
        CHECK(e.details().request_sent);
        CHECK(std::string(e.what()).find("closed before the response") != std::string::npos);
    }
    SECTION("a reused connection and a POST: not stale, for it may have been acted on") {
        const auto e = thrown<ConnectionError>(p, wire("POST", "body"), true, true);
        CHECK(e.details().request_sent);
    }
    SECTION("a reused connection and a GET: stale, with the bytes sent") {
        const ExchangeResult ex = run(p, wire("GET"), true, true);
        CHECK(ex.stale);
        CHECK(ex.sent);
    }
    CHECK(p.request_head().find(" /calendars?x=1 HTTP/1.1\r\n") != std::string::npos);  // it reached the server
}

TEST_CASE("an exchange cancelled while it waits for the response reports the request sent") {
    PlainPair p;
    auto token = std::make_shared<CancellationToken>();
    token->cancel();  // the write needs no wait; the wait for the reply sees the cancellation
    const auto e = thrown<CancelledError>(p, wire("POST", "body"), false, true, within_10s(token));
    CHECK(e.details().request_sent);
    CHECK_FALSE(p.c.socket().is_open());  // never pooled
    CHECK(p.request_head().rfind("POST /calendars?x=1 HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("an exchange whose deadline passes while it waits for the response times out with the request sent") {
    PlainPair p;
    CallContext ctx;
    ctx.deadline = Clock::now() + 100ms;
    const auto e = thrown<TimeoutError>(p, wire("GET"), false, true, ctx);
    CHECK(e.details().request_sent);
    CHECK_FALSE(p.c.socket().is_open());
}

TEST_CASE("a response header over the limit is a ProtocolError") {
    PlainPair p;
    p.reply("HTTP/1.1 200 OK\r\nX-Big: " + std::string(400, 'a') + "\r\nContent-Length: 0\r\n\r\n");
    const auto e = thrown<ProtocolError>(p, wire("GET"), false, true);
    CHECK(e.details().request_sent);
    CHECK(std::string(e.what()).find("response header") != std::string::npos);
    CHECK(std::string(e.what()).find("exceeds 256 bytes") != std::string::npos);
}

TEST_CASE("a response body over the limit is a ProtocolError and one at the limit is not") {
    SECTION("over") {
        PlainPair p;
        p.reply("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n" + std::string(17, 'b'));
        const auto e = thrown<ProtocolError>(p, wire("GET"), false, true);
        CHECK(e.details().request_sent);
        CHECK(std::string(e.what()).find("response body") != std::string::npos);
        CHECK(std::string(e.what()).find("exceeds 16 bytes") != std::string::npos);
    }
    SECTION("at the limit") {
        PlainPair p;
        p.reply("HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n" + std::string(16, 'b'));
        CHECK(run(p, wire("GET"), false, true).response.body == std::string(16, 'b'));
    }
}

TEST_CASE("the exchange refuses a status outside 100 to 599") {
    const std::string status = GENERATE(std::string("024"), std::string("099"), std::string("600"), std::string("999"));
    PlainPair p;
    p.reply("HTTP/1.1 " + status + " Odd\r\nContent-Length: 0\r\n\r\n");
    const auto e = thrown<ProtocolError>(p, wire("GET"), false, true);
    CHECK(e.details().request_sent);
    CHECK(std::string(e.what()).find("outside 100 to 599") != std::string::npos);
}

TEST_CASE("statuses 100 and 599 are in range") {
    PlainPair p;
    p.reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\n");
    const ExchangeResult ex = run(p, wire("GET"), false, true);
    CHECK(ex.response.status == 599);
    CHECK(ex.reusable);
}

TEST_CASE("informational responses are skipped up to a limit") {
    std::string interim;
    for (int i = 0; i < 8; ++i) interim += "HTTP/1.1 103 Early Hints\r\n\r\n";
    PlainPair p;
    p.reply(interim + "HTTP/1.1 204 No Content\r\n\r\n");
    const auto e = thrown<ProtocolError>(p, wire("GET"), false, true);
    CHECK(std::string(e.what()).find("too many informational responses") != std::string::npos);
}

TEST_CASE("a response to HEAD has no body and bytes after a response make the connection unusable") {
    SECTION("HEAD") {
        PlainPair p;
        p.reply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
        const ExchangeResult ex = run(p, wire("HEAD"), false, true);
        CHECK(ex.response.body.empty());
        CHECK(ex.reusable);
    }
    SECTION("trailing bytes") {
        PlainPair p;
        p.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA");
        const ExchangeResult ex = run(p, wire("GET"), false, true);
        CHECK(ex.response.body == "ok");
        CHECK_FALSE(ex.reusable);
    }
    SECTION("a body that ends with the connection") {
        PlainPair p;
        p.reply("HTTP/1.1 200 OK\r\n\r\nuntil eof");
        p.server.shutdown(tcp::socket::shutdown_send);
        const ExchangeResult ex = run(p, wire("GET"), false, true);
        CHECK(ex.response.body == "until eof");
        CHECK_FALSE(ex.reusable);
    }
}

TEST_CASE("build_request frames the request itself and refuses what is not HTTP") {
    const Target target = loopback_target();
    HttpRequest r;
    r.method = "PATCH";
    r.url = "http://127.0.0.1:8080/calendars?x=1";
    r.headers = {{"host", "evil.example"}, {"CONTENT-LENGTH", "99"}, {"Connection", "close"},
                 {"transfer-encoding", "chunked"}, {"user-agent", "mine"}, {"X-Custom", "v"}};
    r.body = "abc";
    const WireRequest req = build_request(r, target, "calbridge-test");
    CHECK(std::string(req.method_string()) == "PATCH");
    CHECK(std::string(req[boost::beast::http::field::host]) == "127.0.0.1:8080");
    CHECK(std::string(req[boost::beast::http::field::content_length]) == "3");
    CHECK(std::string(req[boost::beast::http::field::user_agent]) == "mine");
    CHECK(std::string(req["X-Custom"]) == "v");
    CHECK(req.count(boost::beast::http::field::connection) == 0);
    CHECK(req.count(boost::beast::http::field::transfer_encoding) == 0);

    HttpRequest bad = r;
    bad.headers.clear();
    bad.method = "CONNECT";
    CHECK_THROWS_AS(build_request(bad, target, "ua"), InvalidArgumentError);
    bad.method = "GE T";
    CHECK_THROWS_AS(build_request(bad, target, "ua"), InvalidArgumentError);
    bad.method = "GET";
    bad.headers = {{"Bad Name", "v"}};
    CHECK_THROWS_AS(build_request(bad, target, "ua"), InvalidArgumentError);
    bad.headers = {{"Authorization", "Bearer secret-token\r\nX: y"}};
    try {
        (void)build_request(bad, target, "ua");
        FAIL("a header value with a line break was accepted");
    } catch (const InvalidArgumentError& e) {
        CHECK(std::string(e.what()).find("secret-token") == std::string::npos);
    }
}
