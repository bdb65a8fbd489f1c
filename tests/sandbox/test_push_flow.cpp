// Push notifications end to end, over real TLS, against a freshly started calbridge-sandbox
// (the C++ side of tests/python/test_push_e2e.py): a channel pointing at a loopback HTTP
// receiver in this process, the signed verification and change pushes verified with the
// client secret, the change read back with last_modified = changes_since, a tampered body and
// a wrong secret refused, the channel listed and closed.
#include "sandbox_fixture.hpp"
#include "support/catch.hpp"

#include <calbridge/client.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/push.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

using namespace calbridge;
using calbridge::test::SandboxProcess;
using namespace std::chrono_literals;

namespace {

constexpr auto push_deadline = 30s;  // generous: sanitizer builds on a loaded machine

using Fixture = calbridge::test::SandboxFixture;

// One push as received: the signature header's value (empty when absent) and the raw body.
struct ReceivedPush {
    std::string signature;
    std::string body;
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A loopback HTTP/1.1 receiver on 127.0.0.1, port chosen by the kernel. One thread accepts
// connections one at a time, reads one request (headers, then Content-Length bytes of body),
// answers 202 with an empty body and closes; each request is handed to the test through a
// queue. The thread waits in poll() on the listening socket and a pipe the destructor writes
// to, so stopping needs no timeouts.
class PushReceiver {
public:
    PushReceiver() {
        if (::pipe(stop_pipe_) != 0) throw std::runtime_error("pipe failed");
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd_ < 0) throw std::runtime_error("socket failed");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_fd_, 16) != 0) {
            throw std::runtime_error("bind/listen failed");
        }
        socklen_t len = sizeof addr;
        if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            throw std::runtime_error("getsockname failed");
        }
        url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/push";
        thread_ = std::thread([this] { run(); });
    }

    ~PushReceiver() {
        const char stop = 's';
        [[maybe_unused]] const auto written = ::write(stop_pipe_[1], &stop, 1);
        thread_.join();
        ::close(listen_fd_);
        ::close(stop_pipe_[0]);
        ::close(stop_pipe_[1]);
    }

    PushReceiver(const PushReceiver&) = delete;
    PushReceiver& operator=(const PushReceiver&) = delete;

    const std::string& url() const { return url_; }

    // The next push, or nothing when none arrives within `timeout`.
    std::optional<ReceivedPush> next(std::chrono::steady_clock::duration timeout) {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, timeout, [&] { return !pushes_.empty(); })) return std::nullopt;
        ReceivedPush p = std::move(pushes_.front());
        pushes_.pop_front();
        return p;
    }

private:
    void run() {
        for (;;) {
            pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (fds[1].revents != 0) return;
            if ((fds[0].revents & POLLIN) == 0) continue;
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            timeval tv{10, 0};  // a peer that stops mid-request cannot hold the thread forever
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            auto push = read_request(fd);
            if (push) {
                static constexpr std::string_view reply =
                    "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                std::size_t sent = 0;
                while (sent < reply.size()) {
                    const auto n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
                    if (n <= 0) break;
                    sent += static_cast<std::size_t>(n);
                }
            }
            ::close(fd);
            if (push) {
                {
                    std::lock_guard lock(mutex_);
                    pushes_.push_back(std::move(*push));
                }
                cv_.notify_all();
            }
        }
    }

    static std::optional<ReceivedPush> read_request(int fd) {
        constexpr std::size_t max_head = 64 * 1024;
        constexpr std::size_t max_body = 1024 * 1024;
        std::string data;
        char buf[4096];
        std::size_t head_end = std::string::npos;
        while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
            if (data.size() > max_head) return std::nullopt;
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return std::nullopt;
            data.append(buf, static_cast<std::size_t>(n));
        }
        const std::string_view head(data.data(), head_end);
        ReceivedPush push;
        std::optional<std::size_t> content_length;
        std::size_t line_start = head.find("\r\n");  // skip the request line
        while (line_start != std::string_view::npos) {
            line_start += 2;
            const std::size_t line_end = head.find("\r\n", line_start);
            const std::string_view line =
                head.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos : line_end - line_start);
            if (const auto colon = line.find(':'); colon != std::string_view::npos) {
                const std::string_view name = trim(line.substr(0, colon));
                const std::string_view value = trim(line.substr(colon + 1));
                if (iequals(name, push_signature_header)) push.signature = std::string(value);
                if (iequals(name, "Content-Length")) {
                    try {
                        content_length = std::stoul(std::string(value));
                    } catch (const std::exception&) {
                        return std::nullopt;
                    }
                }
            }
            line_start = line_end;
        }
        if (!content_length || *content_length > max_body) return std::nullopt;
        push.body = data.substr(head_end + 4);
        while (push.body.size() < *content_length) {
            const auto n = ::recv(fd, buf, std::min(sizeof buf, *content_length - push.body.size()), 0);
            if (n <= 0) return std::nullopt;
            push.body.append(buf, static_cast<std::size_t>(n));
        }
        push.body.resize(*content_length);
        return push;
    }

    int listen_fd_ = -1;
    int stop_pipe_[2] = {-1, -1};
    std::string url_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<ReceivedPush> pushes_;
    std::thread thread_;
};

