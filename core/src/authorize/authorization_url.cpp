// The authorization URL (docs/PROTOCOL.md §1): where the user's browser goes, with its state and,
// optionally, a PKCE challenge (RFC 7636).
#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

#include "util/crypto.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/param.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include <algorithm>

namespace calbridge {

namespace urls = boost::urls;

namespace {

constexpr std::size_t state_entropy_bytes = 16;     // 128 bits
constexpr std::size_t min_state_bits = 128;         // of a state the caller chose
constexpr std::size_t verifier_entropy_bytes = 32;  // 43 base64url characters, RFC 7636 §4.1

bool is_ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_control(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
}

// RFC 6749 Appendix A.5: state = 1*VSCHAR, VSCHAR = %x20-7E.
bool is_vschar(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u <= 0x7E;
}

void validate_scope(const std::vector<std::string>& scope) {
    if (scope.empty()) throw InvalidArgumentError("scope is empty: give at least one scope");
    for (std::size_t i = 0; i < scope.size(); ++i) {
        const std::string& s = scope[i];
        if (s.empty()) throw InvalidArgumentError("scope[" + std::to_string(i) + "] is empty");
        // A space inside one element would silently turn into two scopes on the wire.
        if (std::any_of(s.begin(), s.end(), [](char c) { return is_ascii_space(c) || is_control(c); })) {
            throw InvalidArgumentError("scope[" + std::to_string(i) +
                                       "] contains whitespace or a control character: "
                                       "pass each scope as its own element");
        }
    }
}

// The most bits a state can carry, in hundredths of a bit: its length times the bits per
// character of the smallest alphabet its characters fit in (digits log2 10 = 3.32, hex 4,
// base64url 6, other printable ASCII log2 95 = 6.57). An upper bound: a state of 22 'a's
// passes, so callers still need a real random source; what it catches is a state that cannot
// hold 128 bits however it was made ("state-1", a user id, a short counter).
std::size_t state_bits_x100(std::string_view state) noexcept {
    const auto all = [&](auto in_class) { return std::all_of(state.begin(), state.end(), in_class); };
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    const auto hex = [&](char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    const auto base64url = [&](char c) {
        return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    };
    const std::size_t per_char = all(digit) ? 332 : all(hex) ? 400 : all(base64url) ? 600 : 657;
    return state.size() * per_char;
}

void validate_state(std::string_view state) {
    if (state.empty()) throw InvalidArgumentError("state is empty");
    if (!std::all_of(state.begin(), state.end(), is_vschar)) {
        throw InvalidArgumentError("state must be printable ASCII (RFC 6749 VSCHAR, %x20-7E)");
    }
    if (state_bits_x100(state) < min_state_bits * 100) {
        throw InvalidArgumentError("state is too short to carry " + std::to_string(min_state_bits) +
                                   " bits: give at least 22 base64url characters, 32 hex digits or 39 decimal "
                                   "digits (or leave it unset for a random state)");
    }
}

// An option that is set must say something: an empty value would be sent as "name=", which
// servers read differently (one official SDK does exactly that; docs/PROTOCOL.md §1 says not to).
void validate_set_option(std::string_view name, const std::optional<std::string>& value) {
    if (value && value->empty()) {
        throw InvalidArgumentError(std::string(name) + " is set but empty: leave it unset to omit it");
    }
}

void validate(const AuthorizationOptions& options) {
    validate_scope(options.scope);
    if (options.state) validate_state(*options.state);
    validate_set_option("link_token", options.link_token);
    validate_set_option("provider_name", options.provider_name);
    validate_set_option("delegated_scope", options.delegated_scope);
}

// `{app_url}/oauth/authorize`. The configuration has already checked app_url (absolute, no
// query, no trailing slash, possibly a path prefix), so this only fails on a broken Config.
urls::url authorize_endpoint(const Config& config) {
    const std::string endpoint = config.app_url() + "/oauth/authorize";  // outlives the url_view
    const auto parsed = urls::parse_absolute_uri(endpoint);
    if (!parsed) throw ConfigurationError("app_url does not make a valid authorization URL");
    return urls::url(*parsed);
}

// Appends `key=value`, percent-encoding everything in the value but RFC 3986 unreserved
// characters. Not params().append(): that leaves '+' as is, and servers read '+' in a query
// as a space, so a value containing '+' would arrive altered.
void append_param(urls::url& url, std::string_view key, std::string_view value) {
    const std::string encoded = urls::encode(value, urls::unreserved_chars);
    url.encoded_params().append(urls::param_pct_view(key, encoded));
}

void append_if_set(urls::url& url, std::string_view key, const std::optional<std::string>& value) {
    if (value) append_param(url, key, *value);
}

}  // namespace

AuthorizationRequest build_authorization_request(const Config& config, std::string_view redirect_uri,
                                                 const AuthorizationOptions& options) {
    // The redirect URI first: a wrong one is a deployment problem, whatever the options say.
    config.check_redirect_uri(redirect_uri);
    validate(options);

    AuthorizationRequest request;
    request.redirect_uri = std::string(redirect_uri);
    request.state = options.state ? *options.state : random_state();

    urls::url url = authorize_endpoint(config);
    append_param(url, "response_type", "code");
    append_param(url, "client_id", config.client_id());
    append_param(url, "redirect_uri", redirect_uri);
    append_param(url, "scope", join_scope(options.scope));
    append_param(url, "state", request.state);
    if (options.avoid_linking) append_param(url, "avoid_linking", *options.avoid_linking ? "true" : "false");
    append_if_set(url, "link_token", options.link_token);
    append_if_set(url, "provider_name", options.provider_name);
    append_if_set(url, "delegated_scope", options.delegated_scope);
    if (options.pkce) {
        request.code_verifier = make_code_verifier();
        append_param(url, "code_challenge", code_challenge_s256(*request.code_verifier));
        append_param(url, "code_challenge_method", "S256");
    }
    request.url = std::string(url.buffer());
    return request;
}

// RFC 6749 §3.3 separates scopes with single spaces; any run of ASCII whitespace is accepted
// here, since no scope can contain whitespace anyway.
std::vector<std::string> split_scope(std::string_view scope) {
    std::vector<std::string> out;
    auto it = scope.begin();
    while (true) {
        it = std::find_if_not(it, scope.end(), is_ascii_space);
        if (it == scope.end()) break;
        const auto end = std::find_if(it, scope.end(), is_ascii_space);
        out.emplace_back(it, end);
        it = end;
    }
    return out;
}

std::string join_scope(const std::vector<std::string>& scope) {
    std::string out;
    for (std::size_t i = 0; i < scope.size(); ++i) {
        if (i > 0) out += ' ';
        out += scope[i];
    }
    return out;
}

std::string random_state() { return detail::base64url_encode(detail::random_bytes(state_entropy_bytes)); }

Secret make_code_verifier() {
    const Secret entropy(detail::random_bytes(verifier_entropy_bytes));  // wiped when it goes
    return Secret(detail::base64url_encode(entropy.reveal()));
}

std::string code_challenge_s256(const Secret& verifier) {
    return detail::base64url_encode(detail::sha256(verifier.reveal()));
}

}  // namespace calbridge
