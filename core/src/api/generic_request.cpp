// Session::request: any API call, for what the typed calls do not cover yet.
#include <calbridge/session.hpp>
#include <calbridge/errors.hpp>

#include "api/api_url.hpp"
#include "session/session_state.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace calbridge {

namespace {

// An HTTP method token, upper case as the API's are ("GET", "POST", ...).
void check_method(std::string_view method) {
    if (method.empty() || method.size() > 16 ||
        !std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        throw InvalidArgumentError("method must be an upper-case HTTP method such as GET or POST");
    }
}

// Methods whose repetition does no harm (RFC 9110 §9.2.2).
detail::Replay replay_for(std::string_view method) {
    const bool idempotent = method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
                            method == "OPTIONS";
    return idempotent ? detail::Replay::idempotent : detail::Replay::if_not_sent;
}

bool is_json(std::string_view text) {
    boost::system::error_code ec;
    boost::json::parse(text, ec);
    return !ec;
}

}  // namespace

std::string Session::request(std::string_view method, std::string_view path_or_url, const QueryParams& query,
                             std::optional<std::string_view> json_body, const CallOptions& options) const {
    check_method(method);
    const Config& config = state_->client->config;
    std::string url = detail::resolve_api_url(config, path_or_url, query);
    if (json_body && !is_json(*json_body)) throw InvalidArgumentError("json_body is not JSON");

    HttpRequest request = detail::api_request(config, method, std::move(url), json_body);
    HttpResponse reply = state_->send(std::move(request), replay_for(method), options);
    if (!reply.body.empty() && !is_json(reply.body)) {
        throw ProtocolError(std::string(method) + " request: the reply (HTTP " + std::to_string(reply.status) +
                            ") is not JSON");
    }
    return std::move(reply.body);
}

}  // namespace calbridge
