// The sandbox's wall clock, which the admin API can move forward so that tests see codes,
// tokens and pages expire without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace calbridge::sandbox {

class Clock {
public:
    std::int64_t now() const noexcept {  // Unix seconds
        const auto real = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
        return real + offset_.load(std::memory_order_relaxed);
    }
    std::int64_t advance(std::int64_t seconds) noexcept {
        return offset_.fetch_add(seconds, std::memory_order_relaxed) + seconds;
    }
    std::int64_t offset() const noexcept { return offset_.load(std::memory_order_relaxed); }
    void reset() noexcept { offset_.store(0, std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> offset_{0};
};

}  // namespace calbridge::sandbox
