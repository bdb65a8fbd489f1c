// Application identity and everything a Client needs to know before it talks to anyone:
// client id and secret, data center and hosts, registered redirect URIs, timeouts, TLS trust,
// refresh leeway, user agent. No HTTP here.
#pragma once

#include <calbridge/secret.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge {

enum class DataCenter { us, uk, de, au, ca, sg };

// "us", "uk", "de", "au", "ca", "sg" (case-insensitive). Anything else is a ConfigurationError:
// the official SDKs would silently build "api-<anything>", we refuse before any request.
DataCenter parse_data_center(std::string_view name);
std::string_view data_center_name(DataCenter dc) noexcept;

struct Hosts {
    std::string api_url;  // e.g. "https://api-de.cronofy.com"
    std::string app_url;  // e.g. "https://app-de.cronofy.com"
};
Hosts hosts_for(DataCenter dc);

struct TlsTrust {
    enum class Source { system, ca_file, ca_pem };
    Source source = Source::system;
    std::string ca_file;  // for Source::ca_file
    std::string ca_pem;   // for Source::ca_pem (one or more PEM certificates)
};

struct Timeouts {
    std::chrono::milliseconds connect{10'000};  // resolve + connect + TLS handshake
    std::chrono::milliseconds request{30'000};  // one logical call, retries and refreshes included
};

// The refresh lease of a shared store (SQLite, PostgreSQL, file): one refresh per account
// across every process that shares the store.
struct RefreshLeaseOptions {
    // How long a lease lives unless renewed; the holder renews it every ttl/3 while its token
    // request is in flight, so a slow server does not let a second holder in, and a holder that
    // dies (or stops) blocks the others for at most this long.
    std::chrono::milliseconds ttl{30'000};
    // The hard deadline D of the holder's token request (also bounded by the call's own
    // deadline). Zero: ttl / 3, so that ttl >= 3 * D.
    std::chrono::milliseconds request_timeout{0};
    // How often a waiter looks at the store when the store cannot notify it (a random jitter of
    // up to half as much again is added, so waiters do not poll in step).
    std::chrono::milliseconds poll_interval{50};
    // Who holds a lease, as stored; shown in the store for diagnosis. Empty: "<host>:<pid>:<random>".
    std::string owner;
};

// How credentials are sent to the token endpoint (docs/PROTOCOL.md §2).
enum class TokenRequestEncoding { form, json };
enum class ClientAuthentication { request_body, http_basic };

struct ClientOptions {
    std::string client_id;
    Secret client_secret;

    DataCenter data_center = DataCenter::us;
    std::optional<std::string> api_url;  // overrides the data center's API host (sandbox, proxies)
    std::optional<std::string> app_url;  // overrides the data center's app host

    // Registered redirect URIs. Empty: any redirect URI is accepted (an unverified application).
    // Otherwise a redirect URI must equal one of them, or match a "*." wildcard subdomain entry
    // ("https://*.example.com/cb" matches "https://a.example.com/cb" and
    // "https://a.b.example.com/cb", not "https://example.com/cb"). Under a wildcard the redirect
    // URI's host must be a plain host name (letters, digits, '-', dots: no percent-encoding).
    // A wildcard needs at least two labels after "*." and must not cover a well-known public
    // suffix ("*.com", "*.co.uk" and "*.github.io" are refused; the list is built in, not the
    // full Public Suffix List). No redirect URI may carry user info ("https://a:b@host/cb").
    std::vector<std::string> redirect_uris;

    // Redirect URIs must be https, or http to a loopback address. Opt out only for odd setups.
    bool require_secure_redirect_uri = true;

    Timeouts timeouts;
    RefreshLeaseOptions refresh_lease;
    TlsTrust tls;
    // Refresh this long before the access token expires; for a token this client refreshed
    // itself, at most half its lifetime (so 30 s tokens are not refreshed on every call).
    std::chrono::seconds leeway{60};
    std::string user_agent;           // empty: "calbridge/<version>"

    TokenRequestEncoding token_encoding = TokenRequestEncoding::form;
    ClientAuthentication client_authentication = ClientAuthentication::request_body;
};

// A checked, immutable configuration. Construction validates everything and throws
// ConfigurationError with a message naming the offending option (never its secret value).
class Config {
public:
    explicit Config(ClientOptions options);

    // Reads a JSON object: {"client_id", "client_secret", "data_center" or "data_centre",
    // "api_url", "app_url", "redirect_uris", "require_secure_redirect_uri",
    // "connect_timeout_ms", "request_timeout_ms", "lease_ttl_ms", "lease_request_timeout_ms",
    // "lease_poll_interval_ms", "lease_owner", "ca_file", "ca_pem", "leeway_seconds",
    // "user_agent", "token_encoding" ("form"|"json"), "client_authentication"
    // ("request_body"|"http_basic")}. Unknown keys are a ConfigurationError (a typo should not
    // pass silently).
    static Config from_json(std::string_view json);

    const std::string& client_id() const noexcept { return options_.client_id; }
    const Secret& client_secret() const noexcept { return options_.client_secret; }
    DataCenter data_center() const noexcept { return options_.data_center; }
    const std::string& api_url() const noexcept { return api_url_; }  // no trailing slash
    const std::string& app_url() const noexcept { return app_url_; }  // no trailing slash
    const std::vector<std::string>& redirect_uris() const noexcept { return options_.redirect_uris; }
    const Timeouts& timeouts() const noexcept { return options_.timeouts; }
    const RefreshLeaseOptions& refresh_lease() const noexcept { return options_.refresh_lease; }
    // The holder's token request deadline D: request_timeout, or ttl / 3 when that is zero.
    std::chrono::milliseconds lease_request_timeout() const noexcept;
    const TlsTrust& tls() const noexcept { return options_.tls; }
    std::chrono::seconds leeway() const noexcept { return options_.leeway; }
    const std::string& user_agent() const noexcept { return options_.user_agent; }
    TokenRequestEncoding token_encoding() const noexcept { return options_.token_encoding; }
    ClientAuthentication client_authentication() const noexcept { return options_.client_authentication; }
    const ClientOptions& options() const noexcept { return options_; }

    // Throws ConfigurationError unless `redirect_uri` is an absolute URL allowed by the scheme
    // rule and, when redirect URIs are registered, matches one of them.
    void check_redirect_uri(std::string_view redirect_uri) const;

private:
    ClientOptions options_;
    std::string api_url_;
    std::string app_url_;
};

// True for 127.0.0.0/8 and ::1 (with or without brackets), and for "localhost" only when every
// address it resolves to is one of those (RFC 8252 §8.3: a name is loopback only if it resolves
// there; the check resolves it, so it may block briefly on the resolver).
bool is_loopback_host(std::string_view host) noexcept;

}  // namespace calbridge
