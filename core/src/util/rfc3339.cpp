// RFC 3339 times and dates: the stored expiry, event and free/busy times, queries. Written with
// the C++20 calendar types rather than gmtime_r/timegm: they are pure (no time zone, no locale,
// no errno), check day-of-month for us, and cover the whole range of WallTime without a time_t
// detour. GCC 12 has no std::chrono::parse (and iostreams would cost on the events listing's hot
// path), so the parser is a small hand-written one over the RFC's grammar.
#include <calbridge/errors.hpp>
#include <calbridge/times.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace calbridge {

namespace {

using namespace std::chrono;

// Reads the RFC 3339 grammar left to right; every method consumes what it accepts and reports
// failure by returning false, so the parser below reads as the grammar does.
class Scanner {
public:
    explicit Scanner(std::string_view text) noexcept : text_(text) {}

    bool at_end() const noexcept { return pos_ == text_.size(); }

    // Exactly `count` ASCII digits.
    bool digits(std::size_t count, int& out) noexcept {
        if (text_.size() - pos_ < count) return false;
        int value = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const char c = text_[pos_ + i];
            if (c < '0' || c > '9') return false;
            value = value * 10 + (c - '0');
        }
        pos_ += count;
        out = value;
        return true;
    }

    bool literal(char c) noexcept {
        if (at_end() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }

    // One of `choices`; `out` receives the one found.
    bool one_of(std::string_view choices, char& out) noexcept {
        if (at_end() || choices.find(text_[pos_]) == std::string_view::npos) return false;
        out = text_[pos_++];
        return true;
    }

    // time-secfrac = "." 1*DIGIT. Digits past nanoseconds are read and dropped.
    bool fraction(nanoseconds& out) noexcept {
        if (!literal('.')) return true;  // optional
        std::int64_t ns = 0;
        std::size_t count = 0;
        while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            if (count < 9) ns = ns * 10 + (text_[pos_] - '0');
            ++count;
            ++pos_;
        }
        if (count == 0) return false;
        for (std::size_t i = count; i < 9; ++i) ns *= 10;
        out = nanoseconds(ns);
        return true;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

// full-date = date-fullyear "-" date-month "-" date-mday, a valid date of that year.
bool parse_full_date(Scanner& in, year_month_day& out) noexcept {
    int y = 0, mo = 0, d = 0;
    if (!(in.digits(4, y) && in.literal('-') && in.digits(2, mo) && in.literal('-') && in.digits(2, d))) return false;
    out = year_month_day{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    return out.ok();
}

// time-offset = "Z" / ("+" / "-") hh ":" mm. Returns the offset to subtract from local time.
bool parse_offset(Scanner& in, seconds& offset) noexcept {
    char sign = 0;
    if (!in.one_of("Zz+-", sign)) return false;
    if (sign == 'Z' || sign == 'z') {
        offset = seconds(0);
        return true;
    }
    int hh = 0;
    int mm = 0;
    if (!in.digits(2, hh) || !in.literal(':') || !in.digits(2, mm)) return false;
    if (hh > 23 || mm > 59) return false;
    offset = hours(hh) + minutes(mm);
    if (sign == '-') offset = -offset;
    return true;
}

// A valid date that WallTime cannot represent (year 1500, 9999) is reported like a malformed
// one rather than overflowing the clock.
std::optional<WallTime> to_wall_time(sys_seconds utc, nanoseconds fraction) noexcept {
    constexpr auto lo = ceil<seconds>(WallTime::min().time_since_epoch());
    constexpr auto hi = floor<seconds>(WallTime::max().time_since_epoch());
    if (utc.time_since_epoch() < lo || utc.time_since_epoch() > hi) return std::nullopt;
    const auto whole = time_point_cast<WallTime::duration>(utc);
    const auto part = duration_cast<WallTime::duration>(fraction);
    if (whole.time_since_epoch() > WallTime::duration::max() - part) return std::nullopt;
    return whole + part;
}

}  // namespace

std::string format_rfc3339(WallTime t) {
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    // WallTime spans years 1677..2262, so four digits always suffice.
    std::array<char, 32> buf{};
    const int n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02dZ",
                                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                                static_cast<int>(hms.minutes().count()),
                                static_cast<int>(hms.seconds().count()));
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::optional<OffsetTime> parse_rfc3339_offset(std::string_view text) {
    Scanner in(text);
    year_month_day date;
    int h = 0, mi = 0, s = 0;
    char separator = 0;
    nanoseconds fraction{0};
    seconds offset{0};
    // RFC 3339 §5.6; §5.6 NOTE allows a lower-case "t" and "z".
    const bool shaped = parse_full_date(in, date) && in.one_of("Tt", separator) && in.digits(2, h) &&
                        in.literal(':') && in.digits(2, mi) && in.literal(':') && in.digits(2, s) &&
                        in.fraction(fraction) && parse_offset(in, offset) && in.at_end();
    // Second 60 is a leap second (§5.7); POSIX time has none, so it reads as the next second's
    // start, which is what timegm would make of it too.
    if (!shaped || h > 23 || mi > 59 || s > 60) return std::nullopt;

    const auto utc = to_wall_time(sys_days{date} + hours(h) + minutes(mi) + seconds(s) - offset, fraction);
    if (!utc) return std::nullopt;
    return OffsetTime{*utc, duration_cast<minutes>(offset)};
}

std::optional<WallTime> parse_rfc3339(std::string_view text) {
    auto t = parse_rfc3339_offset(text);
    if (!t) return std::nullopt;
    return t->utc;
}

std::optional<year_month_day> parse_date(std::string_view text) {
    Scanner in(text);
    year_month_day date;
    if (!parse_full_date(in, date) || !in.at_end()) return std::nullopt;
    return date;
}

std::string format_date(year_month_day date) {
    const int y = static_cast<int>(date.year());
    if (!date.ok() || y < 0 || y > 9999) throw InvalidArgumentError("not a date of years 0..9999");
    std::array<char, 16> buf{};
    const int n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u", y, static_cast<unsigned>(date.month()),
                                static_cast<unsigned>(date.day()));
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace calbridge
