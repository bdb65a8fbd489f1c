// Reading the redirect back (docs/PROTOCOL.md §1, RFC 6749 §4.1.2): every rejection, in its order.
#include "support/catch.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

#include <string>

using namespace calbridge;

namespace {

// The calbridge::Error that `fn` throws; fails the test if it throws none.
template <class Fn>
Error error_from(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no calbridge::Error was thrown");
    return Error(ErrorCode::internal, "unreachable");
}

Error callback_error(std::string_view callback, std::string_view expected_state = "NY") {
    return error_from([&] { parse_callback(callback, expected_state); });
}

}  // namespace

TEST_CASE("callback: a full URL gives the code and the state", "[authorize]") {
    const auto cb = parse_callback("https://example.com/cb?code=abc123&state=NY", "NY");
    CHECK(cb.code.reveal() == "abc123");
    CHECK(cb.state == "NY");
}

TEST_CASE("callback: a bare query string, with or without '?', gives the code and the state", "[authorize]") {
    CHECK(parse_callback("code=abc123&state=NY", "NY").code.reveal() == "abc123");
    CHECK(parse_callback("?code=abc123&state=NY", "NY").code.reveal() == "abc123");
    CHECK(parse_callback("state=NY&code=abc123", "NY").state == "NY");
}

TEST_CASE("callback: values are percent-decoded, '+' read as a space", "[authorize]") {
    const auto cb = parse_callback("https://example.com/cb?code=a%2Fb%2Bc+d&state=a%20b%2Bc", "a b+c");
    CHECK(cb.code.reveal() == "a/b+c d");
    CHECK(cb.state == "a b+c");
    // Keys too.
    CHECK(parse_callback("co%64e=x&st%61te=NY", "NY").code.reveal() == "x");
}

TEST_CASE("callback: other parameters and the fragment are ignored", "[authorize]") {
    const auto cb = parse_callback("https://example.com/cb?utm=1&code=abc&scope=x%20y&state=NY#code=evil", "NY");
    CHECK(cb.code.reveal() == "abc");
}

TEST_CASE("callback: only the given characters are read, not the buffer beyond them", "[authorize]") {
    const std::string buffer = "code=abc&state=NY&state=EVIL#frag";
    const auto cb = parse_callback(std::string_view(buffer).substr(0, 17), "NY");
    CHECK(cb.code.reveal() == "abc");
    CHECK(cb.state == "NY");
}

TEST_CASE("callback: unparseable input is an InvalidCallbackError", "[authorize]") {
    for (const char* input : {"code=a b&state=NY", "code=%zz&state=NY", "https://example.com/cb?code=%G1&state=NY",
                              "code=abc&state=NY#x"}) {
        INFO(input);
        const auto e = callback_error(input);
        CHECK(e.code() == ErrorCode::invalid_callback);
        CHECK(std::string(e.what()) == "callback is neither a URL nor a query string");
    }
}

// Found by fuzzing (fuzz/regressions/callback): Boost.URL 1.81's parse_uri fails an assertion
// on "scheme:" followed by a byte no URL may hold, so debug builds aborted on such a redirect.
TEST_CASE("callback: a scheme followed by a byte no URL may hold is an InvalidCallbackError", "[authorize]") {
    for (const char* input : {"Q:\x9c", "ab:\x01", "a:\x80", "https:\x7f?code=a&state=NY"}) {
        INFO(input);
        CHECK(callback_error(input).code() == ErrorCode::invalid_callback);
    }
}

// The same assertion, on an empty path followed by '?' or '#' (fuzz/regressions/callback).
TEST_CASE("callback: a URL with an empty path still gives its query", "[authorize]") {
    const auto cb = parse_callback("app:?code=abc&state=NY#frag", "NY");
    CHECK(cb.code.reveal() == "abc");
    CHECK(callback_error("t:?").code() == ErrorCode::state_mismatch);
    CHECK(callback_error("s:?#/").code() == ErrorCode::state_mismatch);
    CHECK(callback_error("s:#x").code() == ErrorCode::state_mismatch);
    CHECK(callback_error("x:[").code() == ErrorCode::invalid_callback);
    CHECK(callback_error("x:>").code() == ErrorCode::invalid_callback);
}

TEST_CASE("callback: a duplicated code, state, error or error_description is an InvalidCallbackError",
          "[authorize]") {
    for (const char* key : {"code", "state", "error", "error_description"}) {
        INFO(key);
        const std::string input = std::string("code=abc&state=NY&") + key + "=again&" + key + "=twice";
        const std::string base = std::string("code=abc&state=NY&error=x&error_description=y&") + key + "=z";
        for (const std::string& callback : {input, base}) {
            const auto e = callback_error(callback);
            CHECK(e.code() == ErrorCode::invalid_callback);
            CHECK(std::string(e.what()) == "callback has more than one \"" + std::string(key) + "\" parameter");
        }
    }
    // Checked before the state: a duplicated state is refused even when one copy matches.
    CHECK(callback_error("state=WRONG&state=NY&code=abc").code() == ErrorCode::invalid_callback);
    CHECK(callback_error("state=NY&state=NY&code=abc").code() == ErrorCode::invalid_callback);
}

