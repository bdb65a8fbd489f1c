// The OAuth side of the state: pending authorizations (a consent page waiting for a click),
// authorization codes, grants (one user's authorization of one application) and their access
// and refresh tokens, and link tokens. One mutex; tokens are found through hash maps.
#pragma once

#include "settings.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace calbridge::sandbox {

// A validated authorization request between the consent page and the click on it.
struct PendingAuthorization {
    std::string client_id;
    std::string redirect_uri;
    std::vector<std::string> scopes;
    std::optional<std::string> state;
    std::string code_challenge;         // empty without PKCE
    std::string code_challenge_method;  // "S256" or "plain"
    std::string provider_name;          // pre-selected provider, may be empty
    std::string linked_account;         // from a link token: the user is fixed
    std::int64_t expires_at = 0;
};

// What an approved authorization turns into (a code, then a grant).
struct Approval {
    PendingAuthorization request;
    std::string account_id;
    std::string profile_id;  // the linking profile
};

struct IssuedTokens {
    std::string access_token;
    std::string refresh_token;
    int expires_in = 0;
    std::vector<std::string> scopes;
    std::string account_id;
    std::string profile_id;
    std::string grant_id;
};

// An RFC 6749 §5.2 error, or tokens.
struct TokenOutcome {
    std::optional<IssuedTokens> tokens;
    std::string error;        // invalid_grant, invalid_scope, ...
    std::string description;
};

// What a valid access token stands for.
struct Bearer {
    std::string grant_id;
    std::string client_id;
    std::string account_id;
    std::vector<std::string> scopes;
    bool has_scope(std::string_view scope) const;
};

struct GrantSummary {
    std::string grant_id;
    std::string client_id;
    std::string account_id;
    std::vector<std::string> scopes;
    bool revoked = false;
    std::string revoked_reason;
    int access_tokens = 0;   // live (unexpired, unrevoked)
    int refresh_tokens = 0;  // current ones (not rotated away)
};

class Grants {
public:
    void clear();

    std::string add_pending(PendingAuthorization pending, std::int64_t now);  // returns its unguessable id
    std::optional<PendingAuthorization> find_pending(std::string_view id, std::int64_t now) const;
    void remove_pending(std::string_view id);

    std::string issue_code(Approval approval, std::int64_t expires_at);

    // The authorization_code grant. A code is consumed by any attempt of its own client; a
    // second use revokes the grant the first one created.
    TokenOutcome exchange_code(std::string_view client_id, std::string_view code,
                               const std::string* redirect_uri, const std::string* code_verifier,
                               const Policy& policy, std::int64_t now);
    // The refresh_token grant, with rotation and reuse detection as the policy says.
    TokenOutcome refresh(std::string_view client_id, std::string_view refresh_token,
                         const std::string* scope, const Policy& policy, std::int64_t now);

    // RFC 7009: revokes the grant behind an access or refresh token of this client (unknown
    // tokens are ignored), or every grant of this client for an account.
    void revoke_token(std::string_view client_id, std::string_view token);
    void revoke_account(std::string_view client_id, std::string_view account_id);
    // Every grant of an account (the user was removed) or of a client (the application was).
    void revoke_all_for_account(std::string_view account_id);
    void revoke_all_for_client(std::string_view client_id);

    std::optional<Bearer> authenticate(std::string_view access_token, std::int64_t now) const;

    // A grant made without a consent page (application calendars): tokens straight away.
    IssuedTokens issue_direct(std::string_view client_id, std::string_view account_id, std::string_view profile_id,
                              std::vector<std::string> scopes, const Policy& policy, std::int64_t now);
    // Whether the account has authorized the application (a grant that is not revoked).
    bool authorized(std::string_view client_id, std::string_view account_id) const;

    // Makes matching access tokens expire now (admin: force the 401-then-refresh path).
    int expire_access_tokens(std::string_view access_token, std::string_view account_id, std::int64_t now);

    std::string issue_link_token(std::string_view client_id, std::string_view account_id, std::int64_t expires_at);
    // The account a link token adds to; std::nullopt when unknown, expired or another client's.
    std::optional<std::string> link_token_account(std::string_view client_id, std::string_view token,
                                                  std::int64_t now) const;

    std::vector<GrantSummary> grants(std::int64_t now) const;

private:
    struct Code {
        Approval approval;
        std::int64_t expires_at = 0;
        bool used = false;
        std::string grant_id;  // what its exchange issued
    };
    struct Grant {
        std::string client_id;
        std::string account_id;
        std::string profile_id;
        std::vector<std::string> scopes;
        bool revoked = false;
        std::string revoked_reason;
        std::vector<std::string> access_tokens;
        std::vector<std::string> refresh_tokens;  // current and rotated
    };
    struct AccessToken {
        std::string grant_id;
        std::int64_t expires_at = 0;
        std::vector<std::string> scopes;
    };
    struct RefreshToken {
        std::string grant_id;
        bool rotated = false;
    };
    struct LinkToken {
        std::string client_id;
        std::string account_id;
        std::int64_t expires_at = 0;
    };

    IssuedTokens issue_tokens(const std::string& grant_id, std::vector<std::string> scopes,
                              const Policy& policy, std::int64_t now, std::string refresh_token);
    void revoke_grant(const std::string& grant_id, std::string reason);
    void purge_expired(std::int64_t now);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, PendingAuthorization> pending_;
    std::unordered_map<std::string, Code> codes_;
    std::unordered_map<std::string, Grant> grants_;
    std::vector<std::string> grant_order_;
    std::unordered_map<std::string, AccessToken> access_tokens_;
    std::unordered_map<std::string, RefreshToken> refresh_tokens_;
    std::unordered_map<std::string, LinkToken> link_tokens_;
    std::uint64_t issued_since_purge_ = 0;
};

// Space-separated scope list (RFC 6749 §3.3) to a list, and back.
std::vector<std::string> split_scopes(std::string_view text);
std::string join_scopes(const std::vector<std::string>& scopes);

}  // namespace calbridge::sandbox
