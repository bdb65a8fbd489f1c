// Wall-clock times as the API writes them: RFC 3339 in UTC ("2025-03-01T09:00:00Z") and
// dates ("2025-03-01"). Seconds since the Unix epoch inside.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace calbridge::sandbox {

std::int64_t to_unix(std::chrono::system_clock::time_point t);

std::string format_rfc3339(std::int64_t unix_seconds);  // "YYYY-MM-DDTHH:MM:SSZ"
std::string format_date(std::int64_t unix_seconds);     // "YYYY-MM-DD" (UTC)
std::string format_http_date(std::int64_t unix_seconds);  // IMF-fixdate, RFC 9110 §5.6.7

// "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)"; a time without an offset is refused.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
// "YYYY-MM-DD" at 00:00 UTC; refuses dates that do not exist (2025-02-30).
std::optional<std::int64_t> parse_date(std::string_view text);

inline constexpr std::int64_t seconds_per_day = 86400;

}  // namespace calbridge::sandbox
