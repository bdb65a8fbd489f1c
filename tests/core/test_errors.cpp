#include "support/catch.hpp"

#include <calbridge/errors.hpp>

#include <set>

using namespace calbridge;

TEST_CASE("error codes keep their published numbers", "[errors]") {
    // These numbers are ABI: the C header and the Python module repeat them. Never renumber.
    CHECK(static_cast<int>(ErrorCode::ok) == 0);
    CHECK(static_cast<int>(ErrorCode::invalid_argument) == -1);
    CHECK(static_cast<int>(ErrorCode::configuration) == -2);
    CHECK(static_cast<int>(ErrorCode::invalid_client) == -3);
    CHECK(static_cast<int>(ErrorCode::state_mismatch) == -4);
    CHECK(static_cast<int>(ErrorCode::invalid_callback) == -5);
    CHECK(static_cast<int>(ErrorCode::authorization_denied) == -6);
    CHECK(static_cast<int>(ErrorCode::invalid_grant) == -7);
    CHECK(static_cast<int>(ErrorCode::bad_request) == -8);
    CHECK(static_cast<int>(ErrorCode::authentication) == -9);
    CHECK(static_cast<int>(ErrorCode::authorization) == -10);
    CHECK(static_cast<int>(ErrorCode::not_found) == -11);
    CHECK(static_cast<int>(ErrorCode::validation) == -12);
    CHECK(static_cast<int>(ErrorCode::locked) == -13);
    CHECK(static_cast<int>(ErrorCode::payment_required) == -14);
    CHECK(static_cast<int>(ErrorCode::rate_limited) == -15);
    CHECK(static_cast<int>(ErrorCode::server) == -16);
    CHECK(static_cast<int>(ErrorCode::service_unavailable) == -17);
    CHECK(static_cast<int>(ErrorCode::http) == -18);
    CHECK(static_cast<int>(ErrorCode::timeout) == -19);
    CHECK(static_cast<int>(ErrorCode::tls) == -20);
    CHECK(static_cast<int>(ErrorCode::connection) == -21);
    CHECK(static_cast<int>(ErrorCode::protocol) == -22);
    CHECK(static_cast<int>(ErrorCode::store) == -23);
    CHECK(static_cast<int>(ErrorCode::cancelled) == -24);
    CHECK(static_cast<int>(ErrorCode::user_callback) == -25);
    CHECK(static_cast<int>(ErrorCode::internal) == -26);
    CHECK(static_cast<int>(ErrorCode::invalid_signature) == -27);
}

TEST_CASE("every code has a distinct name and throws a class carrying that code", "[errors]") {
    std::set<std::string_view> names;
    for (int c = -1; c >= -27; --c) {
        const auto code = static_cast<ErrorCode>(c);
        const auto name = error_code_name(code);
        CHECK(name != "unknown");
        CHECK(names.insert(name).second);
        ErrorDetails details;
        details.http_status = 418;
        try {
            throw_error(code, "boom", details);
            FAIL("throw_error returned");
        } catch (const Error& e) {
            CHECK(e.code() == code);
            CHECK(std::string(e.what()) == "boom");
            CHECK(e.http_status() == 418);
        }
    }
    CHECK(error_code_name(ErrorCode::ok) == "ok");
    CHECK_THROWS_AS(throw_error(ErrorCode::ok, "not an error"), InternalError);
}

TEST_CASE("error families can be caught by their base class", "[errors]") {
    CHECK_THROWS_AS(throw_error(ErrorCode::invalid_client, "x"), ConfigurationError);
    CHECK_THROWS_AS(throw_error(ErrorCode::service_unavailable, "x"), ServerError);
    CHECK_THROWS_AS(throw_error(ErrorCode::service_unavailable, "x"), HttpError);
    CHECK_THROWS_AS(throw_error(ErrorCode::rate_limited, "x"), HttpError);
    CHECK_THROWS_AS(throw_error(ErrorCode::invalid_grant, "x"), OAuthError);
    CHECK_THROWS_AS(throw_error(ErrorCode::bad_request, "x"), OAuthError);
    CHECK_THROWS_AS(throw_error(ErrorCode::state_mismatch, "x"), AuthorizationFlowError);
    CHECK_THROWS_AS(throw_error(ErrorCode::authorization_denied, "x"), AuthorizationFlowError);
    CHECK_THROWS_AS(throw_error(ErrorCode::timeout, "x"), TransportError);
    CHECK_THROWS_AS(throw_error(ErrorCode::tls, "x"), TransportError);
    CHECK_THROWS_AS(throw_error(ErrorCode::connection, "x"), TransportError);
    CHECK_THROWS_AS(throw_error(ErrorCode::store, "x"), std::runtime_error);
}

TEST_CASE("errors carry OAuth fields, retry-after and field errors, and copy cheaply", "[errors]") {
    ErrorDetails details;
    details.http_status = 422;
    details.oauth_error = "invalid_request";
    details.oauth_error_description = "bad summary";
    details.oauth_error_uri = "https://example.com/err";
    details.retry_after = std::chrono::seconds(7);
    details.field_errors = {{"summary", "errors.required", "summary must be specified"}};
    const ValidationError e("validation failed", details);
    const ValidationError copy = e;  // NOLINT: the copy is the point
    CHECK(copy.code() == ErrorCode::validation);
    CHECK(copy.http_status() == 422);
    CHECK(copy.oauth_error() == "invalid_request");
    CHECK(copy.oauth_error_description() == "bad summary");
    CHECK(copy.oauth_error_uri() == "https://example.com/err");
    CHECK(copy.retry_after() == std::chrono::seconds(7));
    REQUIRE(copy.field_errors().size() == 1);
    CHECK(copy.field_errors()[0] == FieldError{"summary", "errors.required", "summary must be specified"});
    CHECK(&copy.details() == &e.details());
}

TEST_CASE("HTTP statuses map to the error kinds of docs/PROTOCOL.md section 6", "[errors]") {
    CHECK(error_code_for_http_status(200) == ErrorCode::ok);
    CHECK(error_code_for_http_status(202) == ErrorCode::ok);
    CHECK(error_code_for_http_status(400) == ErrorCode::bad_request);
    CHECK(error_code_for_http_status(401) == ErrorCode::authentication);
    CHECK(error_code_for_http_status(402) == ErrorCode::payment_required);
    CHECK(error_code_for_http_status(403) == ErrorCode::authorization);
    CHECK(error_code_for_http_status(404) == ErrorCode::not_found);
    CHECK(error_code_for_http_status(422) == ErrorCode::validation);
    CHECK(error_code_for_http_status(423) == ErrorCode::locked);
    CHECK(error_code_for_http_status(429) == ErrorCode::rate_limited);
    CHECK(error_code_for_http_status(500) == ErrorCode::server);
    CHECK(error_code_for_http_status(501) == ErrorCode::server);
    CHECK(error_code_for_http_status(502) == ErrorCode::service_unavailable);
    CHECK(error_code_for_http_status(503) == ErrorCode::service_unavailable);
    CHECK(error_code_for_http_status(504) == ErrorCode::service_unavailable);
    CHECK(error_code_for_http_status(302) == ErrorCode::http);
    CHECK(error_code_for_http_status(409) == ErrorCode::http);
    CHECK(error_code_for_http_status(0) == ErrorCode::http);
}
