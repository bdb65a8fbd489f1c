#include "token/token_endpoint.hpp"

#include "token/token_reply.hpp"
#include "token/token_request.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

namespace calbridge::detail {

namespace {

constexpr std::string_view token_path = "/oauth/token";
constexpr std::string_view revoke_path = "/oauth/token/revoke";

// RFC 7009 §2.2: revoking a token that is already invalid is not an error (the server should
// answer 200). A server that answers invalid_grant or invalid_token instead says the same: there
// was nothing left to revoke.
bool already_invalid(const OAuthError& e) noexcept {
    return e.oauth_error() == "invalid_grant" || e.oauth_error() == "invalid_token";
}

}  // namespace

std::string credentials_summary(const Credentials& c) {
    std::string out = "account " + (c.account_key().empty() ? std::string("(none)") : c.account_key());
    if (!c.scope.empty()) out += ", scope " + join_scope(c.scope);
    out += c.expires_at ? ", expires " + format_rfc3339(*c.expires_at) : std::string(", expiry unknown");
    return out;
}

Credentials TokenEndpoint::exchange_code(Call& call, const Secret& code, std::string_view redirect_uri,
                                         const Secret* code_verifier) const {
    if (code.empty()) throw InvalidArgumentError("authorization code is empty");
    config_.check_redirect_uri(redirect_uri);
    if (code_verifier != nullptr && code_verifier->empty()) throw InvalidArgumentError("code_verifier is empty");

    TokenRequestBuilder builder(config_, token_path);
    builder.field("grant_type", "authorization_code").secret_field("code", code).field("redirect_uri", redirect_uri);
    if (code_verifier != nullptr) builder.secret_field("code_verifier", *code_verifier);
    TokenRequest request;
    builder.build(request);

    const WallTime requested_at = call.wall_now();
    const HttpResponse response = call.send(request.http, Replay::if_not_sent);
    Credentials credentials = read_token_reply(request, response, requested_at, "code exchange");
    call.log()(LogLevel::info, [&] { return "exchanged an authorization code: " + credentials_summary(credentials); });
    return credentials;
}

Credentials TokenEndpoint::refresh(Call& call, const Credentials& current) const {
    if (current.refresh_token.empty()) throw InvalidArgumentError("the credentials have no refresh token");

    TokenRequest request;
    TokenRequestBuilder(config_, token_path)
        .field("grant_type", "refresh_token")
        .secret_field("refresh_token", current.refresh_token)
        .build(request);
    request.redactor.add(current.access_token);

    const WallTime requested_at = call.wall_now();
    const HttpResponse response = call.send(request.http, Replay::if_not_sent);
    Credentials credentials = carry_over(read_token_reply(request, response, requested_at, "refresh"), current);
    call.log()(LogLevel::info, [&] { return "refreshed the access token: " + credentials_summary(credentials); });
    return credentials;
}

void TokenEndpoint::revoke_token(Call& call, const Secret& token) const {
    if (token.empty()) throw InvalidArgumentError("the token to revoke is empty");
    TokenRequest request;
    TokenRequestBuilder(config_, revoke_path).secret_field("token", token).build(request);
    const HttpResponse response = call.send(request.http, Replay::if_not_sent);
    try {
        read_revoke_reply(request, response, call.wall_now(), "revoke");
    } catch (const OAuthError& e) {
        if (!already_invalid(e)) throw;
        call.log()(LogLevel::info, [&] {
            return "revoke: the token was already revoked or invalid (" + e.oauth_error() + "); nothing to revoke";
        });
        return;
    }
    call.log()(LogLevel::info, [] { return std::string("revoked a grant"); });
}

void TokenEndpoint::revoke_sub(Call& call, std::string_view sub) const {
    if (sub.empty()) throw InvalidArgumentError("sub is empty");
    TokenRequest request;
    TokenRequestBuilder(config_, revoke_path).field("sub", sub).build(request);
    const HttpResponse response = call.send(request.http, Replay::if_not_sent);
    try {
        read_revoke_reply(request, response, call.wall_now(), "revoke by sub");
    } catch (const OAuthError& e) {
        if (!already_invalid(e)) throw;
        call.log()(LogLevel::info, [&] {
            return "revoke by sub " + std::string(sub) + ": no grant left to revoke (" + e.oauth_error() + ")";
        });
        return;
    }
    call.log()(LogLevel::info, [&] { return "revoked every grant of sub " + std::string(sub); });
}

}  // namespace calbridge::detail
