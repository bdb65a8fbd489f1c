// Request URLs: what the transport takes from them, and what it refuses before any I/O.
#include "support/catch.hpp"

#include "http/target.hpp"

#include <calbridge/errors.hpp>

using calbridge::ConfigurationError;
using calbridge::InvalidArgumentError;
using calbridge::http::parse_target;

TEST_CASE("an https URL gives host, port, Host header, target and origin") {
    const auto t = parse_target("https://API.Cronofy.com/v1/events?tzid=Etc%2FUTC&from=2024-01-01#frag");
    CHECK(t.tls);
    CHECK(t.host == "api.cronofy.com");
    CHECK_FALSE(t.host_is_ip);
    CHECK(t.port == 443);
    CHECK(t.host_header == "api.cronofy.com");
    CHECK(t.request_target == "/v1/events?tzid=Etc%2FUTC&from=2024-01-01");
    CHECK(t.origin == "https://api.cronofy.com:443");
}

TEST_CASE("explicit ports, IPv6 literals and empty paths") {
    auto t = parse_target("https://localhost:8443");
    CHECK(t.port == 8443);
    CHECK(t.host_header == "localhost:8443");
    CHECK(t.request_target == "/");
    t = parse_target("http://[::1]:8080/x");
    CHECK_FALSE(t.tls);
    CHECK(t.host == "::1");
    CHECK(t.host_is_ip);
    CHECK(t.host_header == "[::1]:8080");
    CHECK(t.origin == "http://[::1]:8080");
    t = parse_target("https://127.0.0.1:443/?q");
    CHECK(t.host_header == "127.0.0.1");
    CHECK(t.request_target == "/?q");
}

TEST_CASE("http:// only to loopback, and no other scheme or user info") {
    CHECK_NOTHROW(parse_target("http://localhost:1234/"));
    CHECK_NOTHROW(parse_target("http://127.0.0.5/"));
    CHECK_THROWS_AS(parse_target("http://api.cronofy.com/"), ConfigurationError);
    CHECK_THROWS_AS(parse_target("http://192.168.0.1/"), ConfigurationError);
    CHECK_THROWS_AS(parse_target("ftp://api.cronofy.com/"), InvalidArgumentError);
    CHECK_THROWS_AS(parse_target("https://user:pw@api.cronofy.com/"), InvalidArgumentError);
    CHECK_THROWS_AS(parse_target("/v1/calendars"), InvalidArgumentError);
    CHECK_THROWS_AS(parse_target("https:///nohost"), InvalidArgumentError);
    CHECK_THROWS_AS(parse_target("https://bad%0d%0ahost/"), InvalidArgumentError);
    CHECK_THROWS_AS(parse_target("https://host:0/"), InvalidArgumentError);
    // Bytes no URL may hold stop before Boost.URL, which asserts on "scheme:" followed by one.
    CHECK_THROWS_AS(parse_target("https:\x9c"), InvalidArgumentError);
    CHECK_THROWS_AS(parse_target("https://api.test/a b"), InvalidArgumentError);
    CHECK_THROWS_AS(parse_target("https:?x"), InvalidArgumentError);
    CHECK_THROWS_AS(parse_target("https:#"), InvalidArgumentError);
}
