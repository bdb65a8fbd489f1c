#include "http/target.hpp"
#include "util/ascii.hpp"

#include "util/url.hpp"

#include <calbridge/config.hpp>
#include <calbridge/errors.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

namespace calbridge::http {

namespace urls = boost::urls;

namespace {

// Host names reach the wire (Host header, SNI, CONNECT line): letters, digits, '-', '.', '_'.
bool is_plain_host_name(std::string_view host) noexcept {
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
}


}  // namespace

namespace {

std::string bracketed(std::string_view host) {
    if (host.find(':') == std::string_view::npos) return std::string(host);
    return "[" + std::string(host) + "]";
}

}  // namespace

std::string authority(std::string_view host, std::uint16_t port) {
    return bracketed(host) + ":" + std::to_string(port);
}

Target parse_target(std::string_view url) {
    // What Boost 1.81's parse_uri asserts on never reaches it (util/url.hpp).
    if (!detail::parse_uri_is_safe(url)) throw InvalidArgumentError("request URL is not an absolute URL");
    auto parsed = urls::parse_uri(url);  // a fragment is allowed, and never sent
    if (!parsed) throw InvalidArgumentError("request URL is not an absolute URL");
    const urls::url_view u = *parsed;

    Target t;
    if (u.scheme_id() == urls::scheme::https) {
        t.tls = true;
        t.port = 443;
    } else if (u.scheme_id() == urls::scheme::http) {
        t.tls = false;
        t.port = 80;
    } else {
        throw InvalidArgumentError("request URL must use https (or http to a loopback address)");
    }
    if (u.has_userinfo()) throw InvalidArgumentError("request URL must not carry user info");

    switch (u.host_type()) {
        case urls::host_type::ipv4:
        case urls::host_type::ipv6:
            t.host = detail::ascii_lower(u.host_address());
            t.host_is_ip = true;
            break;
        case urls::host_type::name:
            t.host = detail::ascii_lower(u.host_address());
            if (!is_plain_host_name(t.host)) throw InvalidArgumentError("request URL has an unusable host name");
            break;
        default:
            throw InvalidArgumentError("request URL has no usable host");
    }
    if (u.has_port() && !u.port().empty()) {
        if (u.port_number() == 0) throw InvalidArgumentError("request URL has an invalid port");
        t.port = u.port_number();
    }
    if (!t.tls && !is_loopback_host(t.host)) {
        throw ConfigurationError("http:// is allowed only to a loopback address; use https for " + t.host);
    }

    const bool default_port = t.port == (t.tls ? 443 : 80);
    t.host_header = default_port ? bracketed(t.host) : authority(t.host, t.port);
    t.request_target = std::string(u.encoded_target());
    if (t.request_target.empty()) t.request_target = "/";
    if (t.request_target.front() != '/') t.request_target.insert(0, "/");
    t.origin = std::string(t.tls ? "https://" : "http://") + authority(t.host, t.port);
    return t;
}

}  // namespace calbridge::http
