#include "rate_limit.hpp"

namespace calbridge::sandbox {

std::optional<int> RateLimiter::admit(std::string_view key, const RateLimit& limit, Clock::time_point now) {
    if (!limit.enabled()) return std::nullopt;
    const std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::int64_t second = ms / 1000;
    const std::int64_t minute = ms / 60000;

    std::lock_guard lock(mutex_);
    Windows& w = windows_[std::string(key)];
    if (w.second != second) {
        w.second = second;
        w.in_second = 0;
    }
    if (w.minute != minute) {
        w.minute = minute;
        w.in_minute = 0;
    }
    if (limit.per_minute > 0 && w.in_minute >= limit.per_minute) {
        const std::int64_t left_ms = (minute + 1) * 60000 - ms;
        return static_cast<int>((left_ms + 999) / 1000);
    }
    if (limit.per_second > 0 && w.in_second >= limit.per_second) return 1;
    ++w.in_second;
    ++w.in_minute;
    return std::nullopt;
}

void RateLimiter::clear() {
    std::lock_guard lock(mutex_);
    windows_.clear();
}

}  // namespace calbridge::sandbox
