// Per-application request counting in fixed one-second and one-minute windows (the published
// limit is 50 requests/s and 500 requests/min per application).
#pragma once

#include "settings.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace calbridge::sandbox {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // Counts a request of `key` (a client id) and admits it, or returns the seconds to wait
    // (for Retry-After) without counting it.
    std::optional<int> admit(std::string_view key, const RateLimit& limit, Clock::time_point now = Clock::now());
    void clear();

private:
    struct Windows {
        std::int64_t second = -1;
        int in_second = 0;
        std::int64_t minute = -1;
        int in_minute = 0;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Windows> windows_;
};

}  // namespace calbridge::sandbox
