#include "store/postgres/pool.hpp"

#include <new>
#include <string>
#include <utility>

namespace calbridge::detail::pg {

ConnectionPool::ConnectionPool(ConnectSettings settings, std::size_t size)
    : settings_(std::move(settings)),
      size_(size),
      generation_(http::fork_generation()),
      fork_guard_(mutex_, &ConnectionPool::after_fork_in_child, this) {}

ConnectionPool::~ConnectionPool() {
    if (generation_ != http::fork_generation()) {
        for (auto& connection : idle_) Connection::abandon_after_fork(connection.release());
    }
}

void ConnectionPool::after_fork_in_child(void* self) {
    // The parent's other threads may be counted as waiters of the condition variable; the
    // child would wait for them forever when it signals or destroys it. A fresh one, in place
    // (the old one is not destroyed, on purpose).
    auto* pool = static_cast<ConnectionPool*>(self);
    new (&pool->slot_freed_) std::condition_variable();
}

void ConnectionPool::check_fork_locked() {
    if (generation_ == http::fork_generation()) return;
    generation_ = http::fork_generation();
    // The parent's connections are the parent's sessions: a statement from here would
    // interleave with its own on the same socket. Forget them all without a word on the wire;
    // the ones its other threads had leased will never come back.
    for (auto& connection : idle_) Connection::abandon_after_fork(connection.release());
    idle_.clear();
    open_ = 0;
}

ConnectionPool::Lease ConnectionPool::acquire(Clock::time_point deadline, bool fresh) {
    std::vector<std::unique_ptr<Connection>> closing;  // closed after the lock is let go
    std::unique_lock lock(mutex_);
    check_fork_locked();
    while (true) {
        while (!fresh && !idle_.empty()) {
            std::unique_ptr<Connection> connection = std::move(idle_.back());
            idle_.pop_back();
            // A server restart (or an idle timeout) ends idle sessions; finding that out now
            // costs one poll() and spares a statement sent into a closed connection.
            if (connection->idle_and_open()) return Lease(this, std::move(connection), generation_);
            closing.push_back(std::move(connection));
            --open_;
        }
        if (open_ < size_) break;
        if (fresh && !idle_.empty()) {
            closing.push_back(std::move(idle_.front()));  // the oldest makes room
            idle_.erase(idle_.begin());
            --open_;
            break;
        }
        if (!slot_freed_.wait_until(lock, deadline, [&] { return open_ < size_ || !idle_.empty(); })) {
            throw Failure(FailureKind::busy, "all " + std::to_string(size_) + " connections of the pool stayed busy (nothing was sent)");
        }
        check_fork_locked();
    }
    ++open_;
    const std::uint64_t generation = generation_;
    lock.unlock();
    closing.clear();
    try {
        return Lease(this, Connection::open(settings_, deadline), generation);
    } catch (...) {
        close_slot(generation);
        throw;
    }
}

void ConnectionPool::give_back(std::unique_ptr<Connection> connection, std::uint64_t generation) noexcept {
    {
        std::lock_guard lock(mutex_);
        if (generation == generation_ && generation_ == http::fork_generation()) {
            idle_.push_back(std::move(connection));
        }
    }
    slot_freed_.notify_one();
    // Leased before a fork: its slot went with the parent's state.
    if (connection) Connection::abandon_after_fork(connection.release());
}

void ConnectionPool::close_slot(std::uint64_t generation) noexcept {
    {
        std::lock_guard lock(mutex_);
        if (generation == generation_ && open_ > 0) --open_;
    }
    slot_freed_.notify_one();
}

ConnectionPool::Lease::Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection,
                             std::uint64_t generation) noexcept
    : pool_(pool), connection_(std::move(connection)), generation_(generation) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      generation_(other.generation_) {}

ConnectionPool::Lease::~Lease() {
    if (pool_ == nullptr) return;
    if (connection_ && connection_->fork_generation() != http::fork_generation()) {
        Connection::abandon_after_fork(connection_.release());
    }
    connection_.reset();  // closed before the slot is offered to the next caller
    pool_->close_slot(generation_);
}

void ConnectionPool::Lease::release() noexcept {
    if (pool_ == nullptr) return;
    std::exchange(pool_, nullptr)->give_back(std::move(connection_), generation_);
}

}  // namespace calbridge::detail::pg
