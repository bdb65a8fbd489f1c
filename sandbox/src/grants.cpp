#include "grants.hpp"

#include "crypto.hpp"

#include <algorithm>

namespace calbridge::sandbox {

namespace {

constexpr std::uint64_t purge_every = 1024;       // issuances between sweeps of expired entries
constexpr std::int64_t used_code_memory = 3600;   // seconds a code is remembered after it expires

// RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~].
bool valid_code_verifier(std::string_view v) {
    if (v.size() < 43 || v.size() > 128) return false;
    return std::all_of(v.begin(), v.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '.' || c == '_' || c == '~';
    });
}

TokenOutcome fail(std::string error, std::string description) {
    TokenOutcome out;
    out.error = std::move(error);
    out.description = std::move(description);
    return out;
}

}  // namespace

std::vector<std::string> split_scopes(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        std::size_t j = i;
        while (j < text.size() && text[j] != ' ') ++j;
        if (j > i) {
            std::string s(text.substr(i, j - i));
            if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
        }
        i = j;
    }
    return out;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty()) out += ' ';
        out += s;
    }
    return out;
}

bool Bearer::has_scope(std::string_view scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

void Grants::clear() {
    std::lock_guard lock(mutex_);
    pending_.clear();
    codes_.clear();
    grants_.clear();
    grant_order_.clear();
    access_tokens_.clear();
    refresh_tokens_.clear();
    link_tokens_.clear();
    issued_since_purge_ = 0;
}

std::string Grants::add_pending(PendingAuthorization pending, std::int64_t now) {
    std::string id = random_token(24);
    std::lock_guard lock(mutex_);
    pending_.emplace(id, std::move(pending));
    if (++issued_since_purge_ >= purge_every) purge_expired(now);
    return id;
}

std::optional<PendingAuthorization> Grants::find_pending(std::string_view id, std::int64_t now) const {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(std::string(id));
    if (it == pending_.end() || now >= it->second.expires_at) return std::nullopt;
    return it->second;
}

void Grants::remove_pending(std::string_view id) {
    std::lock_guard lock(mutex_);
    pending_.erase(std::string(id));
}

std::string Grants::issue_code(Approval approval, std::int64_t expires_at) {
    std::string code = random_token(24);
    std::lock_guard lock(mutex_);
    codes_.emplace(code, Code{std::move(approval), expires_at, false, {}});
    return code;
}

IssuedTokens Grants::issue_tokens(const std::string& grant_id, std::vector<std::string> scopes,
                                  const Policy& policy, std::int64_t now, std::string refresh_token) {
    Grant& grant = grants_.at(grant_id);
    IssuedTokens out;
    out.access_token = random_token(32);
    out.expires_in = policy.access_token_lifetime;
    out.scopes = scopes;
    out.account_id = grant.account_id;
    out.profile_id = grant.profile_id;
    out.grant_id = grant_id;
    access_tokens_.emplace(out.access_token, AccessToken{grant_id, now + policy.access_token_lifetime, std::move(scopes)});
    grant.access_tokens.push_back(out.access_token);
    if (refresh_token.empty()) {
        refresh_token = random_token(32);
        refresh_tokens_.emplace(refresh_token, RefreshToken{grant_id, false});
        grant.refresh_tokens.push_back(refresh_token);
    }
    out.refresh_token = std::move(refresh_token);
    if (++issued_since_purge_ >= purge_every) purge_expired(now);
    return out;
}

TokenOutcome Grants::exchange_code(std::string_view client_id, std::string_view code_text,
                                   const std::string* redirect_uri, const std::string* code_verifier,
                                   const Policy& policy, std::int64_t now) {
    std::lock_guard lock(mutex_);
    const auto it = codes_.find(std::string(code_text));
    if (it == codes_.end()) return fail("invalid_grant", "unknown authorization code");
    Code& code = it->second;
    const PendingAuthorization& req = code.approval.request;
    if (req.client_id != client_id) return fail("invalid_grant", "the authorization code was issued to another client");
    if (code.used) {
        if (!code.grant_id.empty()) revoke_grant(code.grant_id, "authorization code reused");
        return fail("invalid_grant", "the authorization code has already been used; the tokens it gave are revoked");
    }
    code.used = true;  // whatever happens next, this code is spent
    if (now >= code.expires_at) return fail("invalid_grant", "the authorization code has expired");
    if (redirect_uri == nullptr || *redirect_uri != req.redirect_uri) {
        return fail("invalid_grant", "redirect_uri does not match the one of the authorization request");
    }
    if (req.code_challenge.empty()) {
        if (code_verifier != nullptr) {
            // RFC 9700 §4.8.2: a verifier without a challenge is a PKCE downgrade.
            return fail("invalid_grant", "code_verifier given, but the authorization request had no code_challenge");
        }
    } else {
        if (code_verifier == nullptr) return fail("invalid_grant", "code_verifier is required (PKCE)");
        if (!valid_code_verifier(*code_verifier)) {
            return fail("invalid_grant", "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]");
        }
        const std::string expected =
            req.code_challenge_method == "plain" ? *code_verifier : base64url_encode(sha256(*code_verifier));
        if (!constant_time_equal(expected, req.code_challenge)) {
            return fail("invalid_grant", "code_verifier does not match the code_challenge");
        }
    }

    std::string grant_id = "grt_" + random_hex(24);
    Grant grant;
    grant.client_id = std::string(client_id);
    grant.account_id = code.approval.account_id;
    grant.profile_id = code.approval.profile_id;
    grant.scopes = req.scopes;
    grants_.emplace(grant_id, std::move(grant));
    grant_order_.push_back(grant_id);
    code.grant_id = grant_id;
    TokenOutcome out;
    out.tokens = issue_tokens(grant_id, req.scopes, policy, now, {});
    return out;
}

TokenOutcome Grants::refresh(std::string_view client_id, std::string_view refresh_token,
                             const std::string* scope, const Policy& policy, std::int64_t now) {
    std::lock_guard lock(mutex_);
    const auto it = refresh_tokens_.find(std::string(refresh_token));
    if (it == refresh_tokens_.end()) return fail("invalid_grant", "unknown or revoked refresh token");
    const std::string grant_id = it->second.grant_id;
    Grant& grant = grants_.at(grant_id);
    if (grant.client_id != client_id) return fail("invalid_grant", "the refresh token was issued to another client");
    if (it->second.rotated) {
        if (policy.refresh_reuse_detection) {
            revoke_grant(grant_id, "rotated refresh token reused");
            return fail("invalid_grant", "the refresh token was already rotated; reuse detected, the grant is revoked");
        }
        return fail("invalid_grant", "the refresh token was already rotated");
    }
    std::vector<std::string> scopes = grant.scopes;
    if (scope != nullptr) {
        scopes = split_scopes(*scope);
        for (const auto& s : scopes) {
            if (std::find(grant.scopes.begin(), grant.scopes.end(), s) == grant.scopes.end()) {
                return fail("invalid_scope", "scope \"" + s + "\" was not granted");
            }
        }
        if (scopes.empty()) scopes = grant.scopes;
    }
    std::string keep;
    if (policy.refresh_rotation) {
        it->second.rotated = true;
    } else {
        keep = std::string(refresh_token);
    }
    TokenOutcome out;
    out.tokens = issue_tokens(grant_id, std::move(scopes), policy, now, std::move(keep));
    return out;
}

void Grants::revoke_grant(const std::string& grant_id, std::string reason) {
    const auto it = grants_.find(grant_id);
    if (it == grants_.end() || it->second.revoked) return;
    Grant& g = it->second;
    g.revoked = true;
    g.revoked_reason = std::move(reason);
    for (const auto& t : g.access_tokens) access_tokens_.erase(t);
    for (const auto& t : g.refresh_tokens) refresh_tokens_.erase(t);
    g.access_tokens.clear();
    g.refresh_tokens.clear();
}

void Grants::revoke_token(std::string_view client_id, std::string_view token) {
    std::lock_guard lock(mutex_);
    std::string grant_id;
    if (const auto a = access_tokens_.find(std::string(token)); a != access_tokens_.end()) {
        grant_id = a->second.grant_id;
    } else if (const auto r = refresh_tokens_.find(std::string(token)); r != refresh_tokens_.end()) {
        grant_id = r->second.grant_id;
    } else {
        return;  // RFC 7009 §2.2: an unknown token is not an error
    }
    if (grants_.at(grant_id).client_id == client_id) revoke_grant(grant_id, "revoked by token");
}

void Grants::revoke_account(std::string_view client_id, std::string_view account_id) {
    std::lock_guard lock(mutex_);
    for (auto& [id, g] : grants_) {
        if (g.client_id == client_id && g.account_id == account_id) revoke_grant(id, "revoked by sub");
    }
}

void Grants::revoke_all_for_account(std::string_view account_id) {
    std::lock_guard lock(mutex_);
    for (auto& [id, g] : grants_) {
        if (g.account_id == account_id) revoke_grant(id, "user removed");
    }
}

IssuedTokens Grants::issue_direct(std::string_view client_id, std::string_view account_id, std::string_view profile_id,
                                  std::vector<std::string> scopes, const Policy& policy, std::int64_t now) {
    std::lock_guard lock(mutex_);
    std::string grant_id = "grt_" + random_hex(24);
    Grant grant;
    grant.client_id = std::string(client_id);
    grant.account_id = std::string(account_id);
    grant.profile_id = std::string(profile_id);
    grant.scopes = scopes;
    grants_.emplace(grant_id, std::move(grant));
    grant_order_.push_back(grant_id);
    return issue_tokens(grant_id, std::move(scopes), policy, now, {});
}

bool Grants::authorized(std::string_view client_id, std::string_view account_id) const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, g] : grants_) {
        if (!g.revoked && g.client_id == client_id && g.account_id == account_id) return true;
    }
    return false;
}

