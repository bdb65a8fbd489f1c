// The time formats read from outside: RFC 3339 (stored expiries, event times, push
// changes_since), HTTP dates and Retry-After (docs/PROTOCOL.md §6).
//
// Input: the text to parse; its first byte also shifts "now" for the HTTP date readers.
// Invariants: no exception at all (these readers answer std::nullopt); an RFC 3339 time reads
// back from format_rfc3339 as the same second, and with its offset as the same instant, the
// offset under a day; a date (an all-day event's) is valid and format_date writes it back as the
// same text; an HTTP date read relative to now reads the same from its IMF-fixdate form; a
// Retry-After wait lies in [0, max_retry_after].
#include "fuzz_support.hpp"

#include "call/http_date.hpp"
#include "call/retry_after.hpp"

#include <calbridge/credentials.hpp>
#include <calbridge/times.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace {

using namespace calbridge;
using namespace std::chrono;

// "Sun, 06 Nov 1994 08:49:37 GMT" for a time inside the Gregorian years 1..9999.
std::string imf_fixdate(WallTime t) {
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const weekday wd{day};
    const hh_mm_ss hms{floor<seconds>(t - day)};
    static const char* const names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02ld:%02ld:%02lld GMT", names[wd.c_encoding()],
                  static_cast<unsigned>(ymd.day()), months[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<int>(ymd.year()), static_cast<long>(hms.hours().count()),
                  static_cast<long>(hms.minutes().count()), static_cast<long long>(hms.seconds().count()));
    return buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto instant = parse_rfc3339(text);
        if (instant) {
            const std::string formatted = format_rfc3339(*instant);
            const auto back = parse_rfc3339(formatted);
            fuzz::check(back.has_value(), "format_rfc3339's output parses", formatted);
            fuzz::check(*back == floor<seconds>(*instant), "RFC 3339 round trip keeps the second", formatted);
        }
        const auto with_offset = parse_rfc3339_offset(text);
        fuzz::check(with_offset.has_value() == instant.has_value(), "both RFC 3339 readers agree");
        if (with_offset) {
            fuzz::check(with_offset->utc == *instant, "the offset reader gives the same instant");
            fuzz::check(abs(with_offset->offset) < hours(24), "an offset is under a day");
        }

        if (const auto date = parse_date(text)) {
            fuzz::check(date->ok(), "a date read is a valid date");
            fuzz::check(format_date(*date) == text, "format_date writes a date back as it was read", text);
        }

        const WallTime now = WallTime{seconds(1'700'000'000)} + days(size > 0 ? data[0] * 97 : 0);
        if (const auto t = detail::parse_http_date(text, now)) {
            const auto y = static_cast<int>(year_month_day{floor<days>(*t)}.year());
            if (y >= 1 && y <= 9999) {
                const std::string fixdate = imf_fixdate(*t);
                const auto back = detail::parse_http_date(fixdate, now);
                fuzz::check(back.has_value() && *back == floor<seconds>(*t), "an HTTP date reads back", fixdate);
            }
        }

        if (const auto wait = detail::parse_retry_after(text, now)) {
            fuzz::check(wait->count() >= 0 && *wait <= detail::max_retry_after, "Retry-After within bounds");
        }
    } catch (const std::exception& e) {
        fuzz::fail("a time reader threw", e.what());
    }
    return 0;
}
