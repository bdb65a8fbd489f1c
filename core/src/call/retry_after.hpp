// Retry-After (RFC 9110 §10.2.3). Internal to the core.
#pragma once

#include <calbridge/clock.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace calbridge::detail {

// The longest wait a Retry-After is believed for; larger values are clamped to it.
inline constexpr std::chrono::seconds max_retry_after{std::chrono::hours(24)};

// How long to wait, from `now`: delta-seconds ("120"), or an HTTP date in any of the three
// formats (a date in the past means no wait). std::nullopt when the value is unreadable, which
// callers treat as no Retry-After at all.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, WallTime now);

}  // namespace calbridge::detail
