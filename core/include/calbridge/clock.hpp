// Time sources, injectable so that tests make a token expire without sleeping.
#pragma once

#include <chrono>
#include <functional>

namespace calbridge {

using WallTime = std::chrono::system_clock::time_point;

// The wall clock: token expiry is wall-clock time on purpose (a monotonic clock stops while a
// laptop sleeps, a token's lifetime does not).
using WallClock = std::function<WallTime()>;

// The system wall clock.
WallClock system_wall_clock();

}  // namespace calbridge
