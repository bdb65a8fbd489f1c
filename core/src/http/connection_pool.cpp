#include "http/connection_pool.hpp"

#include "http/transport_errors.hpp"

#include <new>
#include <utility>

namespace calbridge::http {

ConnectionPool::ConnectionPool(std::size_t max_per_origin, std::chrono::milliseconds idle_timeout)
    : max_per_origin_(max_per_origin),
      idle_timeout_(idle_timeout),
      generation_(fork_generation()),
      fork_guard_(mutex_, &ConnectionPool::after_fork_in_child, this) {}

ConnectionPool::~ConnectionPool() = default;

void ConnectionPool::after_fork_in_child(void* self) {
    // Threads of the parent may be counted as waiters of the condition variable; the child
    // would wait for them forever when it signals or destroys it. Start a fresh one in place
    // (the old one is not destroyed, on purpose).
    auto* pool = static_cast<ConnectionPool*>(self);
    new (&pool->slot_freed_) std::condition_variable();
}

void ConnectionPool::check_fork_locked() {
    if (generation_ == fork_generation()) return;
    generation_ = fork_generation();
    // The parent's connections: their TLS sessions and sequence numbers are the parent's, and
    // the connections leased by its other threads will never come back. Forget them all, without
    // a shutdown on the wire.
    for (auto& [origin, state] : origins_) {
        for (auto& idle : state.idle) abandon_connection_after_fork(idle.connection.release());
    }
    origins_.clear();
}

ConnectionPool::Lease ConnectionPool::acquire(const std::string& origin, bool fresh, SteadyTime deadline,
                                              CallInterrupt& call) {
    auto wake = call.wake_with([this] {
        { std::lock_guard lock(mutex_); }
        slot_freed_.notify_all();
    });
    std::vector<ConnectionPtr> to_close;  // closed after the lock is released
    std::unique_lock lock(mutex_);
    check_fork_locked();
    for (;;) {
        Origin& o = origins_[origin];
        const SteadyTime now = std::chrono::steady_clock::now();
        while (!o.idle.empty() && now - o.idle.front().since > idle_timeout_) {
            to_close.push_back(std::move(o.idle.front().connection));
            o.idle.erase(o.idle.begin());
            --o.open;
        }
        if (!fresh && !o.idle.empty()) {
            // The most recently used: the least likely to have been closed by the server.
            ConnectionPtr c = std::move(o.idle.back().connection);
            o.idle.pop_back();
            lock.unlock();
            to_close.clear();
            Lease lease(this, origin, std::move(c), generation_);
            lease.reused_ = true;
            return lease;
        }
        if (o.open >= max_per_origin_ && fresh && !o.idle.empty()) {
            to_close.push_back(std::move(o.idle.front().connection));
            o.idle.erase(o.idle.begin());
            --o.open;
        }
        if (o.open < max_per_origin_) {
            ++o.open;
            lock.unlock();
            to_close.clear();
            return Lease(this, origin, nullptr, generation_);
        }
        if (call.cancelled()) throw CancelledError("cancelled while waiting for a connection", request_sent(false));
        const SteadyTime slice = call.poll_due(deadline);
        if (slot_freed_.wait_until(lock, slice) == std::cv_status::timeout) {
            if (slice >= deadline) {
                throw TimeoutError("timed out waiting for a free connection to " + origin, request_sent(false));
            }
            lock.unlock();  // the poll hook may cancel, and the wake-up takes this lock
            call.poll();
            lock.lock();
        }
    }
}

void ConnectionPool::give_back(const std::string& origin, ConnectionPtr connection, std::uint64_t generation) noexcept {
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || generation_ != fork_generation()) {
            // Leased before a fork: the slot was forgotten with the parent's state.
            abandon_connection_after_fork(connection.release());
            return;
        }
        auto it = origins_.find(origin);
        if (it != origins_.end()) {
            if (connection) {
                it->second.idle.push_back(Idle{std::move(connection), std::chrono::steady_clock::now()});
            } else if (it->second.open > 0) {
                --it->second.open;
            }
        }
    }
    slot_freed_.notify_all();
    // `connection` is non-null here only if the origin vanished (it cannot): closed unlocked.
}

ConnectionPool::Lease::Lease(ConnectionPool* pool, std::string origin, ConnectionPtr connection,
                             std::uint64_t generation)
    : pool_(pool), origin_(std::move(origin)), connection_(std::move(connection)), reused_(false),
      generation_(generation) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      origin_(std::move(other.origin_)),
      connection_(std::move(other.connection_)),
      reused_(other.reused_),
      generation_(other.generation_) {}

void ConnectionPool::Lease::release() noexcept {
    if (pool_ == nullptr || !connection_) return;
    std::exchange(pool_, nullptr)->give_back(origin_, std::move(connection_), generation_);
}

ConnectionPool::Lease::~Lease() {
    if (pool_ == nullptr) return;
    if (generation_ != fork_generation()) {
        abandon_connection_after_fork(connection_.release());
    } else {
        connection_.reset();  // closed before the slot is offered to the next caller
    }
    pool_->give_back(origin_, nullptr, generation_);
}

}  // namespace calbridge::http
