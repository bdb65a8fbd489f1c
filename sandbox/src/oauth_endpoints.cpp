// The authorization side of docs/PROTOCOL.md §1-4: the authorization page and its consent form,
// the token endpoint (both grants) and revocation.
#include "crypto.hpp"
#include "endpoints.hpp"
#include "html.hpp"
#include "json_util.hpp"
#include "model_json.hpp"
#include "times.hpp"
#include "uri.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include <algorithm>

namespace urls = boost::urls;

namespace calbridge::sandbox {

namespace {

constexpr std::int64_t pending_lifetime = 1800;    // seconds a consent page stays answerable
constexpr std::size_t max_listed_users = 100;      // more: the consent page asks for a name

// ---- the authorization request ---------------------------------------------------------

// RFC 7636 §4.2: a challenge is 43 to 128 characters of [A-Za-z0-9-._~].
bool valid_code_challenge(std::string_view v) {
    return v.size() >= 43 && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
           });
}

bool is_known_scope(std::string_view s) {
    return std::find(std::begin(known_scopes), std::end(known_scopes), s) != std::end(known_scopes);
}

// `uri` with the parameters appended to its query, each value percent-encoded.
std::string with_params(std::string_view uri, const Params& params) {
    urls::url u(parse_uri_reference_from_outside(uri).value());
    for (const auto& [k, v] : params) {
        u.encoded_params().append(urls::param_pct_view(urls::encode(k, urls::unreserved_chars),
                                                       urls::encode(v, urls::unreserved_chars)));
    }
    return std::string(u.buffer());
}

Response redirect_to(const std::string& location) {
    Response r = html_response(302, "<!DOCTYPE html>\n<p>Redirecting to <a href=\"" + html_escape(location) + "\">" +
                                        html_escape(location) + "</a></p>\n");
    r.headers.push_back({"Location", location});
    return r;
}

// What checking an authorization request gives: an error page (no redirect, the redirect URI
// is not trusted), an error redirect (RFC 6749 §4.1.2.1), or a request to show consent for.
struct AuthorizeCheck {
    enum class Kind { page_error, redirect_error, consent } kind = Kind::consent;
    std::string title;
    std::string message;
    std::string redirect;
    PendingAuthorization pending;
    Application app;
};

AuthorizeCheck page_error(std::string title, std::string message) {
    AuthorizeCheck c;
    c.kind = AuthorizeCheck::Kind::page_error;
    c.title = std::move(title);
    c.message = std::move(message);
    return c;
}

