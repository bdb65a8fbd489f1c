// Session::request: any API call, for what the typed calls do not cover yet. (Client::request,
// the same with the client secret, is in api/application_calls.cpp.)
#include "api/generic_request.hpp"

#include <calbridge/session.hpp>
#include <calbridge/errors.hpp>

#include "api/api_url.hpp"
#include "api/callers.hpp"
#include "util/http_method.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace calbridge {

namespace detail {

void check_method(std::string_view method) {
    if (method.empty() || method.size() > 16 ||
        !std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        throw InvalidArgumentError("method must be an upper-case HTTP method such as GET or POST");
    }
}

Replay replay_for(std::string_view method) {
    return is_retry_safe_method(method) ? Replay::idempotent : Replay::if_not_sent;
}

bool is_json(std::string_view text) {
    boost::system::error_code ec;
    boost::json::parse(text, ec);
    return !ec;
}

void check_json_reply(std::string_view method, int status, std::string_view body) {
    if (!body.empty() && !is_json(body)) {
        throw ProtocolError(std::string(method) + " request: the reply (HTTP " + std::to_string(status) +
                            ") is not JSON");
    }
}

}  // namespace detail

std::string Session::request(std::string_view method, std::string_view path_or_url, const QueryParams& query,
                             std::optional<std::string_view> json_body, const CallOptions& options) const {
    detail::check_method(method);
    const Config& config = caller()->configuration();
    std::string url = detail::resolve_api_url(config, path_or_url, query);
    if (json_body && !detail::is_json(*json_body)) throw InvalidArgumentError("json_body is not JSON");

    HttpRequest request = detail::api_request(config, method, std::move(url), json_body);
    HttpResponse reply = caller()->send(std::move(request), detail::replay_for(method), options);
    detail::check_json_reply(method, reply.status, reply.body);
    return std::move(reply.body);
}

}  // namespace calbridge
