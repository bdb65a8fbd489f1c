#include "support/catch.hpp"

#include <calbridge/config.hpp>
#include <calbridge/errors.hpp>

using namespace calbridge;

namespace {

ClientOptions base_options() {
    ClientOptions o;
    o.client_id = "cats";
    o.client_secret = Secret("a-client-secret-of-some-length");
    return o;
}

template <class F>
std::string configuration_error_of(F&& f) {
    try {
        f();
    } catch (const ConfigurationError& e) {
        CHECK(e.code() == ErrorCode::configuration);
        return e.what();
    }
    FAIL("no ConfigurationError");
    return {};
}

}  // namespace

TEST_CASE("every data center maps to its API and app hosts", "[config]") {
    const std::pair<const char*, Hosts> expected[] = {
        {"us", {"https://api.cronofy.com", "https://app.cronofy.com"}},
        {"uk", {"https://api-uk.cronofy.com", "https://app-uk.cronofy.com"}},
        {"de", {"https://api-de.cronofy.com", "https://app-de.cronofy.com"}},
        {"au", {"https://api-au.cronofy.com", "https://app-au.cronofy.com"}},
        {"ca", {"https://api-ca.cronofy.com", "https://app-ca.cronofy.com"}},
        {"sg", {"https://api-sg.cronofy.com", "https://app-sg.cronofy.com"}},
    };
    for (const auto& [name, hosts] : expected) {
        const auto dc = parse_data_center(name);
        CHECK(data_center_name(dc) == name);
        CHECK(hosts_for(dc).api_url == hosts.api_url);
        CHECK(hosts_for(dc).app_url == hosts.app_url);
        auto o = base_options();
        o.data_center = dc;
        const Config c(std::move(o));
        CHECK(c.api_url() == hosts.api_url);
        CHECK(c.app_url() == hosts.app_url);
    }
    CHECK(parse_data_center("DE") == DataCenter::de);
}

TEST_CASE("an unknown data center is a configuration error before any request", "[config]") {
    CHECK_THROWS_AS(parse_data_center("eu"), ConfigurationError);
    CHECK_THROWS_AS(parse_data_center(""), ConfigurationError);
    CHECK_THROWS_AS(parse_data_center("us "), ConfigurationError);
    CHECK_THROWS_AS(Config::from_json(R"({"client_id":"a","client_secret":"b","data_center":"mars"})"),
                    ConfigurationError);
}

TEST_CASE("both spellings data_center and data_centre are read", "[config]") {
    const auto a = Config::from_json(R"({"client_id":"a","client_secret":"b","data_center":"uk"})");
    const auto b = Config::from_json(R"({"client_id":"a","client_secret":"b","data_centre":"uk"})");
    CHECK(a.data_center() == DataCenter::uk);
    CHECK(b.data_center() == DataCenter::uk);
    CHECK(b.api_url() == "https://api-uk.cronofy.com");
    CHECK_THROWS_AS(
        Config::from_json(R"({"client_id":"a","client_secret":"b","data_center":"uk","data_centre":"de"})"),
        ConfigurationError);
}

