// The browser leg of Individual Connect: the authorization URL (docs/PROTOCOL.md §1), the state
// that ties the redirect back to the request, PKCE, and reading the redirect back.
#pragma once

#include <calbridge/clock.hpp>
#include <calbridge/config.hpp>
#include <calbridge/secret.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge {

struct AuthorizationOptions {
    std::vector<std::string> scope;           // required, at least one; sent space-separated
    // Default: random_state(). A state of your own must be able to hold 128 bits: its length
    // times the bits per character of its alphabet (decimal digits 3.32, hex 4, base64url 6,
    // other printable ASCII 6.57), so at least 22 base64url characters, 32 hex digits or 39
    // decimal digits; InvalidArgumentError otherwise. A StateSigner's states always qualify.
    std::optional<std::string> state;
    bool pkce = true;                         // S256 code challenge; on by default, false to opt out
    std::optional<bool> avoid_linking;        // sent as "true"/"false"; omitted when unset
    std::optional<std::string> link_token;
    std::optional<std::string> provider_name; // "google", "office365", "apple", "exchange", ...
    std::optional<std::string> delegated_scope;  // "free_busy" or "read_only"
};

// What the application keeps between sending the user away and the redirect back.
struct AuthorizationRequest {
    std::string url;           // send the user's browser here
    std::string redirect_uri;  // must be sent again, byte-identical, at the code exchange
    std::string state;         // compare with the state of the redirect back
    std::optional<Secret> code_verifier;  // PKCE only; keep it server-side, never in the state
};

// Builds the URL on the configured app host. Checks the redirect URI against the
// configuration first (ConfigurationError), and the options (InvalidArgumentError: empty
// scope, a scope containing a space, empty strings, a malformed state).
AuthorizationRequest build_authorization_request(const Config& config, std::string_view redirect_uri,
                                                 const AuthorizationOptions& options);

// Splits a space-separated scope string ("a b  c" → {"a","b","c"}).
std::vector<std::string> split_scope(std::string_view scope);
std::string join_scope(const std::vector<std::string>& scope);

// 128 bits (16 bytes) from OpenSSL's random source, base64url without padding (22 characters).
std::string random_state();

// A PKCE verifier: 32 random bytes, base64url (43 characters of [A-Za-z0-9-_]).
Secret make_code_verifier();
// base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2).
std::string code_challenge_s256(const Secret& verifier);

// A successful redirect back.
struct AuthorizationCallback {
    Secret code;
    std::string state;
};

// Reads the redirect back: a full callback URL ("https://app/cb?code=...&state=...") or just its
// query string (with or without the leading '?'). In this order:
//  - unparseable input, or any of code/state/error/error_description present twice:
//    InvalidCallbackError;
//  - state missing or not equal to `expected_state` (constant-time): StateMismatchError, also
//    for error replies (an attacker must not be able to inject errors either);
//  - error=...: AuthorizationDeniedError carrying oauth_error and error_description;
//  - code missing or empty: InvalidCallbackError.
AuthorizationCallback parse_callback(std::string_view callback, std::string_view expected_state);

// A signed, expiring state for stateless web applications: the state itself carries a nonce,
// its expiry, a binding value (e.g. a hash of the user's session id) and optional application
// data, authenticated with HMAC-SHA256 under a key only the application knows.
//
// It proves the state was issued by this application for this binding and has not expired.
// It does NOT stop replay within its lifetime: a state captured together with its binding can
// be used again until it expires. Keep lifetimes short (minutes), and if single use matters,
// remember the nonce server-side until expiry.
class StateSigner {
public:
    // `key` must be at least 32 bytes (InvalidArgumentError otherwise).
    explicit StateSigner(Secret key, WallClock clock = system_wall_clock());

    // `binding` must be non-empty (InvalidArgumentError). `app_data` travels readable (it is
    // signed, not encrypted): do not put secrets in it.
    std::string issue(std::string_view binding, std::chrono::seconds lifetime,
                      std::string_view app_data = {}) const;

    struct Verified {
        std::string app_data;
        WallTime expires_at;
    };
    // StateMismatchError when the state is malformed, tampered with, expired, or was issued for
    // another binding (each with a distinct message).
    Verified verify(std::string_view state, std::string_view binding) const;

private:
    Secret key_;
    WallClock clock_;
};

}  // namespace calbridge
