#include <calbridge/config.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/version.hpp>

#include "config/host_rules.hpp"
#include "util/ascii.hpp"
#include "util/url.hpp"

#include <boost/json.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

namespace calbridge {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

bool has_control_or_space(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7F;
    });
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

// Quotes a configuration value in an error message, shortened: values here are URLs and
// names, never secrets, but they may be long or contain control characters.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s.substr(0, 200)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7F) ? '?' : c;
    }
    if (s.size() > 200) out += "...";
    return out + "\"";
}

// A service base URL (API or app host): https, or http to loopback; no user info, query or
// fragment. A path prefix is allowed (a proxy may mount the service under one); the result
// has no trailing slash.
std::string normalize_service_url(std::string_view option, std::string_view value) {
    const auto parsed = detail::parse_uri_strict(value);
    if (!parsed || parsed->has_fragment()) {
        throw ConfigurationError(std::string(option) + " is not an absolute URL: " + quoted(value));
    }
    const urls::url_view u = *parsed;
    const std::string scheme = detail::ascii_lower(u.scheme());
    const std::string host = u.host();
    if (host.empty()) {
        throw ConfigurationError(std::string(option) + " has no host: " + quoted(value));
    }
    if (scheme != "https" && !(scheme == "http" && is_loopback_host(host))) {
        throw ConfigurationError(std::string(option) +
                                 " must use https (http is allowed only to a loopback address): " + quoted(value));
    }
    if (u.has_userinfo() || u.has_query()) {
        throw ConfigurationError(std::string(option) + " must not carry user info or a query: " + quoted(value));
    }
    std::string out(value);
    while (!out.empty() && out.back() == '/') out.pop_back();
    return out;
}

struct ParsedRedirect {
    std::string scheme;
    std::string host;
    std::string port;
    std::string rest;  // encoded path and query, compared byte for byte
};

ParsedRedirect parse_redirect_uri(std::string_view option, std::string_view value) {
    const auto parsed = detail::parse_uri_strict(value);
    if (!parsed) {
        throw ConfigurationError(std::string(option) + " is not an absolute URL: " + quoted(value));
    }
    const urls::url_view u = *parsed;
    if (u.has_fragment()) {
        // RFC 6749 §3.1.2: the redirection endpoint URI MUST NOT include a fragment.
        throw ConfigurationError(std::string(option) + " must not contain a fragment: " + quoted(value));
    }
    if (u.has_userinfo()) {
        // "https://evil.com:x@app.example.com/cb" reads as evil.com to a person.
        throw ConfigurationError(std::string(option) + " must not carry user info: " + quoted(value));
    }
    ParsedRedirect r;
    r.scheme = detail::ascii_lower(u.scheme());
    r.host = detail::ascii_lower(u.encoded_host());
    r.port = std::string(u.port());
    r.rest = std::string(u.encoded_path());
    if (u.has_query()) r.rest += "?" + std::string(u.encoded_query());
    return r;
}

// "*.example.com" matches "a.example.com" and "a.b.example.com", never "example.com", and only
// a plain host name: "evil.com%2F.example.com" is not a subdomain of example.com to a browser.
bool host_matches(std::string_view pattern, std::string_view host) {
    if (pattern.rfind("*.", 0) != 0) return pattern == host;
    if (!detail::is_plain_host_name(host)) return false;
    const std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix &&
           host[0] != '.';
}

void check_registered_redirect_uri(std::string_view value, bool require_secure) {
    const auto r = parse_redirect_uri("redirect_uris entry", value);
    if (r.host.find('*') != std::string::npos) {
        if (const std::string problem = detail::wildcard_problem(r.host); !problem.empty()) {
            throw ConfigurationError("redirect_uris entry " + quoted(value) + ": " + problem);
        }
    }
    if (require_secure && r.scheme != "https" && !(r.scheme == "http" && is_loopback_host(r.host))) {
        throw ConfigurationError("redirect_uris entry must use https (or http to a loopback address): " +
                                 quoted(value));
    }
}

