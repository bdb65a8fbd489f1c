// The endpoint families, each a function from a parsed request to a response. The router
// (router.cpp) picks the family; each family routes within itself.
#pragma once

#include "counters.hpp"
#include "request.hpp"
#include "state.hpp"

#include <optional>
#include <string>
#include <variant>

namespace calbridge::sandbox {

// Facts about the running server the endpoints need.
struct ServiceInfo {
    std::string scheme;     // "https", or "http" with --plain-http
    std::string authority;  // "127.0.0.1:8443": used when a request's Host header is unusable
    std::string admin_token;
    std::string ca_file;    // empty with --plain-http
};

struct Context {
    State& state;
    Counters& counters;
    const ServiceInfo& info;

    // scheme://host[:port] as the client reached us (its Host header), so that absolute URLs
    // (next_page, relink) stay on the client's origin; the configured one if Host is unusable.
    std::string origin(const Request& request) const;
};

Response index(Context& ctx, const Request& request);

// oauth_endpoints.cpp
Response authorize(Context& ctx, const Request& request);          // GET /oauth/authorize
Response authorize_consent(Context& ctx, const Request& request);  // POST /oauth/authorize/consent
Response token(Context& ctx, const Request& request);              // POST /oauth/token
Response revoke(Context& ctx, const Request& request);             // POST /oauth/token/revoke
Response relink(Context& ctx, const Request& request);             // GET|POST /relink/{account}/{profile}

// The headless consent (admin API): the same checks and the same redirect as the consent page.
// Returns the redirect URL, or an error response when the authorization page would have
// shown an error instead of redirecting.
std::variant<std::string, Response> headless_consent(Context& ctx, const Params& authorize_query,
                                                     const std::string& user, bool approve);

// api_endpoints.cpp: everything under /v1/.
Response api(Context& ctx, const Request& request);

// app_endpoints.cpp: the calls authenticated with the client secret (and availability); the
// response, or std::nullopt when the path is not one of them.
std::optional<Response> app_api(Context& ctx, const Request& request);

// account_calls.cpp: participation status, DELETE /v1/events, availability rules, permissions.
Response participation_status(Context& ctx, const Request& request, const Bearer& bearer,
                              const std::string& calendar_id, const std::string& event_uid);
Response delete_managed_events(Context& ctx, const Request& request, const Bearer& bearer);
Response availability_rules(Context& ctx, const Request& request, const Bearer& bearer, const std::string& rule_id);
Response request_permissions(Context& ctx, const Request& request, const Bearer& bearer);

// channel_endpoints.cpp: /v1/channels for the bearer's grant.
Response create_channel(Context& ctx, const Request& request, const Bearer& bearer);
Response list_channels(Context& ctx, const Bearer& bearer);
Response close_channel(Context& ctx, const Bearer& bearer, const std::string& channel_id);

// admin_endpoints.cpp: everything under /admin/ (the router has checked the admin token).
Response admin(Context& ctx, const Request& request);

// Counts a request against the application's rate limit: 429 with Retry-After when over it.
std::optional<Response> check_rate_limit(Context& ctx, const Application& app);

// Splits "/a/b/c" into {"a", "b", "c"}.
std::vector<std::string_view> path_segments(std::string_view path);
Response method_not_allowed(std::string_view allow);
Response not_found();

}  // namespace calbridge::sandbox
