#include "token/oauth_error.hpp"

#include "call/excerpt.hpp"

#include <calbridge/errors.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace calbridge::detail {

namespace json = boost::json;

namespace {

constexpr std::size_t max_error_length = 64;
constexpr std::size_t max_description_length = 200;

std::string string_member(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::optional<OAuthErrorReply> read_oauth_error(std::string_view body) {
    boost::system::error_code ec;
    const json::value root = json::parse(body, ec);
    if (ec || !root.is_object()) return std::nullopt;
    const json::object& obj = root.get_object();
    const auto* error = obj.if_contains("error");
    if (error == nullptr || !error->is_string() || error->get_string().empty()) return std::nullopt;
    return OAuthErrorReply{std::string(error->get_string()), string_member(obj, "error_description"),
                           string_member(obj, "error_uri")};
}

void throw_oauth_error(const OAuthErrorReply& reply, int http_status, std::string_view doing,
                       const Redactor& redactor) {
    ErrorDetails details;
    details.http_status = http_status;
    // A server may quote what it was sent in its description: scrubbed like any excerpt.
    details.oauth_error = body_excerpt(reply.error, redactor, max_error_length);
    details.oauth_error_description = body_excerpt(reply.description, redactor, max_description_length);
    details.oauth_error_uri = body_excerpt(reply.uri, redactor, max_description_length);

    std::string message = std::string(doing) + ": the token endpoint replied " + details.oauth_error;
    if (http_status != 0) message += " (HTTP " + std::to_string(http_status) + ")";
    if (!details.oauth_error_description.empty()) message += ": " + details.oauth_error_description;

    if (reply.error == "invalid_client") {
        throw InvalidClientError(message + "; check the client id and secret", std::move(details));
    }
    if (reply.error == "invalid_grant") {
        throw InvalidGrantError(message, std::move(details));
    }
    throw BadRequestError(message, std::move(details));
}

}  // namespace calbridge::detail
