// HTTPS proxying through HTTP CONNECT: which proxy, and which hosts bypass it.
#pragma once

#include <calbridge/transport.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace calbridge::http {

struct ProxyConfig {
    std::string host;           // empty: no proxy
    bool host_is_ip = false;
    std::uint16_t port = 0;
    std::string authorization;  // "Basic ..." for Proxy-Authorization, or empty. A secret: never print it.
    std::string no_proxy;

    bool enabled() const noexcept { return !host.empty(); }
};

// options.proxy, or (when empty and options.use_proxy_env) HTTPS_PROXY/https_proxy with
// NO_PROXY/no_proxy. Throws ConfigurationError for a proxy URL it cannot use (not http://,
// no host, a path); the message never contains the password.
ProxyConfig make_proxy_config(const HttpTransportOptions& options);

// True when a request to host:port goes through the proxy: a proxy is set, the host is not
// loopback, and no NO_PROXY entry matches.
bool use_proxy(const ProxyConfig& proxy, std::string_view host, std::uint16_t port);

// NO_PROXY as curl reads it: comma-separated entries, "*" for every host; a name matches
// itself and its subdomains (a leading dot is optional); IP addresses match exactly or by CIDR
// prefix ("10.0.0.0/8", "fd00::/8"); an entry may end in ":port". Case-insensitive.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

}  // namespace calbridge::http
