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

    bool enabled(LogLevel level) const noexcept {
        return sink_ && level != LogLevel::off && level >= threshold_;
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
};

}  // namespace calbridge::detail
