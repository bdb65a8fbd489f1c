// One transport call's deadline and cancellation, and the wake-up that makes a cancellation
// from another thread end whatever the call is waiting on at that moment.
#pragma once

#include <calbridge/transport.hpp>

#include <functional>
#include <memory>
#include <mutex>

namespace calbridge::http {

class CallInterrupt {
public:
    explicit CallInterrupt(const CallContext& ctx);
    CallInterrupt(const CallInterrupt&) = delete;
    CallInterrupt& operator=(const CallInterrupt&) = delete;

    SteadyTime deadline() const noexcept { return deadline_; }
    bool cancelled() const noexcept { return token_ && token_->is_cancelled(); }

    // The token's poll hook (CancellationToken::poll_while_waiting): a wait ends its slice at
    // poll_due(deadline) and, when that came before the deadline, calls poll() with no lock held
    // (the hook may cancel, which runs the wake-up). Without a hook: the deadline, and nothing.
    SteadyTime poll_due(SteadyTime deadline) const noexcept { return token_ ? token_->poll_due(deadline) : deadline; }
    void poll() const {
        if (token_) token_->poll();
    }

    // While the returned guard lives, a cancellation also runs `wake` on the cancelling thread
    // (under a lock: keep it short and non-blocking, e.g. stop an io_context or notify a
    // condition variable). Check cancelled() after installing it: a cancellation that came
    // before does not run it.
    class WakeGuard {
    public:
        explicit WakeGuard(CallInterrupt* owner) : owner_(owner) {}
        WakeGuard(const WakeGuard&) = delete;
        WakeGuard& operator=(const WakeGuard&) = delete;
        ~WakeGuard();

    private:
        CallInterrupt* owner_;
    };
    [[nodiscard]] WakeGuard wake_with(std::function<void()> wake);

private:
    void wake() noexcept;

    SteadyTime deadline_;
    std::shared_ptr<CancellationToken> token_;
    std::mutex mutex_;
    std::function<void()> wake_;
    CancellationToken::Subscription subscription_;  // last: unsubscribed before the rest goes
};

}  // namespace calbridge::http
