#include "call/retry_after.hpp"

#include "call/http_date.hpp"

#include <algorithm>
#include <cstdint>

namespace calbridge::detail {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, WallTime now) {
    value = trimmed(value);
    if (all_digits(value)) {
        // delta-seconds = 1*DIGIT, of any length: stop counting once past the clamp.
        std::int64_t seconds = 0;
        for (char c : value) {
            seconds = seconds * 10 + (c - '0');
            if (seconds >= max_retry_after.count()) return max_retry_after;
        }
        return std::chrono::seconds(seconds);
    }
    const auto date = parse_http_date(value, now);
    if (!date) return std::nullopt;
    if (*date <= now) return std::chrono::seconds(0);
    // Round up: waiting a fraction of a second too little would only earn another 429.
    const auto wait = std::chrono::ceil<std::chrono::seconds>(*date - now);
    return std::min(wait, max_retry_after);
}

}  // namespace calbridge::detail
