// HTTP dates (RFC 9110 §5.6.7), for Retry-After. Internal to the core.
#pragma once

#include <calbridge/clock.hpp>

#include <optional>
#include <string_view>

namespace calbridge::detail {

// Reads any of the three formats a recipient must accept:
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"   (the one senders use)
//   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"  (obsolete; two-digit year)
//   asctime      "Sun Nov  6 08:49:37 1994"        (obsolete)
// `now` places RFC 850's two-digit year: a year more than 50 years in the future is read as
// the most recent past year with those digits (RFC 9110). std::nullopt when malformed, and for
// a date WallTime cannot hold (before 1678 or after 2261).
std::optional<WallTime> parse_http_date(std::string_view text, WallTime now);

}  // namespace calbridge::detail
