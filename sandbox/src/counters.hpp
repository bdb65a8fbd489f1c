// What the sandbox counts (GET /admin/counters). Lock-free: the server and the router update
// them on every request. A test can wait for what is open or in flight to reach a value
// (wait_until): the changes to those wake its waiters, and cost one relaxed load when no one
// waits.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace calbridge::sandbox {

struct Counters {
    using Count = std::atomic<std::uint64_t>;

    Count requests{0};          // complete requests read
    Count in_flight{0};         // read, response not yet written
    Count in_flight_peak{0};
    Count connections_open{0};
    Count connections_accepted{0};
    Count tls_handshake_failures{0};
    Count timeouts{0};          // connections closed for a silent or slow peer
    Count bad_requests{0};      // unparseable, oversized: answered by the server itself
    Count token_authorization_code{0};
    Count token_refresh_token{0};
    Count token_other{0};       // missing or unsupported grant_type
    Count revocations{0};
    Count rate_limited{0};
    Count faults_applied{0};
    Count responses_2xx{0};
    Count responses_3xx{0};
    Count responses_4xx{0};
    Count responses_5xx{0};

    void request_started() noexcept {
        requests.fetch_add(1, std::memory_order_relaxed);
        const std::uint64_t now = in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
        std::uint64_t peak = in_flight_peak.load(std::memory_order_relaxed);
        while (now > peak && !in_flight_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
        }
        changed();
    }
    void request_finished() noexcept {
        in_flight.fetch_sub(1, std::memory_order_relaxed);
        changed();
    }
    void connection_opened() noexcept {
        connections_open.fetch_add(1, std::memory_order_relaxed);
        connections_accepted.fetch_add(1, std::memory_order_relaxed);
        changed();
    }
    void connection_closed() noexcept {
        connections_open.fetch_sub(1, std::memory_order_relaxed);
        changed();
    }

    // Waits until `done()` (which reads these counters) holds, or `timeout` passed; true when
    // it holds.
    template <class Predicate>
    bool wait_until(Predicate done, std::chrono::milliseconds timeout) {
        // Announced before the first look, with a full fence on both sides (here and in
        // changed()): either this waiter sees the change, or the changer sees the waiter.
        watchers_.fetch_add(1, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        bool met = false;
        {
            std::unique_lock lock(watch_mutex_);
            met = changes_.wait_for(lock, timeout, done);
        }
        watchers_.fetch_sub(1, std::memory_order_relaxed);
        return met;
    }

    void count_status(int status) noexcept {
        if (status < 300) responses_2xx.fetch_add(1, std::memory_order_relaxed);
        else if (status < 400) responses_3xx.fetch_add(1, std::memory_order_relaxed);
        else if (status < 500) responses_4xx.fetch_add(1, std::memory_order_relaxed);
        else responses_5xx.fetch_add(1, std::memory_order_relaxed);
    }

    // Zeroes the totals; what is open or in flight stays (the peak restarts from it).
    void reset() noexcept {
        for (Count* c : {&requests, &connections_accepted, &tls_handshake_failures, &timeouts, &bad_requests,
                         &token_authorization_code, &token_refresh_token, &token_other, &revocations,
                         &rate_limited, &faults_applied, &responses_2xx, &responses_3xx, &responses_4xx,
                         &responses_5xx}) {
            c->store(0, std::memory_order_relaxed);
        }
        in_flight_peak.store(in_flight.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }

private:
    void changed() noexcept {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (watchers_.load(std::memory_order_relaxed) == 0) return;
        { std::lock_guard lock(watch_mutex_); }  // a waiter between its look and its wait is now waiting
        changes_.notify_all();
    }

    std::atomic<int> watchers_{0};
    std::mutex watch_mutex_;
    std::condition_variable changes_;
};

}  // namespace calbridge::sandbox
