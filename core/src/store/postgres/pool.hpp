// The PostgreSQL store's connections, shared by the threads of one process: at most `size`
// open at once, idle ones reused while they still look open. A child of fork() never uses
// (or closes on the wire) a connection its parent opened.
#pragma once

#include "http/fork_guard.hpp"
#include "store/postgres/connection.hpp"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace calbridge::detail::pg {

class ConnectionPool {
public:
    ConnectionPool(ConnectSettings settings, std::size_t size);
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // One connection, for one statement. Destroyed without release(), it closes the
    // connection: one whose statement failed on the way (or timed out) never goes back.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();

        Connection* operator->() const noexcept { return connection_.get(); }
        Connection& operator*() const noexcept { return *connection_; }
        // Returns the connection to the pool for the next statement.
        void release() noexcept;

    private:
        friend class ConnectionPool;
        Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection, std::uint64_t generation) noexcept;
        ConnectionPool* pool_;
        std::unique_ptr<Connection> connection_;
        std::uint64_t generation_;
    };

    // An idle connection that still looks open, else a new one; with `fresh`, always a new one
    // (after a statement failed on a connection that looked fine). Waits for a free slot until
    // `deadline`. Throws Failure: not_sent when the connection cannot be made, timed_out when
    // no slot came free.
    Lease acquire(Clock::time_point deadline, bool fresh);

    const ConnectSettings& settings() const noexcept { return settings_; }

private:
    void give_back(std::unique_ptr<Connection> connection, std::uint64_t generation) noexcept;
    void close_slot(std::uint64_t generation) noexcept;
    void check_fork_locked();
    static void after_fork_in_child(void* self);

    const ConnectSettings settings_;
    const std::size_t size_;
    std::mutex mutex_;
    std::condition_variable slot_freed_;
    std::size_t open_ = 0;                             // idle + leased
    std::vector<std::unique_ptr<Connection>> idle_;    // the most recently used last
    std::uint64_t generation_;
    http::ForkGuard fork_guard_;
};

}  // namespace calbridge::detail::pg
