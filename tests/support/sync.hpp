// Small synchronisation helpers for tests that force an overlap: wait until N threads have
// reached a point, or until a gate opens. Every wait has a timeout, so a broken overlap fails a
// test instead of hanging it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace calbridge::testing {

// Long enough for a loaded machine under a sanitizer; reached only when a test is failing.
inline constexpr std::chrono::seconds sync_timeout{30};

// Counts arrivals; wait_for(n) blocks until n have arrived.
class Counter {
public:
    void arrive() {
        {
            std::lock_guard lock(mutex_);
            ++count_;
        }
        cv_.notify_all();
    }

    bool wait_for(std::size_t n, std::chrono::milliseconds timeout = sync_timeout) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
    }

    std::size_t count() const {
        std::lock_guard lock(mutex_);
        return count_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::size_t count_ = 0;
};

// Closed until open(); wait() blocks until then.
class Gate {
public:
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        cv_.notify_all();
    }

    bool wait(std::chrono::milliseconds timeout = sync_timeout) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

}  // namespace calbridge::testing