void Grants::revoke_all_for_client(std::string_view client_id) {
    std::lock_guard lock(mutex_);
    for (auto& [id, g] : grants_) {
        if (g.client_id == client_id) revoke_grant(id, "application removed");
    }
}

std::optional<Bearer> Grants::authenticate(std::string_view access_token, std::int64_t now) const {
    std::lock_guard lock(mutex_);
    const auto it = access_tokens_.find(std::string(access_token));
    if (it == access_tokens_.end() || now >= it->second.expires_at) return std::nullopt;
    const Grant& g = grants_.at(it->second.grant_id);
    return Bearer{it->second.grant_id, g.client_id, g.account_id, it->second.scopes};
}

int Grants::expire_access_tokens(std::string_view access_token, std::string_view account_id, std::int64_t now) {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (auto& [token, t] : access_tokens_) {
        const bool match = (!access_token.empty() && token == access_token) ||
                           (!account_id.empty() && grants_.at(t.grant_id).account_id == account_id);
        if (match && t.expires_at > now) {
            t.expires_at = now;
            ++n;
        }
    }
    return n;
}

std::string Grants::issue_link_token(std::string_view client_id, std::string_view account_id,
                                     std::int64_t expires_at) {
    std::string token = random_token(24);
    std::lock_guard lock(mutex_);
    link_tokens_.emplace(token, LinkToken{std::string(client_id), std::string(account_id), expires_at});
    return token;
}