void validate(ClientOptions& o) {
    if (o.client_id.empty()) throw ConfigurationError("client_id is empty");
    if (has_control_or_space(o.client_id)) {
        throw ConfigurationError("client_id contains whitespace or control characters");
    }
    if (o.client_secret.empty()) throw ConfigurationError("client_secret is empty");
    // RFC 6749 Appendix A.2: client-secret = *VSCHAR (%x20-7E), so spaces are allowed; bytes
    // above 0x7E are let through as before. Token requests percent-encode it (in the body, and
    // in HTTP Basic before base64, §2.3.1). Control characters could split a header: refused.
    if (has_control(o.client_secret.reveal())) {
        throw ConfigurationError("client_secret contains control characters");
    }
    for (const auto& uri : o.redirect_uris) check_registered_redirect_uri(uri, o.require_secure_redirect_uri);
    if (o.timeouts.connect.count() <= 0) throw ConfigurationError("connect timeout must be positive");
    if (o.timeouts.request.count() <= 0) throw ConfigurationError("request timeout must be positive");
    if (o.leeway.count() < 0 || o.leeway > std::chrono::hours(24)) {
        throw ConfigurationError("leeway must be between 0 seconds and 24 hours");
    }
    const auto& lease = o.refresh_lease;
    if (lease.ttl < std::chrono::milliseconds(10) || lease.ttl > std::chrono::hours(1)) {
        throw ConfigurationError("refresh lease ttl must be between 10 ms and 1 hour");
    }
    if (lease.request_timeout.count() < 0) throw ConfigurationError("refresh lease request timeout must not be negative");
    if (lease.poll_interval < std::chrono::milliseconds(1) || lease.poll_interval > std::chrono::minutes(1)) {
        throw ConfigurationError("refresh lease poll interval must be between 1 ms and 1 minute");
    }
    if (lease.owner.size() > 200 || has_control_or_space(lease.owner)) {
        throw ConfigurationError("refresh lease owner must be at most 200 characters, without whitespace or control characters");
    }
    switch (o.tls.source) {
        case TlsTrust::Source::system: break;
        case TlsTrust::Source::ca_file:
            if (o.tls.ca_file.empty()) throw ConfigurationError("TLS trust is a CA file, but ca_file is empty");
            break;
        case TlsTrust::Source::ca_pem:
            if (o.tls.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
                throw ConfigurationError("ca_pem holds no PEM certificate");
            }
            break;
    }
    if (o.user_agent.empty()) o.user_agent = std::string("calbridge/") + CALBRIDGE_VERSION_STRING;
    if (std::any_of(o.user_agent.begin(), o.user_agent.end(),
                    [](char c) { return c == '\r' || c == '\n' || c == '\0'; })) {
        throw ConfigurationError("user_agent contains a line break");
    }
}

// --- from_json ----------------------------------------------------------------------------

const json::value& require_kind(const json::object& obj, std::string_view key, json::kind kind,
                                std::string_view expected) {
    const json::value& v = obj.at(key);
    if (v.kind() != kind) {
        throw ConfigurationError("configuration key \"" + std::string(key) + "\" must be " + std::string(expected));
    }
    return v;
}

std::string get_string(const json::object& obj, std::string_view key) {
    return std::string(require_kind(obj, key, json::kind::string, "a string").get_string());
}

bool get_bool(const json::object& obj, std::string_view key) {
    return require_kind(obj, key, json::kind::bool_, "true or false").get_bool();
}

std::int64_t get_integer(const json::object& obj, std::string_view key) {
    const json::value& v = obj.at(key);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    throw ConfigurationError("configuration key \"" + std::string(key) + "\" must be an integer");
}

}  // namespace

Config::Config(ClientOptions options) : options_(std::move(options)) {
    validate(options_);
    const Hosts defaults = hosts_for(options_.data_center);
    api_url_ = normalize_service_url("api_url", options_.api_url.value_or(defaults.api_url));
    app_url_ = normalize_service_url("app_url", options_.app_url.value_or(defaults.app_url));
}

std::chrono::milliseconds Config::lease_request_timeout() const noexcept {
    const auto& lease = options_.refresh_lease;
    return lease.request_timeout.count() > 0 ? lease.request_timeout : lease.ttl / 3;
}

