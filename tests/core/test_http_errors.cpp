// From an error reply to the typed error (docs/PROTOCOL.md §6), and the excerpt that tells a person
// what the reply said without leaking a secret.
#include "support/catch.hpp"

#include "call/excerpt.hpp"
#include "call/http_errors.hpp"

#include <calbridge/errors.hpp>

#include <string>

using namespace calbridge;
using namespace std::chrono_literals;

namespace {

const WallTime now = WallTime(std::chrono::sys_days{std::chrono::year{2026} / 11 / 28});

HttpRequest get(std::string url) {
    HttpRequest r;
    r.method = "GET";
    r.url = std::move(url);
    return r;
}

[[noreturn]] void raise(int status, std::string body = {}, std::vector<HttpHeader> headers = {}) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    detail::throw_http_error(get("https://api.test/v1/events?tzid=Etc%2FUTC"), response, detail::Redactor{}, now);
}

Error error_for(int status, std::string body = {}, std::vector<HttpHeader> headers = {}) {
    try {
        raise(status, std::move(body), std::move(headers));
    } catch (const Error& e) {
        return e;
    }
}

}  // namespace

TEST_CASE("each error status becomes the error class of docs/PROTOCOL.md §6", "[call]") {
    struct Case {
        int status;
        ErrorCode code;
    };
    for (const auto& [status, code] : std::initializer_list<Case>{
             {400, ErrorCode::bad_request}, {401, ErrorCode::authentication},
             {402, ErrorCode::payment_required}, {403, ErrorCode::authorization},
             {404, ErrorCode::not_found}, {422, ErrorCode::validation},
             {423, ErrorCode::locked}, {429, ErrorCode::rate_limited},
             {500, ErrorCode::server}, {501, ErrorCode::server},
             {502, ErrorCode::service_unavailable}, {503, ErrorCode::service_unavailable},
             {504, ErrorCode::service_unavailable}, {302, ErrorCode::http},
             {418, ErrorCode::http}, {200, ErrorCode::http}}) {
        CAPTURE(status);
        const Error e = error_for(status);
        CHECK(e.code() == code);
        CHECK(e.http_status() == status);
    }
    CHECK_THROWS_AS(raise(503), ServiceUnavailableError);
    CHECK_THROWS_AS(raise(503), ServerError);  // a family catch still works
    CHECK_THROWS_AS(raise(404), HttpError);
}

TEST_CASE("an error message names the request by method and path only", "[call]") {
    const Error e = error_for(404);
    CHECK(std::string(e.what()) == "GET /v1/events: HTTP 404 (not_found)");
}

TEST_CASE("a 422 carries its field errors, in the server's order, and names them", "[call]") {
    const Error e = error_for(422, R"({"errors":{"start":[{"key":"errors.required","description":"start must be specified"}],)"
                                   R"("tzid":[{"key":"errors.invalid","description":"tzid is not known"},)"
                                   R"({"key":"errors.other"}]}})");
    CHECK(e.code() == ErrorCode::validation);
    CHECK(e.field_errors() == std::vector<FieldError>{{"start", "errors.required", "start must be specified"},
                                                      {"tzid", "errors.invalid", "tzid is not known"},
                                                      {"tzid", "errors.other", ""}});
    CHECK(std::string(e.what()) == "GET /v1/events: HTTP 422 (validation): start (start must be specified), tzid "
                                   "(tzid is not known), tzid (errors.other)");
}

TEST_CASE("a 429 carries its Retry-After", "[call]") {
    const Error e = error_for(429, "", {{"Retry-After", "17"}});
    CHECK(e.retry_after() == 17s);
    CHECK(std::string(e.what()) == "GET /v1/events: HTTP 429 (rate_limited); retry after 17 s");
    CHECK(error_for(429).retry_after() == std::nullopt);
    CHECK(error_for(429, "", {{"Retry-After", "Sat, 28 Nov 2026 00:01:00 GMT"}}).retry_after() == 60s);
}

TEST_CASE("an HTML error page from a proxy gives the status's error with a short readable excerpt", "[call]") {
    const std::string page = "<html><head><title>502 Bad Gateway</title><style>body { color: red; }</style>"
                             "<script>var x = '<b>';</script></head>\r\n<body><!-- comment -->"
                             "<center><h1>502&nbsp;Bad Gateway</h1></center><hr><center>nginx</center>" +
                             std::string(500, ' ') + "</body></html>";
    const Error e = error_for(502, page);
    CHECK(e.code() == ErrorCode::service_unavailable);
    CHECK(std::string(e.what()) == "GET /v1/events: HTTP 502 (service_unavailable): 502 Bad Gateway 502 Bad Gateway nginx");
}

