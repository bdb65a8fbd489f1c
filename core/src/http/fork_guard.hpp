// fork() safety for the transport's shared state. A child gets a copy of every lock as it was
// at the fork, held or not, and of connections whose TLS state belongs to the parent. Objects
// register their mutex: it is held across fork() (so the child's copy is consistent and
// unlocked), and the child calls their hook to reset what only the parent may use.
#pragma once

#include <cstdint>
#include <mutex>

namespace calbridge::http {

// Counts the forks this process descends from (0 in the original process). An object that
// sees a change knows it lives in a child.
std::uint64_t fork_generation() noexcept;

class ForkGuard {
public:
    // `child_hook(self)` runs in the child right after fork(), single-threaded, with `mutex`
    // held by the forking thread: reset in place, without blocking, allocating or freeing
    // (e.g. re-create a condition variable whose waiters were other threads of the parent).
    ForkGuard(std::mutex& mutex, void (*child_hook)(void*), void* self);
    ~ForkGuard();
    ForkGuard(const ForkGuard&) = delete;
    ForkGuard& operator=(const ForkGuard&) = delete;

private:
    std::mutex* mutex_;
    void (*child_hook_)(void*);
    void* self_;
    ForkGuard* prev_ = nullptr;
    ForkGuard* next_ = nullptr;
    friend struct ForkRegistry;
};

}  // namespace calbridge::http
