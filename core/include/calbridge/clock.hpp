// Time sources, injectable so that tests make a token expire, and a Retry-After pass, without
// sleeping.
#pragma once

#include <chrono>
#include <functional>

namespace calbridge {

class CancellationToken;  // calbridge/transport.hpp

using WallTime = std::chrono::system_clock::time_point;

// The wall clock: token expiry is wall-clock time on purpose (a monotonic clock stops while a
// laptop sleeps, a token's lifetime does not).
using WallClock = std::function<WallTime()>;

// The system wall clock.
WallClock system_wall_clock();

// Deadlines and waits are steady-clock time: a wall clock set back must not stretch a call.
// (Also declared, identically, by calbridge/transport.hpp.)
using SteadyTime = std::chrono::steady_clock::time_point;
using SteadyClock = std::function<SteadyTime()>;

// std::chrono::steady_clock. A real transport measures deadlines on it, so inject another
// steady clock only together with a transport that does not (a test's scripted one).
SteadyClock system_steady_clock();

// Waits until `until` on the steady clock, or until `cancel` (may be null) is cancelled,
// whichever comes first; returns true when cancelled. Retry-After and backoff waits go
// through it, so tests can inject one that advances a test clock instead of sleeping.
using Waiter = std::function<bool(SteadyTime until, CancellationToken* cancel)>;

// Sleeps on std::chrono::steady_clock (CancellationToken::wait_until when there is a token).
Waiter system_waiter();

}  // namespace calbridge