TEST_CASE("configuration JSON reads every documented key and rejects unknown ones", "[config]") {
    const auto c = Config::from_json(R"({
        "client_id": "cats", "client_secret": "s3cret", "data_centre": "de",
        "api_url": "http://127.0.0.1:8443/", "app_url": "https://localhost:9443/base/",
        "redirect_uris": ["https://*.example.com/cb", "http://localhost:8080/cb"],
        "require_secure_redirect_uri": true, "connect_timeout_ms": 1500, "request_timeout_ms": 9000,
        "ca_file": "/tmp/ca.pem", "leeway_seconds": 30, "user_agent": "app/1.0",
        "token_encoding": "json", "client_authentication": "http_basic"})");
    CHECK(c.client_id() == "cats");
    CHECK(c.client_secret().reveal() == "s3cret");
    CHECK(c.api_url() == "http://127.0.0.1:8443");
    CHECK(c.app_url() == "https://localhost:9443/base");
    CHECK(c.redirect_uris().size() == 2);
    CHECK(c.timeouts().connect == std::chrono::milliseconds(1500));
    CHECK(c.timeouts().request == std::chrono::milliseconds(9000));
    CHECK(c.tls().source == TlsTrust::Source::ca_file);
    CHECK(c.tls().ca_file == "/tmp/ca.pem");
    CHECK(c.leeway() == std::chrono::seconds(30));
    CHECK(c.user_agent() == "app/1.0");
    CHECK(c.token_encoding() == TokenRequestEncoding::json);
    CHECK(c.client_authentication() == ClientAuthentication::http_basic);

    CHECK_THROWS_AS(Config::from_json(R"({"client_id":"a","client_secret":"b","clientsecret":"c"})"),
                    ConfigurationError);
    CHECK_THROWS_AS(Config::from_json(R"({"client_id":"a","client_secret":"b","leeway_seconds":"60"})"),
                    ConfigurationError);
    CHECK_THROWS_AS(Config::from_json(R"({"client_id":"a","client_secret":"b","token_encoding":"xml"})"),
                    ConfigurationError);
    CHECK_THROWS_AS(Config::from_json("[1,2]"), ConfigurationError);
    CHECK_THROWS_AS(Config::from_json("{not json"), ConfigurationError);
    CHECK_THROWS_AS(Config::from_json(""), ConfigurationError);
}

TEST_CASE("defaults: us hosts, 60 s leeway, calbridge user agent, form-encoded body credentials", "[config]") {
    const Config c(base_options());
    CHECK(c.data_center() == DataCenter::us);
    CHECK(c.leeway() == std::chrono::seconds(60));
    CHECK(c.user_agent().rfind("calbridge/", 0) == 0);
    CHECK(c.user_agent().size() > 10);
    CHECK(c.tls().source == TlsTrust::Source::system);
    CHECK(c.token_encoding() == TokenRequestEncoding::form);
    CHECK(c.client_authentication() == ClientAuthentication::request_body);
}

TEST_CASE("invalid options are configuration errors naming the option", "[config]") {
    auto check = [](auto mutate, std::string_view needle) {
        auto o = base_options();
        mutate(o);
        const auto message = configuration_error_of([&] { Config c(std::move(o)); });
        CHECK_THAT(message, Catch::Matchers::Contains(std::string(needle)));
    };
    check([](ClientOptions& o) { o.client_id.clear(); }, "client_id");
    check([](ClientOptions& o) { o.client_id = "has space"; }, "client_id");
    check([](ClientOptions& o) { o.client_secret = Secret(); }, "client_secret");
    check([](ClientOptions& o) { o.api_url = "http://api.example.com"; }, "api_url");
    check([](ClientOptions& o) { o.api_url = "ftp://127.0.0.1"; }, "api_url");
    // Boost.URL 1.81 reads this as host 127.0.0.1 (boostorg/url#770): it must not pass as loopback.
    check([](ClientOptions& o) { o.api_url = "http://127.0.0.1.evil.com"; }, "api_url");
    check([](ClientOptions& o) { o.app_url = "not a url"; }, "app_url");
    check([](ClientOptions& o) { o.api_url = "https://user:pw@example.com"; }, "api_url");
    check([](ClientOptions& o) { o.timeouts.connect = std::chrono::milliseconds(0); }, "timeout");
    check([](ClientOptions& o) { o.timeouts.request = std::chrono::milliseconds(-1); }, "timeout");
    check([](ClientOptions& o) { o.leeway = std::chrono::seconds(-1); }, "leeway");
    check([](ClientOptions& o) { o.tls.source = TlsTrust::Source::ca_file; }, "ca_file");
    check([](ClientOptions& o) { o.tls = {TlsTrust::Source::ca_pem, "", "garbage"}; }, "ca_pem");
    check([](ClientOptions& o) { o.user_agent = "x\r\nInjected: 1"; }, "user_agent");
    check([](ClientOptions& o) { o.redirect_uris = {"https://a.*.example.com/cb"}; }, "'*'");
    check([](ClientOptions& o) { o.redirect_uris = {"http://example.com/cb"}; }, "https");
    check([](ClientOptions& o) { o.redirect_uris = {"https://example.com/cb#frag"}; }, "fragment");
}

