// The transport-independent pieces of calbridge/transport.hpp: header lookup and cancellation.
#include <calbridge/transport.hpp>

#include "util/ascii.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace calbridge {

namespace {

const std::string* find_header(const std::vector<HttpHeader>& headers, std::string_view name) noexcept {
    for (const auto& h : headers) {
        if (detail::iequals(h.name, name)) return &h.value;
    }
    return nullptr;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const noexcept { return find_header(headers, name); }
const std::string* HttpResponse::header(std::string_view name) const noexcept { return find_header(headers, name); }

void CancellationToken::cancel() {
    {
        // Callbacks run under the lock: a subscription's destructor takes the same lock, so
        // once it returns its callback is neither running nor about to run, and whatever the
        // callback refers to may be destroyed. Hence callbacks must not touch the token.
        std::lock_guard lock(mutex_);
        if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
        for (auto& fn : callbacks_) fn();
    }
    cv_.notify_all();
}

CancellationToken::Subscription CancellationToken::on_cancel(std::function<void()> fn) {
    std::unique_lock lock(mutex_);
    if (is_cancelled()) {
        lock.unlock();
        fn();
        return {};
    }
    callbacks_.push_back(std::move(fn));
    return Subscription(this, std::prev(callbacks_.end()));
}

bool CancellationToken::wait_until(SteadyTime until) {
    std::unique_lock lock(mutex_);
    for (;;) {
        const SteadyTime slice = poll_due(until);
        if (cv_.wait_until(lock, slice, [this] { return is_cancelled(); })) return true;
        if (slice >= until) return false;
        lock.unlock();  // the hook may cancel, which takes the lock
        poll();
        lock.lock();
    }
}

void CancellationToken::poll_while_waiting(std::chrono::milliseconds every,
                                           std::function<void(CancellationToken&)> hook) {
    poll_every_ = std::max<std::chrono::steady_clock::duration>(every, std::chrono::milliseconds(1));
    poll_hook_ = std::move(hook);
}

SteadyTime CancellationToken::poll_due(SteadyTime until) noexcept {
    if (!poll_hook_) return until;
    auto due = next_poll_.load(std::memory_order_relaxed);
    if (due == 0) {
        // The first wait starts the schedule; later waits keep it, so a call that waits in
        // many short slices (a slow trickle of reads) still polls every period.
        const auto first = (std::chrono::steady_clock::now() + poll_every_).time_since_epoch().count();
        if (next_poll_.compare_exchange_strong(due, first, std::memory_order_relaxed)) due = first;
    }
    return std::min(until, SteadyTime(std::chrono::steady_clock::duration(due)));
}

void CancellationToken::poll() {
    if (!poll_hook_) return;
    const auto now = std::chrono::steady_clock::now();
    const auto due = next_poll_.load(std::memory_order_relaxed);
    if (due != 0 && now.time_since_epoch().count() < due) return;  // the wait ended for another reason
    next_poll_.store((now + poll_every_).time_since_epoch().count(), std::memory_order_relaxed);
    poll_hook_(*this);
}

CancellationToken::Subscription::Subscription(Subscription&& other) noexcept
    : token_(std::exchange(other.token_, nullptr)), it_(other.it_) {}

CancellationToken::Subscription& CancellationToken::Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        reset();
        token_ = std::exchange(other.token_, nullptr);
        it_ = other.it_;
    }
    return *this;
}

CancellationToken::Subscription::~Subscription() { reset(); }

void CancellationToken::Subscription::reset() noexcept {
    if (token_ == nullptr) return;
    std::lock_guard lock(token_->mutex_);
    token_->callbacks_.erase(it_);
    token_ = nullptr;
}

}  // namespace calbridge
