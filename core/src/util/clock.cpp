#include <calbridge/clock.hpp>
#include <calbridge/version.hpp>

namespace calbridge {

WallClock system_wall_clock() {
    return [] { return std::chrono::system_clock::now(); };
}

const char* version() noexcept { return CALBRIDGE_VERSION_STRING; }

}  // namespace calbridge
