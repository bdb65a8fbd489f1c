// TLS: the peer's certificate must chain to the configured trust and name the host.
#include "support/catch.hpp"
#include "tls_test_server.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include <fstream>
#include <sstream>

using namespace calbridge;
using namespace calbridge::test;
using namespace std::chrono_literals;

namespace {

// The TlsError a request fails with; fails the test if it succeeds or fails otherwise.
TlsError tls_error_of(Transport& transport, const std::string& url) {
    try {
        get(transport, url, 5s);
    } catch (const TlsError& e) {
        return e;
    } catch (const std::exception& e) {
        FAIL("expected a TlsError, got: " << e.what());
    }
    FAIL("expected a TlsError, the request succeeded");
    throw std::logic_error("unreachable");
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("a certificate from an untrusted CA is refused with a TLS error, nothing sent") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    const auto e = tls_error_of(*transport, server.url("untrusted", "/echo"));
    CHECK(e.code() == ErrorCode::tls);
    CHECK_FALSE(e.details().request_sent);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("unable to get local issuer certificate"));
    CHECK(transport->stats().tls_handshakes == 0);
}

TEST_CASE("a certificate for another host name is refused") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    const auto e = tls_error_of(*transport, server.url("wronghost", "/echo"));
    CHECK_FALSE(e.details().request_sent);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("hostname mismatch"));
}

TEST_CASE("a certificate naming the host only in its subject CN and without a SAN is refused") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    const auto e = tls_error_of(*transport, server.url("cnonly", "/echo"));
    CHECK_FALSE(e.details().request_sent);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("hostname mismatch"));
    CHECK(get(*transport, server.url("good", "/echo")).status == 200);  // the same CA, with a SAN
}

TEST_CASE("a certificate without the IP address is refused when connecting by IP") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    const auto e = tls_error_of(*transport, server.url("wronghost", "/echo", "127.0.0.1"));
    CHECK_FALSE(e.details().request_sent);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("IP address mismatch"));
}

TEST_CASE("a certificate naming the IP address is accepted when connecting by IP") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    CHECK(get(*transport, server.url("good", "/echo", "127.0.0.1")).status == 200);
}

TEST_CASE("an expired certificate is refused") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    const auto e = tls_error_of(*transport, server.url("expired", "/echo"));
    CHECK_FALSE(e.details().request_sent);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("certificate has expired"));
}

TEST_CASE("the system trust store does not trust the test CA") {
    auto& server = TlsTestServer::get();
    HttpTransportOptions options;
    options.use_proxy_env = false;
    auto transport = make_http_transport(options);
    const auto e = tls_error_of(*transport, server.url("good", "/echo"));
    CHECK_FALSE(e.details().request_sent);
}

TEST_CASE("a CA given as PEM text is trusted") {
    auto& server = TlsTestServer::get();
    HttpTransportOptions options;
    options.use_proxy_env = false;
    options.tls.source = TlsTrust::Source::ca_pem;
    // Another CA first: every certificate of the PEM counts, not only the first.
    options.tls.ca_pem = read_file(server.other_ca_file()) + read_file(server.ca_file());
    auto transport = make_http_transport(options);
    CHECK(get(*transport, server.url("good", "/echo")).status == 200);
}

TEST_CASE("trusting only the other CA refuses the good certificate") {
    auto& server = TlsTestServer::get();
    HttpTransportOptions options;
    options.use_proxy_env = false;
    options.tls.source = TlsTrust::Source::ca_file;
    options.tls.ca_file = server.other_ca_file();
    auto transport = make_http_transport(options);
    tls_error_of(*transport, server.url("good", "/echo"));
    CHECK(get(*transport, server.url("untrusted", "/echo")).status == 200);
}

TEST_CASE("an unusable CA setting is a configuration error") {
    HttpTransportOptions options;
    options.tls.source = TlsTrust::Source::ca_file;
    options.tls.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_AS(make_http_transport(options), ConfigurationError);
    options.tls.source = TlsTrust::Source::ca_pem;
    options.tls.ca_pem = "not a certificate";
    CHECK_THROWS_AS(make_http_transport(options), ConfigurationError);
}

TEST_CASE("a server offering only TLS 1.1 is refused") {
    auto& server = TlsTestServer::get();
    if (server.port("tls11") == 0) {
        WARN("this OpenSSL cannot serve TLS 1.1; skipped");
        return;
    }
    auto transport = make_http_transport(test_options());
    const auto e = tls_error_of(*transport, server.url("tls11", "/echo"));
    CHECK_FALSE(e.details().request_sent);
}
