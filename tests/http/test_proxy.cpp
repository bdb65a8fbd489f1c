// HTTPS through an HTTP CONNECT proxy, and which hosts bypass it.
#include "support/catch.hpp"
#include "tls_test_server.hpp"

#include "http/proxy.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include <cstdlib>

using namespace calbridge;
using namespace calbridge::test;
using calbridge::http::make_proxy_config;
using calbridge::http::no_proxy_matches;

TEST_CASE("NO_PROXY matches names, their subdomains, addresses, CIDR prefixes and ports") {
    CHECK(no_proxy_matches("*", "anything.example", 443));
    CHECK(no_proxy_matches("example.com", "example.com", 443));
    CHECK(no_proxy_matches("example.com", "api.example.com", 443));
    CHECK(no_proxy_matches(".example.com", "api.example.com", 443));
    CHECK(no_proxy_matches(".example.com", "example.com", 443));
    CHECK(no_proxy_matches("EXAMPLE.com", "Api.Example.COM", 443));
    CHECK_FALSE(no_proxy_matches("example.com", "badexample.com", 443));
    CHECK_FALSE(no_proxy_matches("api.example.com", "example.com", 443));
    CHECK(no_proxy_matches("foo, example.com:8443 ,bar", "example.com", 8443));
    CHECK_FALSE(no_proxy_matches("example.com:8443", "example.com", 443));
    CHECK(no_proxy_matches("10.0.0.0/8", "10.1.2.3", 443));
    CHECK_FALSE(no_proxy_matches("10.0.0.0/8", "11.1.2.3", 443));
    CHECK(no_proxy_matches("192.168.1.7", "192.168.1.7", 443));
    CHECK_FALSE(no_proxy_matches("192.168.1.7", "192.168.1.8", 443));
    CHECK(no_proxy_matches("fd00::/8", "fd12::1", 443));
    CHECK(no_proxy_matches("[::2]:443", "::2", 443));
    CHECK(no_proxy_matches("::2", "[::2]", 443));
    CHECK_FALSE(no_proxy_matches("", "example.com", 443));
    CHECK_FALSE(no_proxy_matches(" , ", "example.com", 443));
}

TEST_CASE("loopback hosts never go through the proxy") {
    HttpTransportOptions o;
    o.proxy = "http://proxy.example:3128";
    const auto config = make_proxy_config(o);
    CHECK(use_proxy(config, "api.cronofy.com", 443));
    CHECK_FALSE(use_proxy(config, "localhost", 443));
    CHECK_FALSE(use_proxy(config, "127.0.0.1", 443));
    CHECK_FALSE(use_proxy(config, "::1", 443));
}

TEST_CASE("proxy settings: defaults, credentials, and what is refused") {
    HttpTransportOptions o;
    o.use_proxy_env = false;
    CHECK_FALSE(make_proxy_config(o).enabled());

    o.proxy = "proxy.example";
    auto c = make_proxy_config(o);
    CHECK(c.host == "proxy.example");
    CHECK(c.port == 80);
    CHECK(c.authorization.empty());

    o.proxy = "http://us%40r:p%3Ass@[::1]:3128/";
    c = make_proxy_config(o);
    CHECK(c.host == "::1");
    CHECK(c.host_is_ip);
    CHECK(c.port == 3128);
    CHECK(c.authorization == "Basic dXNAcjpwOnNz");  // base64("us@r:p:ss")

    o.proxy = "https://proxy.example:443";
    CHECK_THROWS_AS(make_proxy_config(o), ConfigurationError);
    o.proxy = "socks5://proxy.example:1080";
    CHECK_THROWS_AS(make_proxy_config(o), ConfigurationError);
    o.proxy = "http://user:hunter2-secret@proxy.example:3128/some/path";
    try {
        make_proxy_config(o);
        FAIL("expected a ConfigurationError");
    } catch (const ConfigurationError& e) {
        CHECK_THAT(e.what(), !Catch::Matchers::Contains("hunter2"));
    }
}

