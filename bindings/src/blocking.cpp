// Blocking calls: the GIL released for their whole length, and Ctrl-C still heard.
#include "bindings.hpp"

#include <calbridge/errors.hpp>

#include <pythread.h>

#include <cmath>
#include <exception>
#include <limits>

namespace calbridge::python {

namespace {

// The thread Python runs signal handlers on (threading.main_thread()).
unsigned long main_thread_ident = 0;

constexpr std::chrono::milliseconds signal_check_interval{50};

bool on_main_thread() noexcept {
    return main_thread_ident != 0 && PyThread_get_thread_ident() == main_thread_ident;
}

}  // namespace

bool interpreter_finalizing() noexcept {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing() != 0;
#else
    return _Py_IsFinalizing() != 0;
#endif
}

PyRef share(py::object object) {
    return PyRef(new py::object(std::move(object)), [](py::object* p) {
        if (!Py_IsInitialized() || interpreter_finalizing()) {
            // Too late to take the GIL from here; the interpreter frees everything anyway.
            (void)p->release();
            delete p;
            return;
        }
        py::gil_scoped_acquire gil;
        delete p;
    });
}

void run_blocking_impl(const Cancel& cancel, const std::function<void(const Cancel&)>& body) {
    refresh_log_thresholds();  // logging's configuration as it is now, for this call
    auto token = std::make_shared<CancellationToken>();
    // Set by the poll hook, which runs on this thread inside `body`'s waits.
    std::optional<py::error_already_set> interrupted;
    if (on_main_thread()) {
        // Python runs signal handlers on the main thread only, when it checks for them: the
        // call's waits run this hook every signal_check_interval (never a call done sooner).
        // A handler may call back into calbridge (that call nests here, with its own token);
        // when it raises (Ctrl-C: KeyboardInterrupt), the call is cancelled, ends at once with
        // CancelledError, and the caller sees the handler's exception instead.
        token->poll_while_waiting(signal_check_interval, [&interrupted](CancellationToken& t) {
            if (interrupted) return;  // cancelled already
            {
                py::gil_scoped_acquire gil;
                if (PyErr_CheckSignals() != 0) interrupted.emplace();  // takes the handler's exception
            }
            if (interrupted) t.cancel();  // without the GIL: the wake-ups take core locks
        });
    }
    std::exception_ptr error;
    {
        py::gil_scoped_release release;
        try {
            // Without the GIL: cancel() runs this relay under the caller's token's lock, and
            // CancelToken.cancel() takes that lock with the GIL released.
            CancellationToken::Subscription relay;
            if (cancel) relay = cancel->on_cancel([token] { token->cancel(); });
            // Even a call that would need no request (credentials still fresh) is refused.
            if (token->is_cancelled()) throw CancelledError("cancelled before it started");
            body(token);
        } catch (...) {
            error = std::current_exception();
        }
    }
    if (interrupted) throw std::move(*interrupted);
    if (error) std::rethrow_exception(error);
}

std::chrono::milliseconds milliseconds_from_seconds(double seconds, const char* what) {
    if (!std::isfinite(seconds) || seconds < 0) {
        throw InvalidArgumentError(std::string(what) + " must be a finite number of seconds >= 0");
    }
    const double ms = std::ceil(seconds * 1000.0);
    if (ms > static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
        throw InvalidArgumentError(std::string(what) + " is too large");
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

CallOptions call_options(std::optional<double> timeout_seconds, const std::shared_ptr<CancellationToken>& token) {
    CallOptions options;
    if (timeout_seconds) options.timeout = milliseconds_from_seconds(*timeout_seconds, "timeout");
    options.cancel = token;
    return options;
}

double unix_seconds(WallTime t) noexcept {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

WallTime wall_time_from_unix(double seconds) {
    if (!std::isfinite(seconds)) throw InvalidArgumentError("a time must be finite");
    return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::duration<double>(seconds)));
}

void init_blocking(py::module_& m) {
    main_thread_ident = py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();

    py::class_<CancellationToken, Cancel>(m, "CancelToken", R"doc(A handle that cancels blocking calls from another thread.

Pass it as ``cancel=`` to any blocking call; ``cancel()`` (from any thread) makes the call
end at once with CancelledError, and any later call given this token raises CancelledError
without starting. Cancelling is final: make a new token for new work. A call whose own token
refresh is on the wire sees it through first (the new credentials are stored), then raises.)doc")
        .def(py::init<>())
        .def("cancel", &CancellationToken::cancel, py::call_guard<py::gil_scoped_release>(),
             "Cancels every call given this token, now and later. Idempotent; safe from any thread.")
        .def_property_readonly("cancelled", &CancellationToken::is_cancelled, "True once cancel() was called.")
        .def("__repr__", [](const CancellationToken& t) {
            return std::string(t.is_cancelled() ? "<CancelToken cancelled>" : "<CancelToken>");
        });
}

}  // namespace calbridge::python
