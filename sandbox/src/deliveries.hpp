// Push deliveries: a sender thread POSTs each notification to its callback URL, retrying
// failures with backoff, and keeps a log of every attempt (GET /admin/deliveries). Requests
// that cause a notification only enqueue it; they never wait for the callback.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace calbridge::sandbox {

struct DeliveryAttempt {
    std::int64_t at_ms = 0;    // Unix milliseconds (real time)
    int response_status = 0;   // 0: no HTTP response
    std::string error;         // why there was no 2xx, if any
};

struct DeliveryRecord {
    std::uint64_t id = 0;
    std::string channel_id;
    std::string url;
    std::string type;    // verification, change, profile_disconnected
    std::string status;  // pending, delivered, failed
    std::string body;    // the exact bytes sent
    std::string signature;  // the Cronofy-HMAC-SHA256 header sent
    std::vector<DeliveryAttempt> attempts;
    int response_status = 0;  // of the last attempt
};

class Deliveries {
public:
    static constexpr int max_attempts = 4;
    static constexpr std::chrono::milliseconds first_backoff{200};  // then doubled
    static constexpr std::chrono::milliseconds attempt_timeout{2000};
    static constexpr std::size_t max_log = 10000;  // beyond it the oldest finished records go

    Deliveries();
    ~Deliveries();
    Deliveries(const Deliveries&) = delete;
    Deliveries& operator=(const Deliveries&) = delete;

    void enqueue(std::string channel_id, std::string url, std::string type, std::string body, std::string signature);
    std::vector<DeliveryRecord> list() const;
    // The log once it holds at least `count` deliveries and none is pending, or as it is when
    // `timeout` passes first (the caller checks): a test waits on this event, not on a poll.
    std::vector<DeliveryRecord> wait_settled(std::size_t count, std::chrono::milliseconds timeout) const;
    void clear();  // the log and anything not yet delivered

private:
    struct Pending {
        std::uint64_t id;
        std::chrono::steady_clock::time_point due;
    };
    void run();

    mutable std::mutex mutex_;
    std::condition_variable wake_;              // the sender: something to send
    mutable std::condition_variable settled_;   // wait_settled: a delivery finished, or the log changed
    std::vector<DeliveryRecord> log_;
    std::deque<Pending> queue_;
    std::uint64_t next_id_ = 1;
    bool stopping_ = false;
    std::thread sender_;
};

// One HTTP/1.1 POST to a plain-http URL; the response status, or 0 with `error` set.
int http_post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
              const std::string& body, std::chrono::milliseconds timeout, std::string& error);

}  // namespace calbridge::sandbox