TEST_CASE("callback: a missing or different state is a StateMismatchError", "[authorize]") {
    auto e = callback_error("code=abc");
    CHECK(e.code() == ErrorCode::state_mismatch);
    CHECK(std::string(e.what()) == "callback has no state parameter");
    CHECK_THROWS_AS(parse_callback("code=abc", "NY"), StateMismatchError);

    for (const char* callback : {"code=abc&state=ny", "code=abc&state=NYC", "code=abc&state=", "code=abc&state",
                                 "code=abc&state=N"}) {
        INFO(callback);
        e = callback_error(callback);
        CHECK(e.code() == ErrorCode::state_mismatch);
        CHECK(std::string(e.what()) == "callback state does not match the state of the authorization request");
    }
}

TEST_CASE("callback: an error reply with a missing or wrong state is a StateMismatchError, not a denial",
          "[authorize]") {
    CHECK(callback_error("error=access_denied").code() == ErrorCode::state_mismatch);
    CHECK(callback_error("error=access_denied&state=EVIL").code() == ErrorCode::state_mismatch);
}

TEST_CASE("callback: error=access_denied is an AuthorizationDeniedError with the description", "[authorize]") {
    const auto e = callback_error(
        "https://example.com/cb?error=access_denied&error_description=The+user%20denied+access&state=NY");
    CHECK(e.code() == ErrorCode::authorization_denied);
    CHECK(e.oauth_error() == "access_denied");
    CHECK(e.oauth_error_description() == "The user denied access");
    CHECK(std::string(e.what()) == "authorization denied (access_denied): The user denied access");
    CHECK_THROWS_AS(parse_callback("error=access_denied&state=NY", "NY"), AuthorizationDeniedError);
}

TEST_CASE("callback: any other error is an AuthorizationDeniedError too, even with a code", "[authorize]") {
    auto e = callback_error("error=server_error&state=NY");
    CHECK(e.code() == ErrorCode::authorization_denied);
    CHECK(e.oauth_error() == "server_error");
    CHECK(e.oauth_error_description().empty());
    CHECK(std::string(e.what()) == "authorization denied (server_error)");

    e = callback_error("code=abc&error=invalid_scope&state=NY");
    CHECK(e.code() == ErrorCode::authorization_denied);
    CHECK(e.oauth_error() == "invalid_scope");

    e = callback_error("error=&state=NY");
    CHECK(e.code() == ErrorCode::authorization_denied);
    CHECK(std::string(e.what()) == "authorization denied (no error code)");
}

TEST_CASE("callback: control characters in a denial never reach the message, the details keep them",
          "[authorize]") {
    const auto e = callback_error("error=access_denied&error_description=line%0D%0Abreak&state=NY");
    CHECK(std::string(e.what()) == "authorization denied (access_denied): line??break");
    CHECK(e.oauth_error_description() == "line\r\nbreak");

    const auto long_one = callback_error("error=x&error_description=" + std::string(300, 'd') + "&state=NY");
    CHECK(std::string(long_one.what()) == "authorization denied (x): " + std::string(200, 'd') + "...");
    CHECK(long_one.oauth_error_description() == std::string(300, 'd'));
}

TEST_CASE("callback: invalid UTF-8 in a denial becomes U+FFFD in the message and the details", "[authorize]") {
    // A stray continuation byte, an overlong '/', a surrogate, a sequence cut short; é stays.
    const auto e = callback_error("error=access%FFdenied&error_description=a%80b%C0%AFc%ED%A0%80d%C3e%C3%A9&state=NY");
    const std::string r = "\xEF\xBF\xBD";
    CHECK(e.code() == ErrorCode::authorization_denied);
    CHECK(e.oauth_error() == "access" + r + "denied");
    CHECK(e.oauth_error_description() == "a" + r + "b" + r + r + "c" + r + r + r + "d" + r + "e\xC3\xA9");
    CHECK(std::string(e.what()) ==
          "authorization denied (access" + r + "denied): a" + r + "b" + r + r + "c" + r + r + r + "d" + r + "e\xC3\xA9");
}

TEST_CASE("callback: a missing or empty code is an InvalidCallbackError", "[authorize]") {
    auto e = callback_error("state=NY");
    CHECK(e.code() == ErrorCode::invalid_callback);
    CHECK(std::string(e.what()) == "callback has neither a code nor an error parameter");
    CHECK_THROWS_AS(parse_callback("state=NY", "NY"), InvalidCallbackError);

    for (const char* callback : {"code=&state=NY", "code&state=NY"}) {
        INFO(callback);
        e = callback_error(callback);
        CHECK(e.code() == ErrorCode::invalid_callback);
        CHECK(std::string(e.what()) == "callback code is empty");
    }
}

TEST_CASE("callback: an empty expected state is an InvalidArgumentError", "[authorize]") {
    // Otherwise "state=" would match it.
    const auto e = callback_error("code=abc&state=", "");
    CHECK(e.code() == ErrorCode::invalid_argument);
    CHECK(std::string(e.what()) == "expected_state is empty");
}

TEST_CASE("callback: the code never appears in an error message", "[authorize]") {
    const std::string code = "SECRETCODE1234567890";
    for (const std::string& callback : {"code=" + code + "&state=WRONG", "code=" + code,
                                        "code=" + code + "&code=" + code + "&state=NY",
                                        "code=" + code + "&error=access_denied&state=NY",
                                        "code=" + code + " &state=NY"}) {
        INFO(callback);
        const auto e = callback_error(callback);
        CHECK(std::string(e.what()).find(code) == std::string::npos);
    }
}
