// The C layer's internals, in C++: the header's codes mirror calbridge::ErrorCode exactly, and
// the one exception mapper (capi/src/errors.cpp, compiled into this test) turns every error of
// the tree, std::bad_alloc and foreign exceptions into the right status and last-error record.
#include "support/catch.hpp"

#include <calbridge.h>
#include <calbridge/errors.hpp>

#include "errors.hpp"

#include <chrono>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

using calbridge::ErrorCode;

#define CALBRIDGE_MIRRORS(macro, code) \
    static_assert((macro) == static_cast<int>(ErrorCode::code), #macro " must equal ErrorCode::" #code)

CALBRIDGE_MIRRORS(CALBRIDGE_OK, ok);
CALBRIDGE_MIRRORS(CALBRIDGE_EINVALID_ARGUMENT, invalid_argument);
CALBRIDGE_MIRRORS(CALBRIDGE_ECONFIGURATION, configuration);
CALBRIDGE_MIRRORS(CALBRIDGE_EINVALID_CLIENT, invalid_client);
CALBRIDGE_MIRRORS(CALBRIDGE_ESTATE_MISMATCH, state_mismatch);
CALBRIDGE_MIRRORS(CALBRIDGE_EINVALID_CALLBACK, invalid_callback);
CALBRIDGE_MIRRORS(CALBRIDGE_EAUTHORIZATION_DENIED, authorization_denied);
CALBRIDGE_MIRRORS(CALBRIDGE_EINVALID_GRANT, invalid_grant);
CALBRIDGE_MIRRORS(CALBRIDGE_EBAD_REQUEST, bad_request);
CALBRIDGE_MIRRORS(CALBRIDGE_EAUTHENTICATION, authentication);
CALBRIDGE_MIRRORS(CALBRIDGE_EAUTHORIZATION, authorization);
CALBRIDGE_MIRRORS(CALBRIDGE_ENOT_FOUND, not_found);
CALBRIDGE_MIRRORS(CALBRIDGE_EVALIDATION, validation);
CALBRIDGE_MIRRORS(CALBRIDGE_ELOCKED, locked);
CALBRIDGE_MIRRORS(CALBRIDGE_EPAYMENT_REQUIRED, payment_required);
CALBRIDGE_MIRRORS(CALBRIDGE_ERATE_LIMITED, rate_limited);
CALBRIDGE_MIRRORS(CALBRIDGE_ESERVER, server);
CALBRIDGE_MIRRORS(CALBRIDGE_ESERVICE_UNAVAILABLE, service_unavailable);
CALBRIDGE_MIRRORS(CALBRIDGE_EHTTP, http);
CALBRIDGE_MIRRORS(CALBRIDGE_ETIMEOUT, timeout);
CALBRIDGE_MIRRORS(CALBRIDGE_ETLS, tls);
CALBRIDGE_MIRRORS(CALBRIDGE_ECONNECTION, connection);
CALBRIDGE_MIRRORS(CALBRIDGE_EPROTOCOL, protocol);
CALBRIDGE_MIRRORS(CALBRIDGE_ESTORE, store);
CALBRIDGE_MIRRORS(CALBRIDGE_ECANCELLED, cancelled);
CALBRIDGE_MIRRORS(CALBRIDGE_EUSER, user_callback);
CALBRIDGE_MIRRORS(CALBRIDGE_EINTERNAL, internal);
CALBRIDGE_MIRRORS(CALBRIDGE_EINVALID_SIGNATURE, invalid_signature);

namespace {

// The lowest core code; a new core code below it fails the "every code has a C name" test.
constexpr int lowest_code = CALBRIDGE_EINVALID_SIGNATURE;

int fail_with(ErrorCode code) {
    return calbridge::capi::guard("calbridge_test", [&] {
        calbridge::ErrorDetails details;
        details.http_status = 499;
        details.oauth_error = "oauth_error";
        details.oauth_error_description = "description";
        details.oauth_error_uri = "https://example.com/e";
        details.retry_after = std::chrono::seconds(42);
        details.field_errors.push_back({"summary", "errors.required", "is \"required\""});
        calbridge::throw_error(code, "message for " + std::string(calbridge::error_code_name(code)), details);
    });
}

}  // namespace

TEST_CASE("every core error code has the C name the core gives it, and no code hides below the lowest") {
    for (int c = 0; c >= lowest_code; --c) {
        CAPTURE(c);
        CHECK(std::string(calbridge_error_code_name(c)) ==
              std::string(calbridge::error_code_name(static_cast<ErrorCode>(c))));
    }
    CHECK(std::string(calbridge::error_code_name(static_cast<ErrorCode>(lowest_code - 1))) == "unknown");
    CHECK(std::string(calbridge_error_code_name(lowest_code - 1)) == "unknown");
    CHECK(std::string(calbridge_error_code_name(CALBRIDGE_DONE)) == "done");
    CHECK(std::string(calbridge_error_code_name(12345)) == "unknown");
    CHECK(std::string(calbridge_error_code_name(-100000)) == "unknown");
}

TEST_CASE("the mapper turns each error of the tree into its code with every detail") {
    for (int c = -1; c >= lowest_code; --c) {
        const auto code = static_cast<ErrorCode>(c);
        CAPTURE(c);
        REQUIRE(fail_with(code) == c);
        const calbridge_error* e = calbridge_error_last();
        CHECK(e->code == c);
        CHECK(std::string(e->code_name) == std::string(calbridge::error_code_name(code)));
        CHECK(std::string(e->message) == "message for " + std::string(calbridge::error_code_name(code)));
        CHECK(e->http_status == 499);
        CHECK(std::string(e->oauth_error) == "oauth_error");
        CHECK(std::string(e->oauth_error_description) == "description");
        CHECK(std::string(e->oauth_error_uri) == "https://example.com/e");
        CHECK(e->retry_after_seconds == 42);
        CHECK(std::string(e->field_errors_json) ==
              R"([{"field":"summary","key":"errors.required","description":"is \"required\""}])");
    }
}

