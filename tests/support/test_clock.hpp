// A wall clock and a steady clock that move only when a test says so, and a waiter that, instead
// of sleeping, moves both clocks to the end of the wait and records it. Thread-safe. Give its
// functions to a Client (ClientDependencies) that it outlives.
#pragma once

#include <calbridge/clock.hpp>
#include <calbridge/transport.hpp>

#include <chrono>
#include <mutex>
#include <vector>

namespace calbridge::testing {

class TestClock {
public:
    // 2026-11-28T00:00:00Z: any fixed time will do; this one is easy to read in failures.
    static constexpr WallTime default_start =
        WallTime(std::chrono::sys_days{std::chrono::year{2026} / 11 / 28}.time_since_epoch());

    explicit TestClock(WallTime start = default_start) : wall_(start) {}

    WallTime wall() const {
        std::lock_guard lock(mutex_);
        return wall_;
    }
    SteadyTime steady() const {
        std::lock_guard lock(mutex_);
        return steady_;
    }
    void advance(std::chrono::nanoseconds d) {
        std::lock_guard lock(mutex_);
        wall_ += std::chrono::duration_cast<WallTime::duration>(d);
        steady_ += std::chrono::duration_cast<SteadyTime::duration>(d);
    }

    WallClock wall_clock() {
        return [this] { return wall(); };
    }
    SteadyClock steady_clock() {
        return [this] { return steady(); };
    }
    // Returns at once: cancelled (true) if the token already is; otherwise the clocks jump to
    // `until` and the wait is recorded.
    Waiter waiter() {
        return [this](SteadyTime until, CancellationToken* cancel) {
            if (cancel != nullptr && cancel->is_cancelled()) return true;
            std::lock_guard lock(mutex_);
            const auto wait = until - steady_;
            waits_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(wait));
            if (wait > SteadyTime::duration::zero()) {
                steady_ = until;
                wall_ += std::chrono::duration_cast<WallTime::duration>(wait);
            }
            return false;
        };
    }

    std::vector<std::chrono::milliseconds> waits() const {
        std::lock_guard lock(mutex_);
        return waits_;
    }

private:
    mutable std::mutex mutex_;
    WallTime wall_;
    SteadyTime steady_{std::chrono::hours(1)};  // not zero: a zero time point hides bugs
    std::vector<std::chrono::milliseconds> waits_;
};

}  // namespace calbridge::testing
