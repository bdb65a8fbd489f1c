// The redirect URI rules of the configuration: no user info, wildcards only over a domain of
// one's own and only for plain host names, http only to a host that is loopback.
#include "support/catch.hpp"

#include <calbridge/config.hpp>
#include <calbridge/errors.hpp>

#include "config/host_rules.hpp"

using namespace calbridge;

namespace {

Config config_with(std::vector<std::string> registered) {
    ClientOptions o;
    o.client_id = "cats";
    o.client_secret = Secret("a-client-secret-of-some-length");
    o.redirect_uris = std::move(registered);
    return Config(std::move(o));
}

std::string registration_error(const std::string& uri) {
    try {
        config_with({uri});
    } catch (const ConfigurationError& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("redirect URIs with user info are refused registered or not", "[config]") {
    CHECK_THAT(registration_error("https://evil.com:x@app.example.com/cb"), Catch::Matchers::Contains("user info"));
    CHECK_THAT(registration_error("https://user@*.example.com/cb"), Catch::Matchers::Contains("user info"));
    const Config open = config_with({});
    CHECK_THROWS_AS(open.check_redirect_uri("https://evil.com:x@app.example.com/cb"), ConfigurationError);
    CHECK_THROWS_AS(open.check_redirect_uri("https://evil.com@app.example.com/cb"), ConfigurationError);
    const Config wildcard = config_with({"https://*.example.com/cb"});
    CHECK_THROWS_AS(wildcard.check_redirect_uri("https://evil.com:x@a.example.com/cb"), ConfigurationError);
    CHECK_NOTHROW(wildcard.check_redirect_uri("https://a.example.com/cb"));
}

TEST_CASE("a wildcard matches only plain host names", "[config]") {
    const Config c = config_with({"https://*.example.com/cb"});
    CHECK_NOTHROW(c.check_redirect_uri("https://tenant-1.example.com/cb"));
    CHECK_NOTHROW(c.check_redirect_uri("https://A.b.Example.com/cb"));  // hosts compare lowercased
    for (const char* uri : {"https://evil.com%2F.example.com/cb", "https://evil.com%23.example.com/cb",
                            "https://a%2Eexample.com/cb", "https://evil%40.example.com/cb",
                            "https://a_b.example.com/cb", "https://-a.example.com/cb", "https://a..example.com/cb",
                            "https://xn--n3h%00.example.com/cb"}) {
        CAPTURE(uri);
        CHECK_THROWS_AS(c.check_redirect_uri(uri), ConfigurationError);
    }
}

TEST_CASE("a wildcard over a public suffix or a bare label is refused", "[config]") {
    for (const char* uri : {"https://*.com/cb", "https://*.co.uk/cb", "https://*.com.au/cb", "https://*.co.jp/cb",
                            "https://*.github.io/cb", "https://*.localhost/cb", "https://*.0.0.1/cb",
                            "https://*.ex%61mple.com/cb", "https://*.a_b.com/cb", "https://*./cb"}) {
        CAPTURE(uri);
        CHECK(registration_error(uri) != "(accepted)");
    }
    CHECK_THAT(registration_error("https://*.com/cb"), Catch::Matchers::Contains("two labels"));
    CHECK_THAT(registration_error("https://*.co.uk/cb"), Catch::Matchers::Contains("public suffix"));
    CHECK_NOTHROW(config_with({"https://*.example.com/cb", "https://*.example.co.uk/cb", "https://*.me.github.io/cb"}));
}

TEST_CASE("http is loopback only for literal loopback addresses or a localhost that resolves only there",
          "[config]") {
    using detail::is_loopback_host;
    const auto resolving_to = [](std::vector<std::string> addresses) {
        return [addresses](std::string_view) { return addresses; };
    };
    CHECK(is_loopback_host("localhost", resolving_to({"127.0.0.1", "::1"})));
    CHECK_FALSE(is_loopback_host("localhost", resolving_to({"127.0.0.1", "192.0.2.7"})));
    CHECK_FALSE(is_loopback_host("localhost", resolving_to({"203.0.113.9"})));
    CHECK_FALSE(is_loopback_host("localhost", resolving_to({})));
    CHECK_FALSE(is_loopback_host("localhost", [](std::string_view) -> std::vector<std::string> {
        throw std::runtime_error("resolver down");
    }));
    // Literal addresses are never resolved.
    const auto never = [](std::string_view) -> std::vector<std::string> {
        FAIL("resolved a literal");
        return {};
    };
    CHECK(is_loopback_host("127.0.0.1", never));
    CHECK(is_loopback_host("[::1]", never));
    CHECK_FALSE(is_loopback_host("app.example.com", never));
    // This machine's localhost is loopback (the tests need it).
    CHECK(calbridge::is_loopback_host("localhost"));
}