TEST_CASE("an excerpt is cut at a character boundary and marked", "[call]") {
    const detail::Redactor none;
    const std::string long_text = std::string(118, 'a') + "\xC3\xA9\xC3\xA9zzz";  // é straddles byte 120
    CHECK(detail::body_excerpt(long_text, none) == std::string(118, 'a') + "\xC3\xA9...");
    CHECK(detail::body_excerpt("", none).empty());
    CHECK(detail::body_excerpt("  <p> </p> ", none).empty());
}

TEST_CASE("an excerpt replaces invalid UTF-8 and control characters", "[call]") {
    const detail::Redactor none;
    CHECK(detail::body_excerpt("bad \xFF\xFE byte\x01\x02here\ttab", none) == "bad ?? byte here tab");
}

TEST_CASE("an excerpt never shows a secret of the request, in any encoding it travelled in", "[call]") {
    const Secret secret("s3cr3t+/=%\" value-with-more-than-20");
    detail::Redactor redactor;
    redactor.add(secret);
    const std::string body = "<p>token s3cr3t+/=%\" value-with-more-than-20 and s3cr3t%2B%2F%3D%25%22%20value-with-more-than-20 "
                             "and s3cr3t%2b%2f%3d%25%22%20value-with-more-than-20 and s3cr3t+/=%\\\" value-with-more-than-20 and "
                             "s3cr3t+\\/=%\\\" value-with-more-than-20</p>";
    const std::string excerpt = detail::body_excerpt(body, redactor, 1000);
    CHECK(excerpt.find("s3cr3t") == std::string::npos);
    CHECK(excerpt == "token \u2026n-20 and \u2026n-20 and \u2026n-20 and \u2026n-20 and \u2026n-20");
}

TEST_CASE("a secret hidden behind an HTML entity is still caught", "[call]") {
    const Secret secret("abc&defghijklmnopqrstuvwxyz");
    detail::Redactor redactor;
    redactor.add(secret);
    CHECK(detail::body_excerpt("x abc&amp;defghijklmnopqrstuvwxyz y", redactor) == "x \u2026wxyz y");
}

TEST_CASE("a 403 fills the error's OAuth fields from the intermediary's error body", "[call]") {
    const Error e = error_for(403, R"({"error": "insufficient_scope", "error_description": "this call needs the create_event scope", "error_uri": "https://docs.test/scopes"})");
    CHECK(e.code() == ErrorCode::authorization);
    CHECK(e.oauth_error() == "insufficient_scope");
    CHECK(e.oauth_error_description() == "this call needs the create_event scope");
    CHECK(e.oauth_error_uri() == "https://docs.test/scopes");
}

TEST_CASE("a 401 with an error body fills the OAuth fields too", "[call]") {
    const Error e = error_for(401, R"({"error": "invalid_token"})");
    CHECK(e.code() == ErrorCode::authentication);
    CHECK(e.oauth_error() == "invalid_token");
    CHECK(e.oauth_error_description().empty());
}

TEST_CASE("a 403 without an error field or with a body that is not JSON leaves the OAuth fields empty", "[call]") {
    for (const char* body : {"", "<html>Forbidden</html>", R"({"error_description": "alone"})", R"({"error": 7})", "[]"}) {
        const Error e = error_for(403, body);
        CHECK(e.code() == ErrorCode::authorization);
        CHECK(e.oauth_error().empty());
        CHECK(e.oauth_error_description().empty());
    }
}

TEST_CASE("a 404 body's error field is not read as an OAuth error", "[call]") {
    CHECK(error_for(404, R"({"error": "not_found"})").oauth_error().empty());
}

TEST_CASE("a 422 that echoes a secret as a field name or a key has it scrubbed in every part", "[call]") {
    const Secret secret("at-echoed-access-token-0123456789");
    detail::Redactor redactor;
    redactor.add(secret);
    HttpResponse response;
    response.status = 422;
    response.body = R"({"errors":{"at-echoed-access-token-0123456789":[{"key":"bad at-echoed-access-token-0123456789",)"
                    R"("description":"at-echoed-access-token-0123456789 is wrong"}]}})";
    try {
        detail::throw_http_error(get("https://api.test/v1/events"), response, redactor, now);
        FAIL("no error");
    } catch (const ValidationError& e) {
        REQUIRE(e.field_errors().size() == 1);
        const FieldError& f = e.field_errors()[0];
        for (const std::string& part : {f.field, f.key, f.description, std::string(e.what())}) {
            CAPTURE(part);
            CHECK(part.find("at-echoed") == std::string::npos);
        }
        CHECK(f.field == secret.redacted());
        CHECK(f.key == "bad " + secret.redacted());
    }
}
