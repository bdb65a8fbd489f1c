#include "token/token_reply.hpp"

#include "call/excerpt.hpp"
#include "call/http_errors.hpp"
#include "token/oauth_error.hpp"

#include <calbridge/errors.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace calbridge::detail {

namespace {

bool is_success(int status) noexcept { return status >= 200 && status < 300; }

// Throws for every reply that is not a success: an OAuth error object first, whatever the
// status, since 200 {"error": ...} is an error too.
void throw_unless_success(const TokenRequest& request, const HttpResponse& response, WallTime now,
                          std::string_view doing) {
    if (auto oauth = read_oauth_error(response.body)) {
        throw_oauth_error(*oauth, response.status, doing, request.redactor);
    }
    if (is_success(response.status)) return;
    if (response.status == 401) {
        ErrorDetails details = reply_details(response, now);
        throw InvalidClientError(std::string(doing) +
                                     ": the token endpoint refused the client credentials (HTTP 401); "
                                     "check the client id and secret",
                                 std::move(details));
    }
    throw_http_error(request.http, response, request.redactor, now);
}

// RFC 6749 §5.1: token_type is case-insensitive.
bool is_bearer(std::string_view type) noexcept {
    constexpr std::string_view bearer = "bearer";
    if (type.size() != bearer.size()) return false;
    for (std::size_t i = 0; i < type.size(); ++i) {
        const char c = type[i] >= 'A' && type[i] <= 'Z' ? static_cast<char>(type[i] - 'A' + 'a') : type[i];
        if (c != bearer[i]) return false;
    }
    return true;
}

// The type as the reply gave it, for the message: with every secret of the request and of the
// reply itself scrubbed first (a server may echo anything), then printable ASCII only, at most
// 40 characters.
std::string quoted_type(std::string_view type, const Redactor& redactor) {
    const std::string scrubbed = redactor.scrub(type);
    const std::string_view text = scrubbed;
    std::string out = "\"";
    for (const char c : text.substr(0, 40)) out += c >= 0x20 && c < 0x7f ? c : '?';
    if (text.size() > 40) out += "...";
    return out + "\"";
}

bool is_json_object(std::string_view body) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec);
    return !ec && v.is_object();
}

}  // namespace

Credentials read_token_reply(const TokenRequest& request, const HttpResponse& response, WallTime requested_at,
                             std::string_view doing) {
    throw_unless_success(request, response, requested_at, doing);
    if (!is_json_object(response.body)) {
        ErrorDetails details;
        details.http_status = response.status;
        std::string message = std::string(doing) + ": the token endpoint's reply (HTTP " +
                              std::to_string(response.status) + ") is not a JSON object";
        if (auto excerpt = body_excerpt(response.body, request.redactor); !excerpt.empty()) {
            message += ": " + excerpt;
        }
        throw ProtocolError(message, std::move(details));
    }
    Credentials credentials = Credentials::from_token_response(response.body, requested_at);
    // Every call sends the access token as "Authorization: Bearer"; a token of another type
    // (RFC 6749 §7.1: "mac", "DPoP", ...) would be misused that way, so it is refused.
    if (!is_bearer(credentials.token_type)) {
        Redactor redactor = request.redactor;
        redactor.add(credentials.access_token);
        redactor.add(credentials.refresh_token);
        ErrorDetails details;
        details.http_status = response.status;
        throw ProtocolError(std::string(doing) + ": the token reply's token_type is " +
                                quoted_type(credentials.token_type, redactor) + "; calbridge sends only bearer tokens",
                            std::move(details));
    }
    return credentials;
}

void read_revoke_reply(const TokenRequest& request, const HttpResponse& response, WallTime now,
                       std::string_view doing) {
    throw_unless_success(request, response, now, doing);
}

Credentials carry_over(Credentials fresh, const Credentials& previous) {
    if (fresh.refresh_token.empty()) fresh.refresh_token = previous.refresh_token;
    if (fresh.scope.empty()) fresh.scope = previous.scope;
    if (fresh.account_id.empty()) fresh.account_id = previous.account_id;
    if (fresh.sub.empty()) fresh.sub = previous.sub;
    if (!fresh.linking_profile) fresh.linking_profile = previous.linking_profile;
    return fresh;
}

}  // namespace calbridge::detail
