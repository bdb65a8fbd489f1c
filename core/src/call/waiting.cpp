// The default steady clock and waiter of calbridge/clock.hpp.
#include <calbridge/clock.hpp>
#include <calbridge/transport.hpp>

#include <thread>

namespace calbridge {

SteadyClock system_steady_clock() {
    return [] { return std::chrono::steady_clock::now(); };
}

Waiter system_waiter() {
    return [](SteadyTime until, CancellationToken* cancel) {
        if (cancel != nullptr) return cancel->wait_until(until);
        std::this_thread::sleep_until(until);
        return false;
    };
}

}  // namespace calbridge