AuthorizeCheck check_authorization(Context& ctx, const Params& q) {
    const std::string* client_id = find_param(q, "client_id");
    if (client_id == nullptr || client_id->empty()) {
        return page_error("Invalid authorization request", "The request has no client_id.");
    }
    auto app = ctx.state.directory.application(*client_id);
    if (!app) return page_error("Unknown application", "No application has the client_id \"" + *client_id + "\".");
    const std::string* redirect_uri = find_param(q, "redirect_uri");
    if (redirect_uri == nullptr || redirect_uri->empty()) {
        return page_error("Invalid authorization request", "The request has no redirect_uri.");
    }
    const auto parsed = parse_absolute_uri_from_outside(*redirect_uri);
    if (!parsed || parsed->has_fragment()) {
        return page_error("Invalid redirect URI",
                          "redirect_uri must be an absolute URI without a fragment: \"" + *redirect_uri + "\".");
    }
    if (app->verified && !redirect_uri_registered(*app, *redirect_uri)) {
        return page_error("Redirect URI not registered",
                          "This application is verified and may only redirect to its registered redirect URIs; \"" +
                              *redirect_uri + "\" is not one of them.");
    }

    AuthorizeCheck c;
    c.app = *app;
    PendingAuthorization& p = c.pending;
    p.client_id = *client_id;
    p.redirect_uri = *redirect_uri;
    if (const std::string* state = find_param(q, "state")) p.state = *state;

    auto redirect_error = [&](std::string error, std::string description) {
        Params params{{"error", std::move(error)}, {"error_description", std::move(description)}};
        if (p.state) params.emplace_back("state", *p.state);
        AuthorizeCheck e;
        e.kind = AuthorizeCheck::Kind::redirect_error;
        e.redirect = with_params(p.redirect_uri, params);
        return e;
    };

    const std::string* response_type = find_param(q, "response_type");
    if (response_type == nullptr) return redirect_error("invalid_request", "response_type is required");
    if (*response_type != "code") return redirect_error("unsupported_response_type", "response_type must be code");

    const std::string* scope = find_param(q, "scope");
    if (scope == nullptr) return redirect_error("invalid_request", "scope is required");
    p.scopes = split_scopes(*scope);
    if (p.scopes.empty()) return redirect_error("invalid_scope", "scope is empty");
    for (const auto& s : p.scopes) {
        if (!is_known_scope(s)) return redirect_error("invalid_scope", "unknown scope \"" + s + "\"");
    }

    const Policy policy = ctx.state.policy_for(*app);
    const std::string* challenge = find_param(q, "code_challenge");
    const std::string* method = find_param(q, "code_challenge_method");
    if (challenge == nullptr) {
        if (method != nullptr) return redirect_error("invalid_request", "code_challenge_method without code_challenge");
        if (policy.pkce_required) return redirect_error("invalid_request", "code_challenge is required (PKCE)");
    } else {
        p.code_challenge_method = method != nullptr ? *method : "plain";  // RFC 7636 §4.3
        if (p.code_challenge_method != "S256" && p.code_challenge_method != "plain") {
            return redirect_error("invalid_request", "code_challenge_method must be S256 or plain");
        }
        if (!valid_code_challenge(*challenge)) {
            return redirect_error("invalid_request", "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]");
        }
        p.code_challenge = *challenge;
    }
    if (const std::string* v = find_param(q, "avoid_linking"); v != nullptr && !parse_query_bool(*v)) {
        return redirect_error("invalid_request", "avoid_linking must be true or false");
    }
    if (const std::string* v = find_param(q, "delegated_scope"); v != nullptr && *v != "free_busy" && *v != "read_only") {
        return redirect_error("invalid_request", "delegated_scope must be free_busy or read_only");
    }
    if (const std::string* v = find_param(q, "provider_name")) p.provider_name = *v;
    if (const std::string* link = find_param(q, "link_token")) {
        const auto account = ctx.state.grants.link_token_account(p.client_id, *link, ctx.state.clock.now());
        if (!account || !ctx.state.directory.find_user(*account)) {
            return redirect_error("invalid_request", "unknown or expired link_token");
        }
        p.linked_account = *account;
    }
    p.expires_at = ctx.state.clock.now() + pending_lifetime;
    return c;
}

ConsentView consent_view(Context& ctx, const AuthorizeCheck& check, const std::string& pending_id) {
    ConsentView v;
    v.pending_id = pending_id;
    v.app_name = check.app.name;
    v.client_id = check.app.client_id;
    v.verified = check.app.verified;
    v.redirect_uri = check.pending.redirect_uri;
    v.scopes = check.pending.scopes;
    if (!check.pending.linked_account.empty()) {
        v.fixed_account = check.pending.linked_account;
        ctx.state.directory.read_user(v.fixed_account, [&](const User* u) {
            v.fixed_label = u != nullptr ? u->name + " <" + u->email + ">" : v.fixed_account;
            return 0;
        });
        return v;
    }
    const auto users = ctx.state.directory.list_users(max_listed_users + 1);
    if (users.size() > max_listed_users) {
        v.user_field = true;
    } else {
        for (const auto& u : users) v.users.push_back({u.account_id, u.name + " <" + u.email + ">"});
    }
    return v;
}

// Turns a consent decision into the redirect back: a code, or access_denied.
std::string decide(Context& ctx, const Application& app, const PendingAuthorization& pending,
                   const std::string& account_id, bool approve) {
    Params params;
    if (!approve) {
        params = {{"error", "access_denied"}, {"error_description", "The user denied access"}};
    } else {
        Approval approval;
        approval.request = pending;
        approval.account_id = account_id;
        ctx.state.directory.read_user(account_id, [&](const User* u) {
            if (u == nullptr) return 0;
            const Profile* chosen = nullptr;
            for (const auto& prof : u->profiles) {
                if (!prof.connected) continue;
                if (chosen == nullptr || (prof.provider_name == pending.provider_name &&
                                          chosen->provider_name != pending.provider_name)) {
                    chosen = &prof;
                }
            }
            if (chosen == nullptr && !u->profiles.empty()) chosen = &u->profiles.front();
            if (chosen != nullptr) approval.profile_id = chosen->profile_id;
            return 0;
        });
        const Policy policy = ctx.state.policy_for(app);
        const std::string code = ctx.state.grants.issue_code(std::move(approval), ctx.state.clock.now() + policy.code_lifetime);
        params = {{"code", code}};
    }
    if (pending.state) params.emplace_back("state", *pending.state);
    return with_params(pending.redirect_uri, params);
}

