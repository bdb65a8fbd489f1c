#include "call/http_errors.hpp"

#include "call/excerpt.hpp"
#include "call/retry_after.hpp"
#include "util/url.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace calbridge::detail {

namespace json = boost::json;

namespace {

constexpr std::size_t max_fields_in_message = 3;

std::string field_summary(const std::vector<FieldError>& fields, const Redactor& redactor) {
    std::string out;
    for (std::size_t i = 0; i < fields.size() && i < max_fields_in_message; ++i) {
        if (i > 0) out += ", ";
        out += fields[i].field;
        const std::string& why = fields[i].description.empty() ? fields[i].key : fields[i].description;
        if (!why.empty()) out += " (" + why + ")";
    }
    if (fields.size() > max_fields_in_message) {
        out += " and " + std::to_string(fields.size() - max_fields_in_message) + " more";
    }
    return body_excerpt(out, redactor, 2 * default_excerpt_length);
}

std::string string_field(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// RFC 6750 §3.1: a 401 or 403 may say why in the body, {"error": "insufficient_scope",
// "error_description": "..."} (the intermediary's shape, docs/PROTOCOL.md §6).
void read_bearer_error(std::string_view body, const Redactor& redactor, ErrorDetails& details) {
    boost::system::error_code ec;
    const json::value root = json::parse(body, ec);
    if (ec || !root.is_object()) return;
    const json::object& obj = root.get_object();
    details.oauth_error = redactor.scrub(string_field(obj, "error"));
    if (details.oauth_error.empty()) return;
    details.oauth_error_description = redactor.scrub(string_field(obj, "error_description"));
    details.oauth_error_uri = redactor.scrub(string_field(obj, "error_uri"));
}

// Scrubs the credential an Authorization header carries ("Bearer <token>"; any other scheme's
// parameters whole), in every encoding the redactor knows.
Redactor credential_redactor(const HttpRequest& request) {
    Redactor redactor;
    const std::string* authorization = request.header("Authorization");
    if (authorization == nullptr) return redactor;
    const std::string_view value = *authorization;
    const std::size_t space = value.find(' ');
    if (space != std::string_view::npos) redactor.add(Secret(std::string(value.substr(space + 1))));
    return redactor;
}

}  // namespace

std::string describe(const HttpRequest& request) {
    std::string out = request.method + " ";
    if (auto url = parse_uri_strict(request.url)) {
        out += url->encoded_path().empty() ? std::string("/") : credential_redactor(request).scrub(url->encoded_path());
    } else {
        out += "(unparseable URL)";
    }
    return out;
}

std::string describe_in_full(const HttpRequest& request) {
    return request.method + " " + credential_redactor(request).scrub(request.url);
}

std::vector<FieldError> read_field_errors(std::string_view body) {
    std::vector<FieldError> out;
    boost::system::error_code ec;
    const json::value root = json::parse(body, ec);
    if (ec || !root.is_object()) return out;
    const auto* errors = root.get_object().if_contains("errors");
    if (errors == nullptr || !errors->is_object()) return out;
    for (const auto& [field, list] : errors->get_object()) {
        if (!list.is_array()) continue;
        for (const auto& item : list.get_array()) {
            if (!item.is_object()) continue;
            out.push_back({std::string(field), string_field(item.get_object(), "key"),
                           string_field(item.get_object(), "description")});
        }
    }
    return out;
}

ErrorDetails reply_details(const HttpResponse& response, WallTime now) {
    ErrorDetails details;
    details.http_status = response.status;
    if (const std::string* value = response.header("Retry-After")) {
        details.retry_after = parse_retry_after(*value, now);
    }
    return details;
}

void throw_http_error(const HttpRequest& request, const HttpResponse& response, const Redactor& redactor,
                      WallTime now) {
    ErrorDetails details = reply_details(response, now);
    std::string message = describe(request) + ": HTTP " + std::to_string(response.status);
    ErrorCode code = error_code_for_http_status(response.status);
    if (code == ErrorCode::ok) code = ErrorCode::http;  // a success status the caller cannot use
    message += " (" + std::string(error_code_name(code)) + ")";

    if (code == ErrorCode::validation) {
        details.field_errors = read_field_errors(response.body);
        // Every part: a server may echo a sent value as a field name or a key as well.
        for (auto& field : details.field_errors) {
            field.field = redactor.scrub(field.field);
            field.key = redactor.scrub(field.key);
            field.description = redactor.scrub(field.description);
        }
    }
    if (response.status == 401 || response.status == 403) read_bearer_error(response.body, redactor, details);
    if (code == ErrorCode::rate_limited && details.retry_after) {
        message += "; retry after " + std::to_string(details.retry_after->count()) + " s";
    }
    if (!details.field_errors.empty()) {
        message += ": " + field_summary(details.field_errors, redactor);
    } else if (std::string excerpt = body_excerpt(response.body, redactor); !excerpt.empty()) {
        message += ": " + excerpt;
    }
    throw_error(code, message, std::move(details));
}

}  // namespace calbridge::detail
