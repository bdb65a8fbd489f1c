// GCC 12 has no std::chrono::parse, so the three formats are read with strptime and turned into
// a time with timegm (UTC, no time zone database involved).
#include "call/http_date.hpp"

#include <clocale>
#include <ctime>
#include <locale.h>
#include <string>

namespace calbridge::detail {

namespace {

// strptime reads day and month names in the current locale; HTTP dates are English whatever
// the application set with setlocale, so parsing switches this thread to the C locale.
class CLocaleScope {
public:
    CLocaleScope() noexcept {
        static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
        if (c_locale != locale_t{}) previous_ = uselocale(c_locale);
    }
    ~CLocaleScope() {
        if (previous_ != locale_t{}) uselocale(previous_);
    }
    CLocaleScope(const CLocaleScope&) = delete;
    CLocaleScope& operator=(const CLocaleScope&) = delete;

private:
    locale_t previous_{};
};

// Parses all of `text` (trailing whitespace allowed) with `format`.
bool parse_with(const std::string& text, const char* format, std::tm& out) {
    out = std::tm{};
    const char* end = strptime(text.c_str(), format, &out);
    if (end == nullptr) return false;
    while (*end == ' ' || *end == '\t') ++end;
    return *end == '\0';
}

int year_of(WallTime t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return tm.tm_year + 1900;
}

// RFC 9110 §5.6.7: interpret a two-digit year that appears more than 50 years in the future as
// the most recent year in the past with the same last two digits.
int full_year_from_two_digits(int two_digits, WallTime now) {
    const int current = year_of(now);
    int year = current - current % 100 + two_digits;
    if (year > current + 50) year -= 100;
    return year;
}

bool plausible(const std::tm& tm) {
    return tm.tm_mday >= 1 && tm.tm_mday <= 31 && tm.tm_hour <= 23 && tm.tm_min <= 59 && tm.tm_sec <= 60;
}

}  // namespace

std::optional<WallTime> parse_http_date(std::string_view text, WallTime now) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    if (text.empty() || text.size() > 64) return std::nullopt;
    const std::string input(text);
    const CLocaleScope c_locale;

    std::tm tm{};
    if (parse_with(input, "%a, %d %b %Y %H:%M:%S GMT", tm)) {
        // IMF-fixdate
    } else if (parse_with(input, "%A, %d-%b-%y %H:%M:%S GMT", tm)) {
        // RFC 850: strptime's %y guesses the century its own way; apply RFC 9110's rule.
        tm.tm_year = full_year_from_two_digits(tm.tm_year % 100, now) - 1900;
    } else if (parse_with(input, "%a %b %e %H:%M:%S %Y", tm)) {
        // asctime
    } else {
        return std::nullopt;
    }
    if (!plausible(tm)) return std::nullopt;
    const std::time_t t = timegm(&tm);
    if (t == static_cast<std::time_t>(-1)) return std::nullopt;
    // WallTime counts nanoseconds in 64 bits (years 1678 to 2262): from_time_t would overflow
    // on a year such as 0310 or 9999, which all three formats can spell.
    constexpr std::time_t limit = std::chrono::duration_cast<std::chrono::seconds>(WallTime::duration::max()).count();
    if (t > limit || t < -limit) return std::nullopt;
    return std::chrono::system_clock::from_time_t(t);
}

}  // namespace calbridge::detail
