// Retry-After (RFC 9110 §10.2.3): delta-seconds and the three HTTP date formats of §5.6.7.
#include "support/catch.hpp"

#include "call/http_date.hpp"
#include "call/retry_after.hpp"

#include <chrono>

using namespace calbridge;
using namespace std::chrono_literals;
using std::chrono::sys_days;

namespace {

// Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's own example.
const WallTime example = sys_days{std::chrono::year{1994} / 11 / 6} + 8h + 49min + 37s;
const WallTime now_2026 = sys_days{std::chrono::year{2026} / 11 / 28} + 1h;

}  // namespace

TEST_CASE("Retry-After delta-seconds is a wait in seconds", "[call]") {
    CHECK(detail::parse_retry_after("1", now_2026) == 1s);
    CHECK(detail::parse_retry_after("120", now_2026) == 120s);
    CHECK(detail::parse_retry_after("0", now_2026) == 0s);
    CHECK(detail::parse_retry_after(" 7 ", now_2026) == 7s);
    CHECK(detail::parse_retry_after("007", now_2026) == 7s);
}

TEST_CASE("a huge Retry-After is clamped instead of overflowing", "[call]") {
    CHECK(detail::parse_retry_after("86401", now_2026) == detail::max_retry_after);
    CHECK(detail::parse_retry_after("99999999999999999999999999999", now_2026) == detail::max_retry_after);
}

TEST_CASE("Retry-After as an IMF-fixdate is the time left until it", "[call]") {
    CHECK(detail::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now_2026) == example);
    CHECK(detail::parse_retry_after("Sat, 28 Nov 2026 01:00:30 GMT", now_2026) == 30s);
}

TEST_CASE("Retry-After in the obsolete RFC 850 format is read, two-digit year by RFC 9110's rule", "[call]") {
    CHECK(detail::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now_2026) == example);
    CHECK(detail::parse_retry_after("Saturday, 28-Nov-26 01:02:00 GMT", now_2026) == 120s);
    // 2076 is not more than 50 years after 2026, so "76" is 2076; "77" would be 2077, more than
    // 50 years ahead, so it is 1977.
    CHECK(detail::parse_http_date("Sunday, 01-Nov-76 00:00:00 GMT", now_2026) ==
          WallTime(sys_days{std::chrono::year{2076} / 11 / 1}));
    CHECK(detail::parse_http_date("Monday, 01-Nov-77 00:00:00 GMT", now_2026) ==
          WallTime(sys_days{std::chrono::year{1977} / 11 / 1}));
}

TEST_CASE("Retry-After in the obsolete asctime format is read", "[call]") {
    CHECK(detail::parse_http_date("Sun Nov  6 08:49:37 1994", now_2026) == example);
    CHECK(detail::parse_retry_after("Sat Nov 28 01:00:05 2026", now_2026) == 5s);
}

TEST_CASE("a Retry-After date in the past means no wait: a fraction of a second rounds up", "[call]") {
    CHECK(detail::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now_2026) == 0s);
    CHECK(detail::parse_retry_after("Sat, 28 Nov 2026 01:00:10 GMT", now_2026 + 9500ms) == 1s);
}

TEST_CASE("an unreadable Retry-After is no Retry-After", "[call]") {
    for (const char* value : {"", " ", "-1", "1.5", "soon", "1s", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994",
                              "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                              "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sun, 06 Nov 1994 25:49:37 GMT"}) {
        CAPTURE(value);
        CHECK(detail::parse_retry_after(value, now_2026) == std::nullopt);
    }
}

// Found by fuzzing (fuzz/regressions/time_parsing): these years overflowed WallTime's 64-bit
// nanosecond count, undefined behaviour that produced some time or other.
TEST_CASE("an HTTP date outside what WallTime can hold is unreadable", "[call]") {
    for (const char* value : {"Sun Nov  6 08:49:37 0310", "Fri, 31 Dec 9999 23:59:59 GMT", "Sat, 01 Jan 1000 00:00:00 GMT",
                              "Thu, 01 Jan 2263 00:00:00 GMT"}) {
        CAPTURE(value);
        CHECK(detail::parse_http_date(value, now_2026) == std::nullopt);
        CHECK(detail::parse_retry_after(value, now_2026) == std::nullopt);
    }
    CHECK(detail::parse_http_date("Fri, 01 Jan 2100 00:00:00 GMT", now_2026) ==
          WallTime(sys_days{std::chrono::year{2100} / 1 / 1}));
}
