#include "config/host_rules.hpp"

#include <calbridge/config.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace calbridge::detail {

namespace {

bool is_ldh(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

std::vector<std::string_view> labels_of(std::string_view host) {
    std::vector<std::string_view> labels;
    std::size_t pos = 0;
    while (true) {
        const std::size_t dot = host.find('.', pos);
        labels.push_back(host.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos));
        if (dot == std::string_view::npos) return labels;
        pos = dot + 1;
    }
}

// Dotted-quad IPv4 in 127.0.0.0/8, or ::1 (with or without brackets): loopback by its text.
bool is_loopback_literal(std::string_view host) noexcept {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
    int octets = 0;
    std::size_t pos = 0;
    while (pos <= host.size()) {
        const std::size_t dot = std::min(host.find('.', pos), host.size());
        const std::string_view part = host.substr(pos, dot - pos);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || part.size() > 3 || ec != std::errc{} || end != part.data() + part.size() ||
            value > 255) {
            return false;
        }
        if (octets == 0 && value != 127) return false;
        ++octets;
        pos = dot + 1;
    }
    return octets == 4;
}

}  // namespace

bool is_plain_host_name(std::string_view host) noexcept {
    if (host.empty() || host.size() > 253) return false;
    for (const std::string_view label : labels_of(host)) {
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        if (!std::all_of(label.begin(), label.end(), is_ldh)) return false;
    }
    return true;
}

const std::vector<std::string_view>& public_two_label_suffixes() noexcept {
    // Second-level registries that sell names to the public, the common ones.
    static const std::vector<std::string_view> suffixes = {
        "ac.uk",  "co.uk",  "gov.uk", "ltd.uk", "me.uk",  "net.uk", "org.uk", "plc.uk", "sch.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "id.au",  "asn.au",
        "co.nz",  "net.nz", "org.nz", "ac.nz",  "govt.nz",
        "co.jp",  "ne.jp",  "or.jp",  "ac.jp",  "go.jp",  "gr.jp",  "ad.jp",
        "co.kr",  "or.kr",  "ne.kr",  "co.in",  "net.in", "org.in", "firm.in", "gen.in", "ind.in",
        "co.za",  "org.za", "web.za", "co.il",  "org.il", "co.id",  "or.id",  "web.id",
        "com.br", "net.br", "org.br", "com.cn", "net.cn", "org.cn", "com.hk", "com.tw", "com.sg",
        "com.my", "com.mx", "com.ar", "com.co", "com.tr", "com.ua", "com.pl", "com.es", "com.pt",
        "co.at",  "or.at",  "com.ph", "com.pk", "com.ng", "com.eg", "com.sa", "com.vn", "co.th",
        "in.th",  "co.ke",  "co.ug",  "co.tz",  "com.gh",
        "github.io", "gitlab.io", "herokuapp.com", "appspot.com", "azurewebsites.net",
        "cloudfront.net", "netlify.app", "vercel.app", "pages.dev", "workers.dev", "web.app",
        "firebaseapp.com", "blogspot.com", "s3.amazonaws.com",
    };
    return suffixes;
}

std::string wildcard_problem(std::string_view pattern) {
    if (pattern.rfind("*.", 0) != 0 || pattern.find('*', 1) != std::string_view::npos) {
        return "'*' may only be a leading \"*.\" label";
    }
    const std::string_view suffix = pattern.substr(2);
    if (!is_plain_host_name(suffix)) {
        return "the domain under a wildcard must be a plain host name (letters, digits, '-' and dots)";
    }
    const auto labels = labels_of(suffix);
    if (labels.size() < 2) return "a wildcard needs at least two labels after \"*.\" (\"*.com\" is a public suffix)";
    const std::string_view last = labels.back();
    if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return "a wildcard cannot cover an IP address";
    }
    const auto& publics = public_two_label_suffixes();
    if (std::find(publics.begin(), publics.end(), suffix) != publics.end()) {
        return "a wildcard cannot cover a public suffix (\"*." + std::string(suffix) + "\")";
    }
    return {};
}

std::vector<std::string> resolve_host(std::string_view host) {
    const std::string name(host);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (::getaddrinfo(name.c_str(), "80", &hints, &found) != 0) return {};
    std::vector<std::string> addresses;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        std::array<char, NI_MAXHOST> text{};
        if (::getnameinfo(a->ai_addr, a->ai_addrlen, text.data(), text.size(), nullptr, 0, NI_NUMERICHOST) == 0) {
            addresses.emplace_back(text.data());
        }
    }
    ::freeaddrinfo(found);
    return addresses;
}

bool is_loopback_host(std::string_view host, const HostResolver& resolve) noexcept {
    if (is_loopback_literal(host)) return true;
    if (host != "localhost") return false;
    // RFC 8252 §8.3: "localhost" is loopback only if it resolves there. Every address must be
    // loopback: a browser may pick any of them.
    try {
        const auto addresses = resolve(host);
        return !addresses.empty() && std::all_of(addresses.begin(), addresses.end(),
                                                 [](const std::string& a) { return is_loopback_literal(a); });
    } catch (...) {
        return false;
    }
}

}  // namespace calbridge::detail

namespace calbridge {

bool is_loopback_host(std::string_view host) noexcept {
    return detail::is_loopback_host(host, [](std::string_view h) { return detail::resolve_host(h); });
}

}  // namespace calbridge
