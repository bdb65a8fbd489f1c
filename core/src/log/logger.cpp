#include "log/logger.hpp"

namespace calbridge {

std::string_view log_level_name(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::trace: return "trace";
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warning: return "warning";
        case LogLevel::error: return "error";
        case LogLevel::off: return "off";
    }
    return "unknown";
}

namespace detail {

void Logger::write(LogLevel level, std::string_view message) const noexcept {
    try {
        sink_(level, message);
    } catch (...) {
        // A sink that throws must not turn a successful call into a failed one, nor hide the
        // error a failing call is about to report.
    }
}

}  // namespace detail
}  // namespace calbridge
