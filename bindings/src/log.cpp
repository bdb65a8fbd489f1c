// The core's log lines → logging.getLogger("calbridge"). The core redacts every secret before
// a line is built; this only carries the text.
//
// The threshold follows the logger's configuration at call time: every blocking call first
// runs refresh_log_thresholds() (GIL held), which is one dictionary lookup per logger while
// logging's configuration is unchanged. logging clears every logger's level cache (`_cache`)
// whenever a level changes anywhere (setLevel, basicConfig, logging.disable, dictConfig).
// After reading the levels through isEnabledFor, a key of our own goes into that cache: while
// it is there, nothing changed and the threshold computed last is still right.
#include "bindings.hpp"

#include <algorithm>
#include <array>
#include <vector>

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

constexpr std::array core_levels{LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warning,
                                 LogLevel::error};

// One per logging.Logger, shared by every Client logging to it; the Clients' core loggers read
// `threshold` at each log point.
class LevelWatch {
public:
    explicit LevelWatch(py::object logger)
        : logger_(share(std::move(logger))), threshold_(std::make_shared<std::atomic<LogLevel>>(LogLevel::off)) {
        refresh();
    }

    const PyRef& logger() const noexcept { return logger_; }
    const std::shared_ptr<std::atomic<LogLevel>>& threshold() const noexcept { return threshold_; }

    // With the GIL held. Never raises: a logger that cannot be read logs nothing.
    void refresh() noexcept {
        try {
            if (!current()) recompute();
        } catch (const std::exception&) {  // py::error_already_set (dropped here), py::cast_error
            threshold_->store(LogLevel::off, std::memory_order_relaxed);
        }
    }

private:
    // The key recompute() leaves in logging's level cache: an object of its own, so that no
    // other code's isEnabledFor can put it there.
    static py::handle marker() {
        static PyObject* object = PyObject_CallNoArgs(reinterpret_cast<PyObject*>(&PyBaseObject_Type));  // kept
        if (object == nullptr) throw py::error_already_set();
        return object;
    }

    bool disabled() const { return py::getattr(*logger_, "disabled", py::bool_(false)).cast<bool>(); }

    // True while logging's level cache still holds our marker (see the top). `disabled`
    // (logging.config's disable_existing_loggers) is read each time: setting it clears nothing.
    bool current() const {
        const py::handle logger = *logger_;
        const py::object cache = py::getattr(logger, "_cache", py::none());
        if (!PyDict_Check(cache.ptr())) return false;
        const int found = PyDict_Contains(cache.ptr(), marker().ptr());
        if (found < 0) throw py::error_already_set();
        return found == 1 && disabled_ == disabled();
    }

    void recompute() {
        LogLevel threshold = LogLevel::off;
        const py::object enabled_for = logger_->attr("isEnabledFor");
        for (const LogLevel level : core_levels) {
            if (py::bool_(enabled_for(python_level(level)))) {
                threshold = level;
                break;
            }
        }
        threshold_->store(threshold, std::memory_order_relaxed);
        disabled_ = disabled();
        const py::object cache = py::getattr(*logger_, "_cache", py::none());
        if (PyDict_Check(cache.ptr()) && PyDict_SetItem(cache.ptr(), marker().ptr(), Py_True) != 0) {
            throw py::error_already_set();
        }
    }

    PyRef logger_;
    std::shared_ptr<std::atomic<LogLevel>> threshold_;
    bool disabled_ = false;
};

// Every live watch; touched only with the GIL held.
std::vector<std::weak_ptr<LevelWatch>>& watches() {
    static auto* all = new std::vector<std::weak_ptr<LevelWatch>>();  // never destroyed: no exit order
    return *all;
}

std::shared_ptr<LevelWatch> watch_for(py::object logger) {
    auto& all = watches();
    for (const auto& weak : all) {
        auto watch = weak.lock();
        if (watch && watch->logger()->is(logger)) return watch;
    }
    auto watch = std::make_shared<LevelWatch>(std::move(logger));
    all.push_back(watch);
    return watch;
}

}  // namespace

void refresh_log_thresholds() noexcept {
    auto& all = watches();
    bool expired = false;
    for (const auto& weak : all) {
        if (auto watch = weak.lock()) {
            watch->refresh();
        } else {
            expired = true;
        }
    }
    if (expired) std::erase_if(all, [](const auto& weak) { return weak.expired(); });
}

PythonLog make_python_log(py::object logger) {
    auto watch = watch_for(std::move(logger));
    PythonLog log;
    log.threshold = watch->threshold();
    log.sink = [watch](LogLevel level, std::string_view message) {
        if (interpreter_finalizing()) return;
        py::gil_scoped_acquire gil;
        try {
            // "%s" so that a '%' in a message is never read as a format.
            watch->logger()->attr("log")(python_level(level), "%s", py::str(message.data(), message.size()));
        } catch (const py::error_already_set&) {
            // Logging never fails a call (log.hpp); logging's own handlers report their errors.
        }
    };
    return log;
}

void init_log(py::module_& m) {
    m.attr("TRACE") = 5;
}

}  // namespace calbridge::python
