// The token endpoints (docs/PROTOCOL.md §2-4): code exchange, refresh, revoke. Each runs inside a
// logical call, sharing its deadline and retry budget, and is sent again only after a failure
// that kept it from leaving this machine. Internal to the core.
#pragma once

#include <calbridge/config.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/secret.hpp>

#include "call/call_policy.hpp"

#include <string>
#include <string_view>

namespace calbridge::detail {

// "account acc_123, scope a b, expires 2026-11-28T01:02:03Z": what a log line says about
// credentials. No token, not even redacted: the account identifies them well enough.
std::string credentials_summary(const Credentials& credentials);

class TokenEndpoint {
public:
    explicit TokenEndpoint(const Config& config) : config_(config) {}

    // `redirect_uri` must be byte-identical to the authorization request's (checked against
    // the configuration first). `code_verifier` only with PKCE.
    Credentials exchange_code(Call& call, const Secret& code, std::string_view redirect_uri,
                              const Secret* code_verifier) const;

    // Uses `current.refresh_token` (InvalidArgumentError when there is none); what the reply
    // leaves out is kept from `current` (carry_over).
    Credentials refresh(Call& call, const Credentials& current) const;

    // RFC 7009: revokes the grant `token` belongs to (send the refresh token).
    void revoke_token(Call& call, const Secret& token) const;
    // Revokes every grant of the account with this `sub`.
    void revoke_sub(Call& call, std::string_view sub) const;

private:
    const Config& config_;
};

}  // namespace calbridge::detail
