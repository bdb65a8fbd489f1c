#include "http/fork_guard.hpp"

#include <pthread.h>

#include <atomic>

namespace calbridge::http {

struct ForkRegistry {
    std::mutex mutex;
    ForkGuard* head = nullptr;  // an intrusive list: registering allocates nothing

    static void prepare() noexcept {
        auto& r = instance();
        r.mutex.lock();
        for (ForkGuard* g = r.head; g != nullptr; g = g->next_) g->mutex_->lock();
    }
    static void parent() noexcept {
        auto& r = instance();
        for (ForkGuard* g = r.head; g != nullptr; g = g->next_) g->mutex_->unlock();
        r.mutex.unlock();
    }
    static void child() noexcept;

    static ForkRegistry& instance() {
        // Never destroyed: fork handlers and late destructors may still use it at exit.
        static ForkRegistry* registry = new ForkRegistry;
        return *registry;
    }
};

namespace {
std::atomic<std::uint64_t> generation{0};
}  // namespace

void ForkRegistry::child() noexcept {
    generation.fetch_add(1, std::memory_order_relaxed);
    auto& r = instance();
    for (ForkGuard* g = r.head; g != nullptr; g = g->next_) {
        g->child_hook_(g->self_);
        g->mutex_->unlock();
    }
    r.mutex.unlock();
}

std::uint64_t fork_generation() noexcept { return generation.load(std::memory_order_relaxed); }

ForkGuard::ForkGuard(std::mutex& mutex, void (*child_hook)(void*), void* self)
    : mutex_(&mutex), child_hook_(child_hook), self_(self) {
    static const int registered = pthread_atfork(&ForkRegistry::prepare, &ForkRegistry::parent, &ForkRegistry::child);
    (void)registered;
    auto& r = ForkRegistry::instance();
    std::lock_guard lock(r.mutex);
    next_ = r.head;
    if (r.head != nullptr) r.head->prev_ = this;
    r.head = this;
}

ForkGuard::~ForkGuard() {
    auto& r = ForkRegistry::instance();
    std::lock_guard lock(r.mutex);
    if (prev_ != nullptr) prev_->next_ = next_;
    else r.head = next_;
    if (next_ != nullptr) next_->prev_ = prev_;
}

}  // namespace calbridge::http
