// connect_to: a request keeps its URL (Host, SNI, the certificate's name check) while its TCP
// connection goes elsewhere.
#include "support/catch.hpp"
#include "tls_test_server.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

using namespace calbridge;
using namespace calbridge::test;
using namespace std::chrono_literals;

namespace {

// A transport that sends `host`:`port` to the test server's `listener`.
std::shared_ptr<Transport> routed(const std::string& host, std::uint16_t port, const std::string& listener) {
    auto options = test_options();
    ConnectTo route;
    route.host = host;
    route.port = port;
    route.to_host = "127.0.0.1";
    route.to_port = TlsTestServer::get().port(listener);
    options.connect_to.push_back(route);
    return make_http_transport(options);
}

}  // namespace

TEST_CASE("connect_to sends a request for one host and port to another address, Host header unchanged") {
    // Port 1 has nothing listening: only the route can reach the server.
    auto transport = routed("LocalHost", 1, "good");
    const auto res = get(*transport, "https://localhost:1/echo?routed=1");
    CHECK(res.status == 200);
    CHECK(json_string(res.body, "path") == "/echo?routed=1");
    CHECK_THAT(res.body, Catch::Matchers::Contains(R"(["Host", "localhost:1"])"));
    CHECK(transport->stats().connections_opened == 1);
}

TEST_CASE("connect_to keeps the certificate check on the URL's host name") {
    auto transport = routed("calbridge.invalid", 443, "good");  // the certificate names localhost
    try {
        get(*transport, "https://calbridge.invalid/echo", 5s);
        FAIL("the request succeeded");
    } catch (const TlsError& e) {
        CHECK_FALSE(e.details().request_sent);
        CHECK_THAT(e.what(), Catch::Matchers::Contains("hostname mismatch"));
    }
}

TEST_CASE("connect_to leaves other hosts and ports alone") {
    auto& server = TlsTestServer::get();
    auto transport = routed("localhost", 1, "untrusted");  // would fail verification if used
    CHECK(get(*transport, server.url("good", "/echo")).status == 200);
}

TEST_CASE("connect_to entries without hosts or with port 0 are configuration errors") {
    for (int i = 0; i < 4; ++i) {
        auto options = test_options();
        ConnectTo route{"api.test", 443, "127.0.0.1", 8443};
        if (i == 0) route.host.clear();
        if (i == 1) route.to_host.clear();
        if (i == 2) route.port = 0;
        if (i == 3) route.to_port = 0;
        options.connect_to.push_back(route);
        CHECK_THROWS_AS(make_http_transport(options), ConfigurationError);
    }
}

TEST_CASE("connect_to cannot send an http:// request off loopback") {
    auto options = test_options();
    options.connect_to.push_back(ConnectTo{"127.0.0.1", 8080, "192.0.2.1", 80});
    auto transport = make_http_transport(options);
    CHECK_THROWS_AS(get(*transport, "http://127.0.0.1:8080/echo", 5s), ConfigurationError);
}