TEST_CASE("HTTPS_PROXY and NO_PROXY are read from the environment, lower case first") {
    ::setenv("HTTPS_PROXY", "http://upper.example:1111", 1);
    ::setenv("https_proxy", "http://lower.example:2222", 1);
    ::setenv("NO_PROXY", "internal.example", 1);
    HttpTransportOptions o;
    auto c = make_proxy_config(o);
    CHECK(c.host == "lower.example");
    CHECK(c.port == 2222);
    CHECK(c.no_proxy == "internal.example");
    o.use_proxy_env = false;
    CHECK_FALSE(make_proxy_config(o).enabled());
    ::unsetenv("https_proxy");
    ::unsetenv("HTTPS_PROXY");
    ::unsetenv("NO_PROXY");
    CHECK_FALSE(make_proxy_config(HttpTransportOptions{}).enabled());
}

TEST_CASE("requests go through an HTTP CONNECT proxy and reuse the tunnel") {
    auto& server = TlsTestServer::get();
    auto options = test_options();
    options.proxy = "http://127.0.0.1:" + std::to_string(server.port("proxy"));
    auto transport = make_http_transport(options);
    const auto connects = server.stat("connects");
    // calbridge.test does not resolve here: only the proxy knows where it is.
    const auto url = server.url("good", "/echo", "calbridge.test");
    const auto res = get(*transport, url);
    CHECK(res.status == 200);
    CHECK(echoed_header(res.body, "Host") == "calbridge.test:" + std::to_string(server.port("good")));
    CHECK(get(*transport, url).status == 200);
    CHECK(server.stat("connects") == connects + 1);
    CHECK(transport->stats().connections_opened == 1);
    CHECK(transport->stats().tls_handshakes == 1);
}

TEST_CASE("the proxy's credentials are sent, and a refusal is a connection error, nothing sent") {
    auto& server = TlsTestServer::get();
    const auto proxy_port = std::to_string(server.port("proxy"));
    auto options = test_options();
    options.proxy = "http://user:pass@127.0.0.1:" + proxy_port;
    CHECK(get(*make_http_transport(options), server.url("good", "/echo", "calbridge.test")).status == 200);

    options.proxy = "http://user:wrong-password@127.0.0.1:" + proxy_port;
    try {
        get(*make_http_transport(options), server.url("good", "/echo", "calbridge.test"));
        FAIL("expected a ConnectionError");
    } catch (const ConnectionError& e) {
        CHECK_FALSE(e.details().request_sent);
        CHECK_THAT(e.what(), Catch::Matchers::Contains("407"));
        CHECK_THAT(e.what(), !Catch::Matchers::Contains("wrong-password"));
    }
}

TEST_CASE("through the proxy, the certificate is still verified against the target") {
    auto& server = TlsTestServer::get();
    auto options = test_options();
    options.proxy = "http://127.0.0.1:" + std::to_string(server.port("proxy"));
    auto transport = make_http_transport(options);
    CHECK_THROWS_AS(get(*transport, server.url("wronghost", "/echo", "calbridge.test")), TlsError);
}

TEST_CASE("NO_PROXY hosts and loopback bypass the proxy") {
    auto& server = TlsTestServer::get();
    auto options = test_options();
    options.proxy = "http://127.0.0.1:" + std::to_string(server.port("proxy"));
    const auto connects = server.stat("connects");
    CHECK(get(*make_http_transport(options), server.url("good", "/echo")).status == 200);  // localhost
    options.no_proxy = "calbridge.test";
    // calbridge.test is not proxied now, and does not resolve: a connection error.
    CHECK_THROWS_AS(get(*make_http_transport(options), server.url("good", "/echo", "calbridge.test")),
                    ConnectionError);
    CHECK(server.stat("connects") == connects);
}