TEST_CASE("the secret never appears in a configuration error", "[config]") {
    auto o = base_options();
    o.client_secret = Secret("secret-with\ta-tab");
    const auto message = configuration_error_of([&] { Config c(std::move(o)); });
    CHECK(message.find("secret-with") == std::string::npos);
}

TEST_CASE("a client secret may hold any visible ASCII character and spaces but no control character", "[config]") {
    auto o = base_options();
    o.client_secret = Secret(" any VSCHAR: !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~ ");
    CHECK_NOTHROW(Config(o));
    for (const char* bad : {"tab\there", "new\nline", "cr\rhere", "del\x7fhere"}) {
        o.client_secret = Secret(bad);
        CHECK(configuration_error_of([&] { Config c(o); }).find("control characters") != std::string::npos);
    }
}

TEST_CASE("redirect URIs must be https, or http to loopback, unless opted out", "[config]") {
    const Config c(base_options());
    CHECK_NOTHROW(c.check_redirect_uri("https://example.com/callback"));
    CHECK_NOTHROW(c.check_redirect_uri("http://localhost:8080/cb"));
    CHECK_NOTHROW(c.check_redirect_uri("http://127.0.0.1/cb"));
    CHECK_NOTHROW(c.check_redirect_uri("http://127.10.0.3:5000/cb"));
    CHECK_NOTHROW(c.check_redirect_uri("http://[::1]:8080/cb"));
    CHECK_THROWS_AS(c.check_redirect_uri("http://example.com/cb"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("http://128.0.0.1/cb"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("http://127.0.0.1.evil.com/cb"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("com.example.app:/cb"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri(""), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("/relative/cb"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://example.com/cb#fragment"), ConfigurationError);

    auto o = base_options();
    o.require_secure_redirect_uri = false;
    const Config lax(std::move(o));
    CHECK_NOTHROW(lax.check_redirect_uri("http://example.com"));
    CHECK_NOTHROW(lax.check_redirect_uri("com.example.app:/cb"));
}

TEST_CASE("registered redirect URIs match exactly or by a leading wildcard label", "[config]") {
    auto o = base_options();
    o.redirect_uris = {"https://app.example.com/callback", "https://*.tenants.example.com:8443/cb?x=1"};
    const Config c(std::move(o));
    CHECK_NOTHROW(c.check_redirect_uri("https://app.example.com/callback"));
    CHECK_NOTHROW(c.check_redirect_uri("https://a.tenants.example.com:8443/cb?x=1"));
    CHECK_NOTHROW(c.check_redirect_uri("https://a.b.tenants.example.com:8443/cb?x=1"));
    CHECK_NOTHROW(c.check_redirect_uri("https://A.Tenants.Example.com:8443/cb?x=1"));  // hosts are case-insensitive

    CHECK_THROWS_AS(c.check_redirect_uri("https://app.example.com/callback/"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://app.example.com/Callback"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://app.example.com/callback?x=1"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://evil.com/callback"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://tenants.example.com:8443/cb?x=1"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://a.tenants.example.com/cb?x=1"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://a.tenants.example.com:8443/cb?x=2"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://atenants.example.com:8443/cb?x=1"), ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://a.tenants.example.com.evil.com:8443/cb?x=1"),
                    ConfigurationError);
    CHECK_THROWS_AS(c.check_redirect_uri("https://*.tenants.example.com:8443/cb?x=1"), ConfigurationError);
}

TEST_CASE("loopback hosts are recognised exactly", "[config]") {
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.255.255.254"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("[::1]"));
    CHECK_FALSE(is_loopback_host("127.0.0"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.2"));
    CHECK_FALSE(is_loopback_host("127.0.0.256"));
    CHECK_FALSE(is_loopback_host("127.0.0.1a"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK_FALSE(is_loopback_host("localhost.example.com"));
    CHECK_FALSE(is_loopback_host(""));
    CHECK_FALSE(is_loopback_host("127..0.1"));
}
