// The TLS test server (tls_test_server.py), started once per test process on first use and
// stopped at exit, and small helpers around it.
#pragma once

#include <calbridge/transport.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace calbridge::test {

class TlsTestServer {
public:
    static TlsTestServer& get();

    // "good", "untrusted", "wronghost", "expired", "cnonly", "tls11" (0 when unavailable), "plain", "proxy".
    std::uint16_t port(const std::string& listener) const;
    // "https://localhost:<port of listener><path>" (http:// for "plain").
    std::string url(const std::string& listener, const std::string& path, const std::string& host = "localhost") const;
    const std::string& ca_file() const { return ca_file_; }
    const std::string& other_ca_file() const { return other_ca_file_; }
    // A field of the server's /stats: "connections", "handshakes", "requests", "connects".
    std::int64_t stat(const std::string& name) const;
    std::int64_t hits(const std::string& key) const;
    // Waits (up to 10 s) until the server has counted `key` at least `n` times (/hang,
    // /flaky-close, /stall-upload, /close-after): one request the server answers when it has.
    void wait_for_hit(const std::string& key, std::int64_t n = 1) const;

    ~TlsTestServer();

private:
    TlsTestServer();
    int pid_ = -1;
    int stdin_fd_ = -1;
    std::string ports_json_;
    std::string ca_file_;
    std::string other_ca_file_;
};

// Transport options that trust the test CA and ignore proxy variables of the environment.
HttpTransportOptions test_options();

CallContext within(std::chrono::milliseconds budget);

HttpResponse get(Transport& transport, const std::string& url, std::chrono::milliseconds budget = std::chrono::seconds(10));
HttpResponse post(Transport& transport, const std::string& url, const std::string& body,
                  std::chrono::milliseconds budget = std::chrono::seconds(10));

// A string or integer field of a JSON object text ("path", "method", "body", "connection").
std::string json_string(const std::string& json, const std::string& key);
std::int64_t json_int(const std::string& json, const std::string& key);
// The value of a request header the /echo endpoint saw, or "" when absent.
std::string echoed_header(const std::string& json, const std::string& name);

}  // namespace calbridge::test
