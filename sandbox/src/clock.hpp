// The sandbox's wall clock, which the admin API can move forward so that tests see codes,
// tokens and pages expire without sleeping, and can stop, so that a test of an expiry
// boundary ("valid one second before, expired at") does not race the real second ticking
// over between two of its requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace calbridge::sandbox {

class Clock {
public:
    std::int64_t now() const {  // Unix seconds
        std::lock_guard lock(mutex_);
        return (stopped_at_ ? *stopped_at_ : real_now()) + offset_;
    }
    std::int64_t advance(std::int64_t seconds) {
        std::lock_guard lock(mutex_);
        offset_ += seconds;
        return offset_;
    }
    // Stops the clock at its current reading (a no-op when stopped); only advance() moves it then.
    void stop() {
        std::lock_guard lock(mutex_);
        if (!stopped_at_) stopped_at_ = real_now();
    }
    // Lets the clock run again from the reading it stopped at: the time it stood still is
    // taken out of the offset, so the clock never jumps (a no-op when running).
    void start() {
        std::lock_guard lock(mutex_);
        if (!stopped_at_) return;
        offset_ += *stopped_at_ - real_now();
        stopped_at_.reset();
    }
    bool stopped() const {
        std::lock_guard lock(mutex_);
        return stopped_at_.has_value();
    }
    std::int64_t offset() const {  // seconds ahead of the real clock (negative while it stood still)
        std::lock_guard lock(mutex_);
        return offset_;
    }
    void reset() {
        std::lock_guard lock(mutex_);
        offset_ = 0;
        stopped_at_.reset();
    }

private:
    static std::int64_t real_now() noexcept {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    mutable std::mutex mutex_;
    std::int64_t offset_ = 0;
    std::optional<std::int64_t> stopped_at_;  // the real time the clock stopped at
};

}  // namespace calbridge::sandbox