TEST_CASE("a success resets the record to ok with empty strings") {
    REQUIRE(fail_with(ErrorCode::timeout) == CALBRIDGE_ETIMEOUT);
    REQUIRE(calbridge::capi::guard("calbridge_test", [] {}) == CALBRIDGE_OK);
    const calbridge_error* e = calbridge_error_last();
    CHECK(e->code == CALBRIDGE_OK);
    CHECK(std::string(e->code_name) == "ok");
    CHECK(std::string(e->message).empty());
    CHECK(e->http_status == 0);
    CHECK(std::string(e->oauth_error).empty());
    CHECK(e->retry_after_seconds == -1);
    CHECK(std::string(e->field_errors_json) == "[]");
}

TEST_CASE("a positive status of the body passes through as a success") {
    CHECK(calbridge::capi::guard("calbridge_test", [] { return CALBRIDGE_DONE; }) == CALBRIDGE_DONE);
    CHECK(calbridge_error_last()->code == CALBRIDGE_OK);
}

TEST_CASE("exceptions outside the tree are CALBRIDGE_EINTERNAL, out of memory included") {
    CHECK(calbridge::capi::guard("calbridge_test", [] { throw std::bad_alloc(); }) == CALBRIDGE_EINTERNAL);
    CHECK(std::string(calbridge_error_last()->message) == "out of memory");

    CHECK(calbridge::capi::guard("calbridge_test", [] { throw std::logic_error("oops"); }) == CALBRIDGE_EINTERNAL);
    CHECK(std::string(calbridge_error_last()->message) == "internal error: oops");
    CHECK(std::string(calbridge_error_last()->code_name) == "internal");

    CHECK(calbridge::capi::guard("calbridge_test", [] { throw 42; }) == CALBRIDGE_EINTERNAL);
    CHECK(std::string(calbridge_error_last()->message) == "internal error: an unknown exception");
}

TEST_CASE("argument errors name the entry point and the argument") {
    const int rc = calbridge::capi::guard("calbridge_session_calendars", [] {
        calbridge::capi::required(static_cast<calbridge_session*>(nullptr), "session");
    });
    CHECK(rc == CALBRIDGE_EINVALID_ARGUMENT);
    CHECK(std::string(calbridge_error_last()->message) == "calbridge_session_calendars: session is NULL");
}

TEST_CASE("the record is per thread") {
    REQUIRE(fail_with(ErrorCode::locked) == CALBRIDGE_ELOCKED);
    int seen_on_other_thread = -1;
    std::thread([&] { seen_on_other_thread = calbridge_error_last()->code; }).join();
    CHECK(seen_on_other_thread == CALBRIDGE_OK);
    CHECK(calbridge_error_last()->code == CALBRIDGE_ELOCKED);
}

TEST_CASE("a returned string is wiped to its terminating NUL before calbridge_free frees it", "[capi]") {
    const std::string secret = R"({"access_token":"at-0123456789-abcdefghij"})";
    char* copy = calbridge::capi::copy_out(secret);
    REQUIRE(std::string(copy) == secret);
    calbridge::capi::wipe_string(copy);
    for (std::size_t i = 0; i <= secret.size(); ++i) {
        CAPTURE(i);
        CHECK(copy[i] == '\0');
    }
    std::free(copy);
    calbridge::capi::wipe_string(nullptr);  // NULL is fine, as for calbridge_free
}
