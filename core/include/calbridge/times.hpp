// The text forms of times and dates on the wire: RFC 3339 instants ("2026-11-28T09:00:00Z",
// "2026-11-28T10:00:00.5+01:00") and full dates ("2026-11-28", RFC 3339 full-date, the form of
// all-day events and of the events query's from/to). Pure functions: no time zone database, no
// locale, no allocation when reading.
#pragma once

#include <calbridge/clock.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace calbridge {

// RFC 3339 in UTC with a "Z" suffix, whole seconds (floored): "2026-11-28T01:02:03Z".
std::string format_rfc3339(WallTime t);
// Accepts "Z" (or "z") or a numeric offset, a "T" (or "t") between date and time, and
// fractional seconds (digits past nanoseconds are dropped). std::nullopt when malformed: a
// field out of range (month 13, February 30, hour 24), a missing part, anything after the
// offset, or a time WallTime cannot hold (before 1677 or after 2262).
std::optional<WallTime> parse_rfc3339(std::string_view text);

// An instant with the offset its text was written in: "2026-11-28T10:00:00+01:00" reads as
// 09:00 UTC with offset +60 min ("Z" and "-00:00" read as offset 0).
struct OffsetTime {
    WallTime utc;
    std::chrono::minutes offset{0};

    friend bool operator==(const OffsetTime&, const OffsetTime&) = default;
};

// Like parse_rfc3339, keeping the offset.
std::optional<OffsetTime> parse_rfc3339_offset(std::string_view text);

// "YYYY-MM-DD" (RFC 3339 full-date; a valid calendar date, leap years included). std::nullopt
// otherwise.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);
// "YYYY-MM-DD" for years 0..9999; InvalidArgumentError for an invalid date or another year.
std::string format_date(std::chrono::year_month_day date);

}  // namespace calbridge
