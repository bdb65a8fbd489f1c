#include "http/call_interrupt.hpp"

namespace calbridge::http {

CallInterrupt::CallInterrupt(const CallContext& ctx) : deadline_(ctx.deadline), token_(ctx.cancel) {
    if (token_) subscription_ = token_->on_cancel([this] { wake(); });
}

void CallInterrupt::wake() noexcept {
    std::lock_guard lock(mutex_);
    if (wake_) wake_();
}

CallInterrupt::WakeGuard CallInterrupt::wake_with(std::function<void()> wake) {
    if (!token_) return WakeGuard(nullptr);
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
    return WakeGuard(this);
}

CallInterrupt::WakeGuard::~WakeGuard() {
    if (owner_ == nullptr) return;
    std::lock_guard lock(owner_->mutex_);
    owner_->wake_ = nullptr;
}

}  // namespace calbridge::http
