// URLs on the API host: building them with every value percent-encoded, and deciding whether an
// absolute URL may receive the bearer token (only on the API host's origin). Internal to the
// core.
#pragma once

#include <calbridge/config.hpp>
#include <calbridge/session.hpp>
#include <calbridge/transport.hpp>

#include <optional>

#include <string>
#include <string_view>

namespace calbridge::detail {

// One path segment, percent-encoded (an id containing '/' or '?' stays one segment). An empty
// id, "." or ".." is an InvalidArgumentError naming `name`: no encoding keeps those from being
// normalized away ("/v1/calendars/../events" is the bulk-delete endpoint; servers decode %2E).
std::string path_segment(std::string_view name, std::string_view value);

// `url` with `query` appended, keys and values percent-encoded except RFC 3986 unreserved
// characters: '+' becomes %2B (servers read a raw '+' as a space), "calendar_ids[]" becomes
// "calendar_ids%5B%5D".
std::string with_query(std::string_view url, const QueryParams& query);

// True when `url` is absolute, has no user info, and has the scheme, host and port (explicit or
// default) of `api_url`.
bool same_origin(std::string_view url, std::string_view api_url);

// A path on the API host ("/v1/calendars") or an absolute URL on its origin, with `query`
// appended. InvalidArgumentError for anything else.
std::string resolve_api_url(const Config& config, std::string_view path_or_url, const QueryParams& query);

// A request to the API host with the headers every API call carries (Accept, User-Agent, and
// Content-Type when there is a JSON body); the session or the client adds Authorization.
HttpRequest api_request(const Config& config, std::string_view method, std::string url,
                        std::optional<std::string_view> json_body = std::nullopt);

}  // namespace calbridge::detail
