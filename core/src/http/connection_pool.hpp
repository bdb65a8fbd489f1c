// Keep-alive connections per origin, with a limit on how many an origin may have open (idle
// and in use together). Knows nothing of sockets: a Connection is the transport's (defined in
// connection.hpp), handed over as an opaque pointer.
#pragma once

#include "http/call_interrupt.hpp"
#include "http/fork_guard.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace calbridge::http {

struct Connection;
void destroy_connection(Connection* connection) noexcept;              // closes it
// In a child of fork(): frees the child's copy of a parent's connection without a word on the
// wire and without touching the parent's registrations. Accepts null.
void abandon_connection_after_fork(Connection* connection) noexcept;

struct ConnectionDeleter {
    void operator()(Connection* connection) const noexcept { destroy_connection(connection); }
};
using ConnectionPtr = std::unique_ptr<Connection, ConnectionDeleter>;

class ConnectionPool {
public:
    ConnectionPool(std::size_t max_per_origin, std::chrono::milliseconds idle_timeout);
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // One of an origin's connection slots: either an idle connection taken from the pool, or
    // the right to open a new one (attach() it). Destroyed without release(), it closes the
    // connection and frees the slot: a connection that timed out or failed never goes back.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        ~Lease();

        Connection* connection() const noexcept { return connection_.get(); }
        bool reused() const noexcept { return reused_; }
        void attach(ConnectionPtr connection) noexcept { connection_ = std::move(connection); }
        // Returns the connection to the pool for the next request to this origin.
        void release() noexcept;

    private:
        friend class ConnectionPool;
        Lease(ConnectionPool* pool, std::string origin, ConnectionPtr connection, std::uint64_t generation);
        ConnectionPool* pool_;
        std::string origin_;
        ConnectionPtr connection_;
        bool reused_;
        std::uint64_t generation_;
    };

    // Waits for a slot of `origin` until the deadline. With `fresh`, never hands out an idle
    // connection (closing the oldest one if that is what frees a slot). Throws TimeoutError or
    // CancelledError, request not sent.
    Lease acquire(const std::string& origin, bool fresh, SteadyTime deadline, CallInterrupt& call);

private:
    struct Idle {
        ConnectionPtr connection;
        SteadyTime since;
    };
    struct Origin {
        std::size_t open = 0;     // idle + leased
        std::vector<Idle> idle;   // oldest first
    };

    void give_back(const std::string& origin, ConnectionPtr connection, std::uint64_t generation) noexcept;
    // Under the lock: after a fork, forget everything of the parent's.
    void check_fork_locked();
    static void after_fork_in_child(void* self);

    const std::size_t max_per_origin_;
    const std::chrono::milliseconds idle_timeout_;
    mutable std::mutex mutex_;
    std::condition_variable slot_freed_;
    std::map<std::string, Origin> origins_;
    std::uint64_t generation_;
    ForkGuard fork_guard_;
};

}  // namespace calbridge::http
