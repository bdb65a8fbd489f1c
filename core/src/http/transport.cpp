// The transport-independent pieces of calbridge/transport.hpp: header lookup and cancellation.
#include <calbridge/transport.hpp>

#include <algorithm>
#include <cctype>
#include <utility>

namespace calbridge {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

const std::string* find_header(const std::vector<HttpHeader>& headers, std::string_view name) noexcept {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) return &h.value;
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
    return cv_.wait_until(lock, until, [this] { return is_cancelled(); });
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