void Config::check_redirect_uri(std::string_view redirect_uri) const {
    if (redirect_uri.empty()) throw ConfigurationError("redirect_uri is empty");
    const auto r = parse_redirect_uri("redirect_uri", redirect_uri);
    if (r.host.find('*') != std::string::npos) {
        throw ConfigurationError("redirect_uri must not contain a wildcard: " + quoted(redirect_uri));
    }
    if (options_.require_secure_redirect_uri && r.scheme != "https" &&
        !(r.scheme == "http" && is_loopback_host(r.host))) {
        throw ConfigurationError("redirect_uri must use https (or http to a loopback address): " +
                                 quoted(redirect_uri) +
                                 "; set require_secure_redirect_uri to false to allow it anyway");
    }
    if (options_.redirect_uris.empty()) return;
    for (const auto& registered : options_.redirect_uris) {
        if (registered == redirect_uri) return;
        const auto p = parse_redirect_uri("redirect_uris entry", registered);
        if (p.scheme == r.scheme && p.port == r.port && p.rest == r.rest && host_matches(p.host, r.host)) return;
    }
    throw ConfigurationError("redirect_uri " + quoted(redirect_uri) + " is not one of the registered redirect URIs");
}

Config Config::from_json(std::string_view text) {
    boost::system::error_code ec;
    json::value root = json::parse(text, ec);
    if (ec || !root.is_object()) throw ConfigurationError("configuration is not a JSON object");
    const json::object& obj = root.get_object();

    ClientOptions o;
    bool seen_data_center = false;
    for (const auto& [key, value] : obj) {
        (void)value;
        if (key == "client_id") o.client_id = get_string(obj, key);
        else if (key == "client_secret") o.client_secret = Secret(get_string(obj, key));
        else if (key == "data_center" || key == "data_centre") {
            if (seen_data_center) throw ConfigurationError("both data_center and data_centre are given");
            seen_data_center = true;
            o.data_center = parse_data_center(get_string(obj, key));
        } else if (key == "api_url") o.api_url = get_string(obj, key);
        else if (key == "app_url") o.app_url = get_string(obj, key);
        else if (key == "redirect_uris") {
            const auto& arr = require_kind(obj, key, json::kind::array, "an array of strings").get_array();
            for (const auto& item : arr) {
                if (!item.is_string()) throw ConfigurationError("redirect_uris must be an array of strings");
                o.redirect_uris.emplace_back(item.get_string());
            }
        } else if (key == "require_secure_redirect_uri") o.require_secure_redirect_uri = get_bool(obj, key);
        else if (key == "connect_timeout_ms") o.timeouts.connect = std::chrono::milliseconds(get_integer(obj, key));
        else if (key == "request_timeout_ms") o.timeouts.request = std::chrono::milliseconds(get_integer(obj, key));
        else if (key == "lease_ttl_ms") o.refresh_lease.ttl = std::chrono::milliseconds(get_integer(obj, key));
        else if (key == "lease_request_timeout_ms") {
            o.refresh_lease.request_timeout = std::chrono::milliseconds(get_integer(obj, key));
        } else if (key == "lease_poll_interval_ms") {
            o.refresh_lease.poll_interval = std::chrono::milliseconds(get_integer(obj, key));
        } else if (key == "lease_owner") o.refresh_lease.owner = get_string(obj, key);
        else if (key == "ca_file") {
            o.tls.source = TlsTrust::Source::ca_file;
            o.tls.ca_file = get_string(obj, key);
        } else if (key == "ca_pem") {
            o.tls.source = TlsTrust::Source::ca_pem;
            o.tls.ca_pem = get_string(obj, key);
        } else if (key == "leeway_seconds") o.leeway = std::chrono::seconds(get_integer(obj, key));
        else if (key == "user_agent") o.user_agent = get_string(obj, key);
        else if (key == "token_encoding") {
            const auto v = get_string(obj, key);
            if (v == "form") o.token_encoding = TokenRequestEncoding::form;
            else if (v == "json") o.token_encoding = TokenRequestEncoding::json;
            else throw ConfigurationError("token_encoding must be \"form\" or \"json\"");
        } else if (key == "client_authentication") {
            const auto v = get_string(obj, key);
            if (v == "request_body") o.client_authentication = ClientAuthentication::request_body;
            else if (v == "http_basic") o.client_authentication = ClientAuthentication::http_basic;
            else throw ConfigurationError("client_authentication must be \"request_body\" or \"http_basic\"");
        } else {
            throw ConfigurationError("unknown configuration key " + quoted(key));
        }
    }
    if (obj.contains("ca_file") && obj.contains("ca_pem")) {
        throw ConfigurationError("give ca_file or ca_pem, not both");
    }
    return Config(std::move(o));
}

}  // namespace calbridge