// ---- the token endpoint ------------------------------------------------------------------

Response token_error(int status, std::string_view error, std::string_view description) {
    return oauth_error(status, error, description);
}

// The fields of a token or revoke request, JSON or form-encoded.
std::variant<Params, Response> read_token_fields(const Request& req) {
    const std::string* ct = req.header("Content-Type");
    const std::string_view type = ct != nullptr ? std::string_view(*ct) : std::string_view();
    const bool json_body = type.find("json") != std::string_view::npos ||
                           (type.empty() && !req.body.empty() && req.body.front() == '{');
    if (json_body) {
        const auto v = parse_json(req.body);
        if (!v || !v->is_object()) return token_error(400, "invalid_request", "the body is not a JSON object");
        Params out;
        for (const auto& kv : v->get_object()) {
            if (kv.value().is_null()) continue;
            if (!kv.value().is_string()) {
                return token_error(400, "invalid_request", std::string(kv.key()) + " must be a string");
            }
            out.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
        }
        return out;
    }
    if (!type.empty() && type.find("application/x-www-form-urlencoded") == std::string_view::npos) {
        return token_error(400, "invalid_request",
                           "Content-Type must be application/x-www-form-urlencoded or application/json");
    }
    auto form = parse_form(req.body);
    if (!form) return token_error(400, "invalid_request", "the form body is malformed");
    return std::move(*form);
}

// RFC 6749 §2.3.1: client_id and client_secret in the body, or HTTP Basic (form-encoded
// id and secret, then base64). Exactly one method.
std::variant<Application, Response> authenticate_client(Context& ctx, const Request& req, const Params& fields) {
    std::optional<std::string> id, secret;
    bool basic = false;
    if (const std::string* auth = req.header("Authorization"); auth != nullptr && auth->size() > 6 &&
                                                                 iequals(std::string_view(*auth).substr(0, 6), "Basic ")) {
        basic = true;
        const auto decoded = base64_decode(std::string_view(*auth).substr(6));
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos) return token_error(401, "invalid_client", "malformed HTTP Basic credentials");
        const auto user = parse_form("u=" + decoded->substr(0, colon));
        const auto pass = parse_form("p=" + decoded->substr(colon + 1));
        if (!user || !pass || user->empty() || pass->empty()) {
            return token_error(401, "invalid_client", "malformed HTTP Basic credentials");
        }
        id = user->front().second;
        secret = pass->front().second;
        if (find_param(fields, "client_secret") != nullptr) {
            return token_error(400, "invalid_request", "use one client authentication method, not HTTP Basic and client_secret");
        }
        if (const std::string* body_id = find_param(fields, "client_id"); body_id != nullptr && *body_id != *id) {
            return token_error(400, "invalid_request", "client_id differs from the HTTP Basic user");
        }
    } else {
        if (const std::string* v = find_param(fields, "client_id")) id = *v;
        if (const std::string* v = find_param(fields, "client_secret")) secret = *v;
    }
    auto unauthorized = [&](std::string_view why) {
        Response r = token_error(401, "invalid_client", why);
        if (basic) r.headers.push_back({"WWW-Authenticate", "Basic realm=\"calbridge-sandbox\""});
        return r;
    };
    if (!id || id->empty()) return unauthorized("client_id is missing");
    if (!secret) return unauthorized("client_secret is missing");
    auto app = ctx.state.directory.application(*id);
    if (!app || !constant_time_equal(app->client_secret, *secret)) {
        return unauthorized("client authentication failed: unknown client_id or wrong client_secret");
    }
    return std::move(*app);
}

