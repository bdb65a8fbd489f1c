// parse_callback: the redirect back (a full URL or a query string) against an expected state.
//
// Input: "<expected state>\n<callback>" (no newline: the whole input is the callback and the
// expected state is "st4te"). The first byte, when it is '!', also appends a code parameter
// holding a marker secret to the callback.
// Invariants: only calbridge errors; a success returns the expected state and a non-empty
// code, and fails with StateMismatchError against any other expected state; the marker code
// never appears in an exception message.
#include "fuzz_support.hpp"

#include <calbridge/authorize.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

constexpr std::string_view marker = "MARKERc0de5ecret0123456789";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace calbridge;
    std::string input(reinterpret_cast<const char*>(data), size);
    bool add_code = !input.empty() && input.front() == '!';
    if (add_code) input.erase(0, 1);
    std::string expected = "st4te";
    std::string callback = input;
    if (const auto nl = input.find('\n'); nl != std::string::npos) {
        expected = input.substr(0, nl);
        callback = input.substr(nl + 1);
    }
    if (add_code) callback += "&code=" + std::string(marker);

    try {
        const AuthorizationCallback result = parse_callback(callback, expected);
        fuzz::check(result.state == expected, "the returned state is the expected one");
        fuzz::check(!result.code.empty(), "a successful callback has a code");
        try {
            (void)parse_callback(callback, expected + "x");
            fuzz::fail("a callback accepted for one state was accepted for another");
        } catch (const StateMismatchError&) {
        }
    } catch (const InvalidArgumentError& e) {
        fuzz::check(expected.empty(), "InvalidArgumentError only for an empty expected state", e.what());
    } catch (const AuthorizationDeniedError& e) {
        // The denial's text comes from the server; the code is not part of it.
        fuzz::check_redacted(e, marker, input, "the code appeared in a denial's message");
    } catch (const Error& e) {
        fuzz::check_redacted(e, marker, input, "the code appeared in an error message");
    } catch (const std::exception& e) {
        fuzz::fail("a non-calbridge exception escaped", e.what());
    }
    return 0;
}
