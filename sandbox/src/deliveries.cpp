#include "deliveries.hpp"

#include "uri.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace calbridge::sandbox {

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

}  // namespace

int http_post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
              const std::string& body, std::chrono::milliseconds timeout, std::string& error) {
    auto u = parse_absolute_uri_from_outside(url);
    if (!u || u->scheme() != "http") {
        error = "only plain http callbacks are delivered by the sandbox";
        return 0;
    }
    std::string host = u->host();
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    const std::string port = u->has_port() ? std::string(u->port()) : "80";
    std::string target = std::string(u->encoded_path());
    if (target.empty()) target = "/";
    if (u->has_query()) target += "?" + std::string(u->encoded_query());

    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
        error = "cannot resolve the callback host";
        return 0;
    }
    std::string last_error = "cannot connect";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (s.fd() < 0) continue;
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
        ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(s.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) != 0) {
            last_error = std::string("connect: ") + std::strerror(errno);
            continue;
        }
        ::freeaddrinfo(found);
        found = nullptr;
        std::string request = "POST " + target + " HTTP/1.1\r\nHost: " + std::string(u->encoded_host_and_port()) +
                              "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\nUser-Agent: calbridge-sandbox\r\n";
        for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
        request += "\r\n";
        request += body;
        std::size_t sent = 0;
        while (sent < request.size()) {
            const ssize_t n = ::send(s.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) {
                error = "send failed";
                return 0;
            }
            sent += static_cast<std::size_t>(n);
        }
        // The status line is all we need.
        std::string reply;
        char buf[1024];
        while (reply.find("\r\n") == std::string::npos && reply.size() < 8192) {
            const ssize_t n = ::recv(s.fd(), buf, sizeof buf, 0);
            if (n <= 0) break;
            reply.append(buf, static_cast<std::size_t>(n));
        }
        if (reply.rfind("HTTP/1.", 0) != 0 || reply.size() < 12) {
            error = reply.empty() ? "no response (closed or timed out)" : "not an HTTP response";
            return 0;
        }
        const int status = std::atoi(reply.substr(9, 3).c_str());
        if (status < 100 || status > 599) {
            error = "not an HTTP status";
            return 0;
        }
        return status;
    }
    if (found != nullptr) ::freeaddrinfo(found);
    error = last_error;
    return 0;
}

Deliveries::Deliveries() : sender_([this] { run(); }) {}

Deliveries::~Deliveries() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    sender_.join();
}

void Deliveries::enqueue(std::string channel_id, std::string url, std::string type, std::string body,
                         std::string signature) {
    {
        std::lock_guard lock(mutex_);
        DeliveryRecord r;
        r.id = next_id_++;
        r.channel_id = std::move(channel_id);
        r.url = std::move(url);
        r.type = std::move(type);
        r.status = "pending";
        r.body = std::move(body);
        r.signature = std::move(signature);
        queue_.push_back({r.id, std::chrono::steady_clock::now()});
        log_.push_back(std::move(r));
        if (log_.size() > max_log) {  // forget the oldest finished deliveries
            const auto finished = std::find_if(log_.begin(), log_.end(),
                                               [](const DeliveryRecord& d) { return d.status != "pending"; });
            if (finished != log_.end()) log_.erase(finished);
        }
    }
    wake_.notify_all();
}

std::vector<DeliveryRecord> Deliveries::list() const {
    std::lock_guard lock(mutex_);
    return log_;
}

std::vector<DeliveryRecord> Deliveries::wait_settled(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    settled_.wait_for(lock, timeout, [&] {
        return log_.size() >= count &&
               std::none_of(log_.begin(), log_.end(), [](const DeliveryRecord& d) { return d.status == "pending"; });
    });
    return log_;
}

void Deliveries::clear() {
    {
        std::lock_guard lock(mutex_);
        log_.clear();
        queue_.clear();
    }
    settled_.notify_all();
}

void Deliveries::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (queue_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const auto next = std::min_element(queue_.begin(), queue_.end(),
                                           [](const Pending& a, const Pending& b) { return a.due < b.due; });
        if (next->due > std::chrono::steady_clock::now()) {
            wake_.wait_until(lock, next->due);
            continue;
        }
        const std::uint64_t id = next->id;
        queue_.erase(next);
        auto find = [&]() -> DeliveryRecord* {
            const auto it = std::find_if(log_.begin(), log_.end(), [&](const DeliveryRecord& r) { return r.id == id; });
            return it == log_.end() ? nullptr : &*it;
        };
        DeliveryRecord* record = find();
        if (record == nullptr) continue;
        const std::string url = record->url;
        const std::string body = record->body;
        const std::vector<std::pair<std::string, std::string>> headers{{"Cronofy-HMAC-SHA256", record->signature}};
        lock.unlock();
        DeliveryAttempt attempt;
        attempt.at_ms = now_ms();
        attempt.response_status = http_post(url, headers, body, attempt_timeout, attempt.error);
        if (attempt.response_status != 0 && (attempt.response_status < 200 || attempt.response_status > 299)) {
            attempt.error = "the callback answered " + std::to_string(attempt.response_status);
        }
        const bool https = url.rfind("https:", 0) == 0;
        lock.lock();
        record = find();  // the log may have been cleared meanwhile
        if (record == nullptr) continue;
        record->attempts.push_back(attempt);
        record->response_status = attempt.response_status;
        const int tries = static_cast<int>(record->attempts.size());
        if (attempt.response_status >= 200 && attempt.response_status <= 299) {
            record->status = "delivered";
            settled_.notify_all();
        } else if (tries >= max_attempts || https) {
            record->status = "failed";
            settled_.notify_all();
        } else {
            queue_.push_back({id, std::chrono::steady_clock::now() + first_backoff * (1 << (tries - 1))});
        }
    }
}

}  // namespace calbridge::sandbox
