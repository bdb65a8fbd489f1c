// Where a request goes: the parts of its absolute URL the transport needs, checked once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace calbridge::http {

struct Target {
    bool tls = true;            // https (else http, which only loopback hosts may use)
    std::string host;           // lower-case name or IP address, without IPv6 brackets
    bool host_is_ip = false;
    std::uint16_t port = 443;
    std::string host_header;    // "host", "host:port", "[::1]:port": the Host header's value
    std::string request_target; // "/path?query" as given (percent-encoded), never empty
    std::string origin;         // "https://host:port": the pool's key
};

// Throws InvalidArgumentError for a URL that is not absolute http(s) with a host (or carries
// user info), and ConfigurationError for http:// to a host that is not loopback.
Target parse_target(std::string_view url);

// "host:port" for a CONNECT request or a message, with brackets around an IPv6 address.
std::string authority(std::string_view host, std::uint16_t port);

}  // namespace calbridge::http
