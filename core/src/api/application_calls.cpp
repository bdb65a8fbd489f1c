// The calls a Client makes with the application's client secret as the bearer (docs/PROTOCOL.md
// §8): the generic Client::request, availability across accounts, application calendars.
// The secret goes to the API host's origin only (resolve_api_url refuses anything else before
// a request exists), is wiped from the request when the call is over, and is scrubbed, with
// every encoding of it, from whatever an error quotes.
#include <calbridge/client.hpp>
#include <calbridge/errors.hpp>

#include "api/api_url.hpp"
#include "api/callers.hpp"
#include "api/generic_request.hpp"
#include "call/http_errors.hpp"
#include "token/token_endpoint.hpp"
#include "token/token_reply.hpp"
#include "token/token_request.hpp"
#include "util/crypto.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace calbridge {

namespace detail {

namespace {

bool is_success(int status) noexcept { return status >= 200 && status < 300; }

// Sends `request` with Authorization: Bearer <client secret>, within `call`. Returns a 2xx
// reply; throws the typed error otherwise (401: InvalidClientError, there is nothing to
// refresh). The header is wiped on the way out.
HttpResponse send_as_application(const ApplicationCaller& client, Call& call, HttpRequest& request, Replay replay) {
    const Secret& secret = client.configuration().client_secret();
    if (secret.empty()) {
        throw ConfigurationError("this call authenticates with the client secret, and none is configured");
    }
    request.headers.insert(request.headers.begin(), HttpHeader{"Authorization", "Bearer " + secret.reveal()});
    struct Wipe {
        HttpRequest& r;
        ~Wipe() {
            std::string& value = r.headers.front().value;
            secure_wipe(value.data(), value.size());
            value.clear();
        }
    } wipe{request};

    HttpResponse response = call.send(request, replay);
    if (is_success(response.status)) return response;

    Redactor redactor;
    redactor.add(secret);
    try {
        if (response.status == 401) {
            throw InvalidClientError(describe(request) +
                                         ": the API refused the client secret (HTTP 401); check the client id "
                                         "and secret",
                                     reply_details(response, call.wall_now()));
        }
        throw_http_error(request, response, redactor, call.wall_now());
    } catch (const Error& e) {
        call.log()(LogLevel::debug, [&] { return std::string(e.what()); });
        throw;
    }
}

}  // namespace

// Declared in api/availability.cpp's users: one POST /v1/availability with the client secret.
HttpResponse send_availability_as_application(const ApplicationCaller& client, const CallOptions& options,
                                              std::string body) {
    Call call = client.begin_call(options);
    const Config& config = client.configuration();
    HttpRequest request = api_request(config, "POST", config.api_url() + "/v1/availability", std::string_view(body));
    // A query changes nothing: sending it twice does no harm.
    return send_as_application(client, call, request, Replay::idempotent);
}

}  // namespace detail

std::string Client::request(std::string_view method, std::string_view path_or_url, const QueryParams& query,
                            std::optional<std::string_view> json_body, const CallOptions& options) const {
    detail::check_method(method);
    const Config& config = caller().configuration();
    // Before anything else: another origin never gets the secret, not even a connection.
    std::string url = detail::resolve_api_url(config, path_or_url, query);
    if (json_body && !detail::is_json(*json_body)) throw InvalidArgumentError("json_body is not JSON");

    detail::Call call = caller().begin_call(options);
    HttpRequest request = detail::api_request(config, method, std::move(url), json_body);
    HttpResponse reply = detail::send_as_application(caller(), call, request, detail::replay_for(method));
    detail::check_json_reply(method, reply.status, reply.body);
    return std::move(reply.body);
}

Credentials Client::create_application_calendar(std::string_view application_calendar_id,
                                                const CallOptions& options) const {
    if (application_calendar_id.empty()) throw InvalidArgumentError("application_calendar_id is empty");
    const Config& config = caller().configuration();
    if (config.client_secret().empty()) {
        throw ConfigurationError("creating an application calendar needs the client secret, and none is configured");
    }
    detail::Call call = caller().begin_call(options);

    // The body carries the secret too (docs/PROTOCOL.md §8): a TokenRequest, so that it is wiped and
    // scrubbed from whatever an error quotes, and its reply is read like a token reply.
    detail::TokenRequest request;
    {
        boost::json::object body;
        body["client_id"] = config.client_id();
        body["client_secret"] = config.client_secret().reveal();
        body["application_calendar_id"] = application_calendar_id;
        std::string text = boost::json::serialize(body);
        request.http = detail::api_request(config, "POST", config.api_url() + "/v1/application_calendars",
                                           std::string_view(text));
        detail::secure_wipe(text.data(), text.size());
        detail::secure_wipe(body["client_secret"].as_string().data(), body["client_secret"].as_string().size());
    }
    request.http.headers.insert(request.http.headers.begin(),
                                HttpHeader{"Authorization", "Bearer " + config.client_secret().reveal()});
    request.redactor.add(config.client_secret());

    const WallTime requested_at = call.wall_now();
    // Not sent again once it may have left: a second one would issue a second grant.
    const HttpResponse response = call.send(request.http, detail::Replay::if_not_sent);
    Credentials credentials;
    try {
        // An error status is an API error (a 404 is NotFoundError, a 422 has field errors), not an
        // OAuth one; a 2xx is read as a token reply (which also catches 200 {"error": ...}).
        if (response.status == 401) {
            throw InvalidClientError(detail::describe(request.http) +
                                         ": the API refused the client secret (HTTP 401); check the client id "
                                         "and secret",
                                     detail::reply_details(response, requested_at));
        }
        if (response.status < 200 || response.status >= 300) {
            detail::throw_http_error(request.http, response, request.redactor, requested_at);
        }
        credentials = detail::read_token_reply(request, response, requested_at, "create application calendar");
    } catch (const Error& e) {
        call.log()(LogLevel::debug, [&] { return std::string(e.what()); });
        throw;
    }
    const std::string account = credentials.account_key();
    if (account.empty()) {
        throw ProtocolError("create application calendar: the reply names no account (neither account_id nor sub), "
                            "so the credentials cannot be stored");
    }
    // Like a new authorization: it wins over whatever the store had.
    const std::uint64_t version = caller().store_new_grant(account, credentials);
    call.log()(LogLevel::debug, [&] {
        return "application calendar " + std::string(application_calendar_id) + ": stored the credentials of " +
               detail::credentials_summary(credentials) + " (version " + std::to_string(version) + ")";
    });
    return credentials;
}

}  // namespace calbridge
