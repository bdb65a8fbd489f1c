#include "http/proxy.hpp"

#include "util/ascii.hpp"
#include "util/crypto.hpp"
#include "util/url.hpp"

#include <calbridge/config.hpp>
#include <calbridge/errors.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace calbridge::http {

namespace urls = boost::urls;

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string env(const char* lower_name, const char* upper_name) {
    // The lower-case spelling first, as curl does.
    if (const char* v = std::getenv(lower_name); v != nullptr && *v != '\0') return v;
    if (const char* v = std::getenv(upper_name); v != nullptr && *v != '\0') return v;
    return {};
}

// An IPv4 or IPv6 address as 4 or 16 bytes.
struct IpBytes {
    std::array<unsigned char, 16> bytes{};
    std::size_t size = 0;
};

std::optional<IpBytes> parse_ip(std::string_view text) {
    const std::string s(text);
    IpBytes ip;
    if (::inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
        ip.size = 4;
        return ip;
    }
    if (::inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
        ip.size = 16;
        return ip;
    }
    return std::nullopt;
}

bool prefix_matches(const IpBytes& a, const IpBytes& b, unsigned bits) noexcept {
    if (a.size != b.size || bits > a.size * 8) return false;
    const unsigned whole = bits / 8;
    if (std::memcmp(a.bytes.data(), b.bytes.data(), whole) != 0) return false;
    const unsigned rest = bits % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
    return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

// Splits "name:port", "[v6]:port", "v6" (several colons, no port) and "name".
void split_entry(std::string_view entry, std::string_view& host, std::optional<std::uint16_t>& port) {
    port.reset();
    std::string_view rest;
    if (!entry.empty() && entry.front() == '[') {
        const auto close = entry.find(']');
        if (close == std::string_view::npos) {
            host = entry;
            return;
        }
        host = entry.substr(1, close - 1);
        rest = entry.substr(close + 1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
        const auto colon = entry.find(':');
        host = entry.substr(0, colon);
        rest = entry.substr(colon);
    } else {
        host = entry;
    }
    if (rest.size() > 1 && rest.front() == ':') {
        unsigned value = 0;
        const auto digits = rest.substr(1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec == std::errc{} && end == digits.data() + digits.size() && value <= 65535) {
            port = static_cast<std::uint16_t>(value);
        }
    }
}

bool entry_matches(std::string_view entry, std::string_view host, std::uint16_t port) {
    std::string_view entry_host;
    std::optional<std::uint16_t> entry_port;
    // A CIDR entry carries no port.
    const auto slash = entry.find('/');
    if (slash != std::string_view::npos) {
        const auto net = parse_ip(entry.substr(0, slash));
        const auto addr = parse_ip(host);
        unsigned bits = 0;
        const auto len = entry.substr(slash + 1);
        const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
        if (!net || !addr || ec != std::errc{} || end != len.data() + len.size()) return false;
        return prefix_matches(*net, *addr, bits);
    }
    split_entry(entry, entry_host, entry_port);
    if (entry_port && *entry_port != port) return false;
    if (const auto net = parse_ip(entry_host)) {
        const auto addr = parse_ip(host);
        return addr && prefix_matches(*net, *addr, static_cast<unsigned>(net->size * 8));
    }
    while (!entry_host.empty() && entry_host.front() == '.') entry_host.remove_prefix(1);
    if (entry_host.empty()) return false;
    const std::string name = detail::ascii_lower(entry_host);
    if (host == name) return true;
    return host.size() > name.size() && host.substr(host.size() - name.size()) == name &&
           host[host.size() - name.size() - 1] == '.';
}

}  // namespace

bool no_proxy_matches(std::string_view no_proxy, std::string_view host_in, std::uint16_t port) {
    std::string host = detail::ascii_lower(host_in);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    while (!host.empty() && host.back() == '.') host.pop_back();
    std::size_t pos = 0;
    while (pos <= no_proxy.size()) {
        const auto comma = std::min(no_proxy.find(',', pos), no_proxy.size());
        const auto entry = trim(no_proxy.substr(pos, comma - pos));
        pos = comma + 1;
        if (entry.empty()) continue;
        if (entry == "*") return true;
        if (entry_matches(entry, host, port)) return true;
    }
    return false;
}

bool use_proxy(const ProxyConfig& proxy, std::string_view host, std::uint16_t port) {
    return proxy.enabled() && !is_loopback_host(host) && !no_proxy_matches(proxy.no_proxy, host, port);
}

ProxyConfig make_proxy_config(const HttpTransportOptions& options) {
    std::string url = options.proxy;
    ProxyConfig config;
    config.no_proxy = options.no_proxy;
    if (url.empty() && options.use_proxy_env) {
        url = env("https_proxy", "HTTPS_PROXY");
        if (config.no_proxy.empty()) config.no_proxy = env("no_proxy", "NO_PROXY");
    }
    if (url.empty()) return config;

    // curl and most tools accept a proxy without a scheme: it means http://.
    if (url.find("://") == std::string::npos) url.insert(0, "http://");
    // What Boost 1.81's parser asserts on never reaches it (util/url.hpp).
    if (!detail::parse_uri_is_safe(url)) throw ConfigurationError("the HTTPS proxy setting is not a URL");
    auto parsed = urls::parse_absolute_uri(url);
    if (!parsed) throw ConfigurationError("the HTTPS proxy setting is not a URL");
    const urls::url_view u = *parsed;
    if (u.scheme_id() != urls::scheme::http) {
        throw ConfigurationError("only http:// proxies (HTTP CONNECT) are supported, not " + std::string(u.scheme()));
    }
    if (u.host_type() == urls::host_type::ipv4 || u.host_type() == urls::host_type::ipv6) {
        config.host_is_ip = true;
    } else if (u.host_type() != urls::host_type::name) {
        throw ConfigurationError("the HTTPS proxy setting has no host");
    }
    config.host = detail::ascii_lower(u.host_address());
    if (config.host.empty()) throw ConfigurationError("the HTTPS proxy setting has no host");
    const auto path = u.encoded_path();
    if (u.has_query() || (!path.empty() && path != "/")) {
        throw ConfigurationError("the HTTPS proxy setting must be http://[user:password@]host[:port]");
    }
    config.port = 80;
    if (u.has_port() && !u.port().empty()) {
        if (u.port_number() == 0) throw ConfigurationError("the HTTPS proxy setting has an invalid port");
        config.port = u.port_number();
    }
    if (u.has_userinfo()) {
        std::string credentials = u.user() + ":" + u.password();
        config.authorization = "Basic " + detail::base64_encode(credentials);
        detail::secure_wipe(credentials.data(), credentials.size());
    }
    return config;
}

}  // namespace calbridge::http