std::optional<std::string> Grants::link_token_account(std::string_view client_id, std::string_view token,
                                                      std::int64_t now) const {
    std::lock_guard lock(mutex_);
    const auto it = link_tokens_.find(std::string(token));
    if (it == link_tokens_.end() || now >= it->second.expires_at || it->second.client_id != client_id) {
        return std::nullopt;
    }
    return it->second.account_id;
}

std::vector<GrantSummary> Grants::grants(std::int64_t now) const {
    std::lock_guard lock(mutex_);
    std::vector<GrantSummary> out;
    for (const auto& id : grant_order_) {
        const Grant& g = grants_.at(id);
        GrantSummary s{id, g.client_id, g.account_id, g.scopes, g.revoked, g.revoked_reason, 0, 0};
        for (const auto& t : g.access_tokens) {
            const auto a = access_tokens_.find(t);
            if (a != access_tokens_.end() && a->second.expires_at > now) ++s.access_tokens;
        }
        for (const auto& t : g.refresh_tokens) {
            const auto r = refresh_tokens_.find(t);
            if (r != refresh_tokens_.end() && !r->second.rotated) ++s.refresh_tokens;
        }
        out.push_back(std::move(s));
    }
    return out;
}

void Grants::purge_expired(std::int64_t now) {
    issued_since_purge_ = 0;
    for (auto it = access_tokens_.begin(); it != access_tokens_.end();) {
        if (now >= it->second.expires_at) it = access_tokens_.erase(it);
        else ++it;
    }
    for (auto& [id, g] : grants_) {
        auto& v = g.access_tokens;
        v.erase(std::remove_if(v.begin(), v.end(), [&](const std::string& t) { return access_tokens_.count(t) == 0; }),
                v.end());
    }
    for (auto it = codes_.begin(); it != codes_.end();) {
        if (now >= it->second.expires_at + used_code_memory) it = codes_.erase(it);
        else ++it;
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (now >= it->second.expires_at) it = pending_.erase(it);
        else ++it;
    }
    for (auto it = link_tokens_.begin(); it != link_tokens_.end();) {
        if (now >= it->second.expires_at) it = link_tokens_.erase(it);
        else ++it;
    }
}

}  // namespace calbridge::sandbox