Response token_success(Context& ctx, const IssuedTokens& t, bool with_linking_profile) {
    json::object o;
    o["token_type"] = "bearer";
    o["access_token"] = t.access_token;
    o["expires_in"] = t.expires_in;
    o["refresh_token"] = t.refresh_token;
    o["scope"] = join_scopes(t.scopes);
    o["account_id"] = t.account_id;
    o["sub"] = t.account_id;
    ctx.state.directory.read_user(t.account_id, [&](const User* u) {
        if (u == nullptr) return 0;
        if (const Profile* p = u->profile(t.profile_id); p != nullptr && with_linking_profile) {
            json::object lp;
            lp["provider_name"] = p->provider_name;
            lp["profile_id"] = p->profile_id;
            lp["profile_name"] = p->profile_name;
            o["linking_profile"] = std::move(lp);
        }
        json::object info;
        info["sub"] = u->account_id;
        info["email"] = u->email;
        info["name"] = u->name;
        o["userinfo"] = std::move(info);
        return 0;
    });
    Response r = json_response(200, o);
    r.headers.push_back({"Cache-Control", "no-store"});
    r.headers.push_back({"Pragma", "no-cache"});
    return r;
}

Response from_outcome(Context& ctx, const TokenOutcome& outcome, bool with_linking_profile) {
    if (!outcome.tokens) return token_error(400, outcome.error, outcome.description);
    return token_success(ctx, *outcome.tokens, with_linking_profile);
}

}  // namespace

// ---- endpoints ---------------------------------------------------------------------------

Response authorize(Context& ctx, const Request& request) {
    AuthorizeCheck check = check_authorization(ctx, request.query);
    switch (check.kind) {
    case AuthorizeCheck::Kind::page_error:
        return html_response(400, error_page(check.title, check.message));
    case AuthorizeCheck::Kind::redirect_error:
        return redirect_to(check.redirect);
    case AuthorizeCheck::Kind::consent:
        break;
    }
    const std::string id = ctx.state.grants.add_pending(check.pending, ctx.state.clock.now());
    return html_response(200, consent_page(consent_view(ctx, check, id)));
}

Response authorize_consent(Context& ctx, const Request& request) {
    const auto form = parse_form(request.body);
    if (!form) return html_response(400, error_page("Invalid form", "The consent form could not be read."));
    const std::string* id = find_param(*form, "authorization");
    const auto pending = id != nullptr ? ctx.state.grants.find_pending(*id, ctx.state.clock.now()) : std::nullopt;
    if (!pending) {
        return html_response(400, error_page("Authorization expired",
                                             "This authorization request has expired or was already answered. "
                                             "Go back to the application and start again."));
    }
    const auto app = ctx.state.directory.application(pending->client_id);
    if (!app) return html_response(400, error_page("Unknown application", "The application no longer exists."));
    const std::string* decision = find_param(*form, "decision");
    if (decision == nullptr || (*decision != "approve" && *decision != "deny")) {
        return html_response(400, error_page("Invalid form", "decision must be approve or deny."));
    }
    std::string account;
    if (*decision == "approve") {
        const std::string* user = find_param(*form, "user");
        const auto found = user != nullptr ? ctx.state.directory.find_user(*user) : std::nullopt;
        if (!found || (!pending->linked_account.empty() && *found != pending->linked_account)) {
            // Show the form again (the same pending authorization) with a message.
            AuthorizeCheck again;
            again.app = *app;
            again.pending = *pending;
            ConsentView view = consent_view(ctx, again, *id);
            view.message = user == nullptr || user->empty() ? "Choose a user to sign in as."
                                                            : "There is no user \"" + *user + "\" in this sandbox.";
            return html_response(400, consent_page(view));
        }
        account = *found;
    }
    ctx.state.grants.remove_pending(*id);
    return redirect_to(decide(ctx, *app, *pending, account, *decision == "approve"));
}

std::variant<std::string, Response> headless_consent(Context& ctx, const Params& query, const std::string& user,
                                                     bool approve) {
    AuthorizeCheck check = check_authorization(ctx, query);
    if (check.kind == AuthorizeCheck::Kind::page_error) {
        return api_error(400, "authorization_page_error", check.message);
    }
    if (check.kind == AuthorizeCheck::Kind::redirect_error) return check.redirect;
    std::string account;
    if (approve) {
        const auto found = ctx.state.directory.find_user(user);
        if (!found) return validation_error({{"user", "errors.invalid", "no user \"" + user + "\" in this sandbox"}});
        if (!check.pending.linked_account.empty() && *found != check.pending.linked_account) {
            return validation_error({{"user", "errors.invalid", "the link_token belongs to another user"}});
        }
        account = *found;
    }
    return decide(ctx, check.app, check.pending, account, approve);
}

