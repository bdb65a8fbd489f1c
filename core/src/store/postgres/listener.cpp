#include "store/postgres/listener.hpp"

#include <algorithm>
#include <new>
#include <utility>

namespace calbridge::detail::pg {

namespace {
// After a failed connection or a broken one, waits only time out for this long.
constexpr std::chrono::seconds reconnect_pause{1};
}  // namespace

Listener::Listener(ConnectSettings settings, std::string channel, std::string listen_sql)
    : settings_(std::move(settings)),
      channel_(std::move(channel)),
      listen_sql_(std::move(listen_sql)),
      generation_(http::fork_generation()),
      fork_guard_(mutex_, &Listener::after_fork_in_child, this) {}

Listener::~Listener() {
    if (connection_ && generation_ != http::fork_generation()) {
        Connection::abandon_after_fork(connection_.release());
    }
}

void Listener::after_fork_in_child(void* self) {
    // The parent's waiters are not in the child: nobody owns the socket (the owner's thread
    // held the connection, which the child never sees again), and the condition variable is
    // made anew in place for the reason the connection pool gives.
    auto* listener = static_cast<Listener*>(self);
    listener->polling_ = false;
    new (&listener->heard_) std::condition_variable();
}

void Listener::check_fork_locked() {
    if (generation_ == http::fork_generation()) return;
    generation_ = http::fork_generation();
    if (connection_) Connection::abandon_after_fork(connection_.release());
    watches_.clear();  // the parent's waiters'
    retry_at_ = {};
}

// Never throws: the caller owns the socket until it returns, and must get it back.
Listener::Heard Listener::listen_once(std::unique_ptr<Connection>& connection, Clock::time_point deadline) noexcept {
    Heard heard;
    try {
        if (!connection) {
            connection = Connection::open(settings_, deadline);
            connection->execute(listen_sql_, {}, deadline);
            heard.connected = true;
            return heard;
        }
        if (!connection->wait_readable(deadline)) return heard;
        if (!connection->consume_input()) throw Failure(FailureKind::lost, "the listener's connection broke");
        for (auto& [channel, payload] : connection->take_notifications()) {
            if (channel == channel_) heard.accounts.push_back(std::move(payload));
        }
    } catch (...) {
        connection.reset();
        heard = Heard{};
        heard.broken = true;
    }
    return heard;
}

bool Listener::wait(std::string_view account, Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    check_fork_locked();
    last_wait_ = Clock::now();
    const auto watch = watches_.try_emplace(std::string(account)).first;
    ++watch->second.waiters;
    const std::uint64_t seen = watch->second.notified;
    struct Leave {
        std::unordered_map<std::string, Watch>& watches;
        std::unordered_map<std::string, Watch>::iterator watch;
        ~Leave() {
            if (--watch->second.waiters == 0) watches.erase(watch);
        }
    } leave{watches_, watch};  // runs with the lock held: declared after it

    while (watch->second.notified == seen) {
        const auto now = Clock::now();
        if (now >= deadline) return false;
        if (polling_) {
            heard_.wait_until(lock, deadline);
            continue;
        }
        if (!connection_ && now < retry_at_) {
            heard_.wait_until(lock, std::min(deadline, retry_at_));
            continue;
        }
        polling_ = true;
        std::unique_ptr<Connection> connection = std::move(connection_);
        lock.unlock();
        Heard heard = listen_once(connection, deadline);
        lock.lock();
        polling_ = false;
        connection_ = std::move(connection);
        if (heard.broken) retry_at_ = Clock::now() + reconnect_pause;
        if (heard.connected) {
            for (auto& [name, w] : watches_) ++w.notified;
        }
        for (const auto& name : heard.accounts) {
            if (const auto it = watches_.find(name); it != watches_.end()) ++it->second.notified;
        }
        heard_.notify_all();
    }
    return true;
}

void Listener::close_if_unused(Clock::duration idle) noexcept {
    std::unique_ptr<Connection> closing;
    {
        std::unique_lock lock(mutex_, std::try_to_lock);
        if (!lock.owns_lock() || polling_ || !connection_ || !watches_.empty()) return;
        if (generation_ != http::fork_generation()) return;  // the next wait() abandons it
        if (Clock::now() - last_wait_ < idle) return;
        closing = std::move(connection_);
    }
}

}  // namespace calbridge::detail::pg