// The next push of `type`, verified with `secret` (pushes of other types are verified and
// skipped). FAILs when none arrives within push_deadline.
std::pair<ReceivedPush, PushNotification> next_push(PushReceiver& receiver, const Secret& secret, PushType type) {
    const auto deadline = std::chrono::steady_clock::now() + push_deadline;
    for (;;) {
        const auto left = deadline - std::chrono::steady_clock::now();
        auto push = receiver.next(std::max(left, std::chrono::steady_clock::duration::zero()));
        if (!push) FAIL("no " << push_type_name(type) << " push within the deadline");
        PushNotification n = verify_and_parse_push(push->signature, push->body, secret);
        if (n.type == type) return {std::move(*push), std::move(n)};
    }
}

}  // namespace

TEST_CASE("push: a channel's verification and change pushes verified then the change read back") {
    Fixture f;
    PushReceiver receiver;
    const Secret secret(f.sandbox.client_secret);
    const Credentials creds = f.connect();
    const Session session = f.client.session(creds.account_key());

    const Channel channel = session.create_channel(receiver.url());
    REQUIRE_FALSE(channel.channel_id.empty());
    CHECK(channel.callback_url == receiver.url());

    const auto [verification_push, verification] = next_push(receiver, secret, PushType::verification);
    CHECK(verification.type_name == "verification");
    REQUIRE(verification.channel);
    CHECK(verification.channel->channel_id == channel.channel_id);

    NewEvent e;
    e.event_id = "push-e2e";
    e.summary = "Pushed";
    e.description = "-";
    e.start = EventTime::parse("2026-12-10T09:00:00Z");
    e.end = EventTime::parse("2026-12-10T10:00:00Z");
    session.upsert_event("cal_sandbox_primary", e);

    const auto [change_push, change] = next_push(receiver, secret, PushType::change);
    REQUIRE(change.channel);
    CHECK(change.channel->channel_id == channel.channel_id);
    REQUIRE(change.changes_since);

    EventsQuery q;
    q.from = std::chrono::year{2026} / 12 / 1;
    q.to = std::chrono::year{2026} / 12 / 31;
    q.last_modified = std::chrono::floor<std::chrono::seconds>(*change.changes_since);
    q.include_managed = true;  // the events this application wrote are "managed"
    std::vector<std::string> ids;
    for (const Event& ev : session.events(q).all()) ids.push_back(ev.event_id);
    CAPTURE(ids);
    CHECK(std::find(ids.begin(), ids.end(), "push-e2e") != ids.end());

    // The same push, its body changed by one byte, and the real body with a wrong secret.
    std::string tampered = change_push.body;
    REQUIRE_FALSE(tampered.empty());
    tampered[tampered.size() / 2] = static_cast<char>(tampered[tampered.size() / 2] ^ 0x01);
    CHECK_THROWS_AS(verify_and_parse_push(change_push.signature, tampered, secret), InvalidSignatureError);
    const Secret wrong("wrong-secret-0123456789-wrong");
    CHECK_THROWS_AS(verify_and_parse_push(change_push.signature, change_push.body, wrong), InvalidSignatureError);

    const auto listed = session.list_channels();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].channel_id == channel.channel_id);
    session.close_channel(channel.channel_id);
    CHECK(session.list_channels().empty());
}
