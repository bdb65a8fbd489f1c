// The core's log lines → logging.getLogger("calbridge"). The core redacts every secret before
// a line is built; this only carries the text.
#include "bindings.hpp"

namespace calbridge::python {

namespace {

// logging's numbers; TRACE (5) is registered by calbridge/__init__.py as a level name.
int python_level(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::trace: return 5;
        case LogLevel::debug: return 10;
        case LogLevel::info: return 20;
        case LogLevel::warning: return 30;
        case LogLevel::error:
        case LogLevel::off: return 40;
    }
    return 40;
}

}  // namespace

LogSink make_log_sink(py::object logger) {
    PyRef shared = share(std::move(logger));
    return [shared](LogLevel level, std::string_view message) {
        if (interpreter_finalizing()) return;
        py::gil_scoped_acquire gil;
        try {
            // "%s" so that a '%' in a message is never read as a format.
            shared->attr("log")(python_level(level), "%s", py::str(message.data(), message.size()));
        } catch (const py::error_already_set&) {
            // Logging never fails a call (log.hpp); logging's own handlers report their errors.
        }
    };
}

void init_log(py::module_& m) {
    m.attr("TRACE") = 5;
}

}  // namespace calbridge::python
