// The PostgreSQL store's ear: one connection that LISTENs on the store's channel, so waiters
// for an account's lease hear its version move (or its lease end) instead of polling.
//
// One waiter at a time owns the socket and reads it; the others sleep on a condition variable
// and are woken by what the owner read. A notification only says "may have changed": the
// caller re-reads the store. Whatever goes wrong (no connection, a broken one, a pooler that
// drops LISTEN) only makes waits last until their deadline, which the store keeps short.
#pragma once

#include "http/fork_guard.hpp"
#include "store/postgres/connection.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace calbridge::detail::pg {

class Listener {
public:
    // `channel` is the plain channel name; `listen_sql` the LISTEN statement for it.
    Listener(ConnectSettings settings, std::string channel, std::string listen_sql);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // True when a notification for `account` arrived, or may have been missed (the listener
    // was just connected: nothing before that was heard); false at the deadline.
    bool wait(std::string_view account, Clock::time_point deadline);

    // Closes the connection when nobody has waited for `idle`: a session nobody reads still
    // has notifications queued for it, and the server keeps them until it can deliver them.
    void close_if_unused(Clock::duration idle) noexcept;

private:
    struct Watch {
        std::size_t waiters = 0;
        std::uint64_t notified = 0;  // bumped by every notification for the account
    };
    // What one turn on the socket found.
    struct Heard {
        bool connected = false;             // the connection is new: anything may have changed
        bool broken = false;                // it failed: try again after a pause
        std::vector<std::string> accounts;  // notified accounts
    };

    Heard listen_once(std::unique_ptr<Connection>& connection, Clock::time_point deadline) noexcept;
    void check_fork_locked();
    static void after_fork_in_child(void* self);

    const ConnectSettings settings_;
    const std::string channel_;
    const std::string listen_sql_;
    std::mutex mutex_;
    std::condition_variable heard_;
    bool polling_ = false;                     // a waiter owns the socket (and holds the connection)
    std::unique_ptr<Connection> connection_;   // null while polling_ or when not connected
    Clock::time_point retry_at_{};             // no new connection before this, after a failure
    Clock::time_point last_wait_{};
    std::unordered_map<std::string, Watch> watches_;
    std::uint64_t generation_;
    http::ForkGuard fork_guard_;
};

}  // namespace calbridge::detail::pg