Response token(Context& ctx, const Request& request) {
    auto fields_or = read_token_fields(request);
    const std::string* grant_type = nullptr;
    if (auto* fields = std::get_if<Params>(&fields_or)) grant_type = find_param(*fields, "grant_type");
    auto& counter = grant_type == nullptr                      ? ctx.counters.token_other
                    : *grant_type == "authorization_code"      ? ctx.counters.token_authorization_code
                    : *grant_type == "refresh_token"           ? ctx.counters.token_refresh_token
                                                               : ctx.counters.token_other;
    counter.fetch_add(1, std::memory_order_relaxed);
    if (auto* error = std::get_if<Response>(&fields_or)) return std::move(*error);
    const Params& fields = std::get<Params>(fields_or);

    auto client = authenticate_client(ctx, request, fields);
    if (auto* error = std::get_if<Response>(&client)) return std::move(*error);
    const Application& app = std::get<Application>(client);
    if (auto limited = check_rate_limit(ctx, app)) return std::move(*limited);

    if (grant_type == nullptr || grant_type->empty()) return token_error(400, "invalid_request", "grant_type is required");
    const Policy policy = ctx.state.policy_for(app);
    const std::int64_t now = ctx.state.clock.now();
    if (*grant_type == "authorization_code") {
        const std::string* code = find_param(fields, "code");
        if (code == nullptr || code->empty()) return token_error(400, "invalid_request", "code is required");
        const std::string* redirect_uri = find_param(fields, "redirect_uri");
        if (redirect_uri == nullptr) return token_error(400, "invalid_request", "redirect_uri is required");
        return from_outcome(ctx,
                            ctx.state.grants.exchange_code(app.client_id, *code, redirect_uri,
                                                           find_param(fields, "code_verifier"), policy, now),
                            true);
    }
    if (*grant_type == "refresh_token") {
        const std::string* refresh_token = find_param(fields, "refresh_token");
        if (refresh_token == nullptr || refresh_token->empty()) {
            return token_error(400, "invalid_request", "refresh_token is required");
        }
        return from_outcome(
            ctx, ctx.state.grants.refresh(app.client_id, *refresh_token, find_param(fields, "scope"), policy, now),
            false);
    }
    return token_error(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
}

Response revoke(Context& ctx, const Request& request) {
    auto fields_or = read_token_fields(request);
    if (auto* error = std::get_if<Response>(&fields_or)) return std::move(*error);
    const Params& fields = std::get<Params>(fields_or);
    auto client = authenticate_client(ctx, request, fields);
    if (auto* error = std::get_if<Response>(&client)) return std::move(*error);
    const Application& app = std::get<Application>(client);
    if (auto limited = check_rate_limit(ctx, app)) return std::move(*limited);

    const std::string* token_value = find_param(fields, "token");
    const std::string* sub = find_param(fields, "sub");
    if (token_value != nullptr && !token_value->empty()) {
        ctx.state.grants.revoke_token(app.client_id, *token_value);  // `token` wins over `sub`
    } else if (sub != nullptr && !sub->empty()) {
        ctx.state.grants.revoke_account(app.client_id, *sub);
    } else {
        return token_error(400, "invalid_request", "token or sub is required");
    }
    ctx.counters.revocations.fetch_add(1, std::memory_order_relaxed);
    Response r = empty_response(200);
    r.headers.push_back({"Cache-Control", "no-store"});
    return r;
}

Response relink(Context& ctx, const Request& request) {
    const auto seg = path_segments(request.path);  // relink, account, profile
    if (seg.size() != 3) return html_response(404, error_page("Not found", "There is no such relink page."));
    const std::string account(seg[1]), profile(seg[2]);
    const bool reconnect = request.method == "POST";
    std::string name, provider;
    const bool found = ctx.state.directory.write_user(account, [&](User* u) {
        Profile* p = u != nullptr ? u->profile(profile) : nullptr;
        if (p == nullptr) return false;
        if (reconnect) p->connected = true;
        name = p->profile_name;
        provider = p->provider_name;
        return true;
    });
    if (!found) return html_response(404, error_page("Not found", "There is no such profile."));
    return html_response(200, relink_page(name, provider, request.path, reconnect));
}

}  // namespace calbridge::sandbox
