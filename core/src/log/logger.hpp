// The core's side of calbridge/log.hpp: a level check that costs nothing when logging is off,
// and a sink call that can never fail a call. Internal to the core.
#pragma once

#include <calbridge/log.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace calbridge::detail {

class Logger {
public:
    Logger() = default;
    Logger(LogSink sink, LogLevel threshold) : sink_(std::move(sink)), threshold_(threshold) {}
    // The threshold read from `threshold` at each check (calbridge/log.hpp, LogThreshold).
    Logger(LogSink sink, LogThreshold threshold)
        : sink_(std::move(sink)), dynamic_threshold_(std::move(threshold)) {}

    bool enabled(LogLevel level) const noexcept {
        if (!sink_ || level == LogLevel::off) return false;
        return level >= (dynamic_threshold_ ? dynamic_threshold_->load(std::memory_order_relaxed) : threshold_);
    }

    // Builds the message only when the level is enabled: `build()` returns a std::string made of
    // redacted values only. Never call this with a lock held (the sink is user code).
    template <class Build>
    void operator()(LogLevel level, Build&& build) const noexcept {
        if (!enabled(level)) return;
        try {
            write(level, std::forward<Build>(build)());
        } catch (...) {
            // Building the message failed (out of memory): logging never fails a call.
        }
    }

    void write(LogLevel level, std::string_view message) const noexcept;

private:
    LogSink sink_;
    LogLevel threshold_ = LogLevel::off;
    LogThreshold dynamic_threshold_;
};

}  // namespace calbridge::detail
