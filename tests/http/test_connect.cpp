// Opening connections (core/src/http/connect.hpp) on their own: the connect_to routes as
// checked, and the Connector against the TLS test server, counted.
#include "support/catch.hpp"
#include "tls_test_server.hpp"

#include "http/call_interrupt.hpp"
#include "http/connect.hpp"
#include "http/connection.hpp"
#include "http/target.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include <memory>

using namespace calbridge;
using namespace calbridge::http;
using namespace calbridge::test;
using namespace std::chrono_literals;

TEST_CASE("connect_to routes are checked and their hosts lowered") {
    const auto routes = make_connect_routes({{"API.Example.com", 443, "LocalHost", 8443}, {"a.example", 80, "::1", 8080}});
    REQUIRE(routes.size() == 2);
    CHECK(routes[0].host == "api.example.com");
    CHECK(routes[0].to_host == "localhost");
    CHECK_FALSE(routes[0].to_host_is_ip);
    CHECK(routes[0].to_port == 8443);
    CHECK(routes[1].to_host_is_ip);
    CHECK_THROWS_AS(make_connect_routes({{"", 443, "localhost", 8443}}), ConfigurationError);
    CHECK_THROWS_AS(make_connect_routes({{"a.example", 443, "", 8443}}), ConfigurationError);
    CHECK_THROWS_AS(make_connect_routes({{"a.example", 0, "localhost", 8443}}), ConfigurationError);
    CHECK_THROWS_AS(make_connect_routes({{"a.example", 443, "localhost", 0}}), ConfigurationError);
}

TEST_CASE("a connector opens a verified TLS connection and counts it") {
    auto& server = TlsTestServer::get();
    Connector connector(test_options(), "calbridge-test");
    const Target target = parse_target(server.url("good", "/echo"));
    CallInterrupt call(within(10s));
    ConnectionPtr c = connector.open(target, call);
    REQUIRE(c != nullptr);
    CHECK(c->tls);
    CHECK(c->socket().is_open());
    CHECK(connector.connections_opened() == 1);
    CHECK(connector.tls_handshakes() == 1);
}

TEST_CASE("a connector opens a plain connection to loopback without a handshake") {
    auto& server = TlsTestServer::get();
    Connector connector(test_options(), "calbridge-test");
    const Target target = parse_target(server.url("plain", "/echo"));
    CallInterrupt call(within(10s));
    ConnectionPtr c = connector.open(target, call);
    CHECK_FALSE(c->tls);
    CHECK(connector.connections_opened() == 1);
    CHECK(connector.tls_handshakes() == 0);
}

TEST_CASE("a connector refuses a certificate for good and reports nothing sent") {
    auto& server = TlsTestServer::get();
    Connector connector(test_options(), "calbridge-test");
    const Target target = parse_target(server.url("untrusted", "/echo"));
    CallInterrupt call(within(10s));
    try {
        (void)connector.open(target, call);
        FAIL("an untrusted certificate was accepted");
    } catch (const TlsError& e) {
        CHECK_FALSE(e.details().request_sent);
        CHECK_FALSE(e.details().retryable);
    }
    CHECK(connector.tls_handshakes() == 0);
}

TEST_CASE("a connector of a cancelled call opens nothing") {
    auto& server = TlsTestServer::get();
    Connector connector(test_options(), "calbridge-test");
    const Target target = parse_target(server.url("good", "/echo", "127.0.0.1"));
    CallContext ctx = within(10s);
    ctx.cancel = std::make_shared<CancellationToken>();
    ctx.cancel->cancel();
    CallInterrupt call(ctx);
    CHECK_THROWS_AS(connector.open(target, call), CancelledError);
    CHECK(connector.connections_opened() == 0);
}
