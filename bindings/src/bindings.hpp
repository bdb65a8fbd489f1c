// What the units of calbridge._core share: their init functions, running a blocking call, and
// holding Python objects from C++ code that may run without the GIL.
#pragma once

#include <calbridge/session.hpp>
#include <calbridge/transport.hpp>

#include <pybind11/pybind11.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace calbridge::python {

namespace py = pybind11;

void init_blocking(py::module_& m);
void init_errors(py::module_& m);
void init_credentials(py::module_& m);
void init_store(py::module_& m);
void init_log(py::module_& m);
void init_client(py::module_& m);
void init_state(py::module_& m);
void init_session(py::module_& m);
void init_scheduling(py::module_& m);  // after init_client and init_session
void init_push(py::module_& m);

// True while the interpreter shuts down: no thread but the finalizing one may take the GIL
// then, so C++ code that would take it to drop a Python object leaks the object instead.
bool interpreter_finalizing() noexcept;

// A Python object owned from C++ (a store, a callback, the logger) that core code may copy and
// destroy on any thread, with or without the GIL: the last owner takes the GIL to drop it.
using PyRef = std::shared_ptr<py::object>;
PyRef share(py::object object);

// A call's cancellation handle as Python passes it (calbridge.CancelToken; null for None).
using Cancel = std::shared_ptr<CancellationToken>;

// Runs `body` on the calling thread with the GIL released, giving it a cancellation token for
// the call.
//
// `cancel` (may be null) is the caller's CancelToken: cancelling it from any thread cancels
// the call's token, so the call ends at once with CancelledError; when it is cancelled
// already, the call raises CancelledError without starting. One CancelToken may serve several
// calls.
//
// On the main thread, where Python handles signals, the token carries a poll hook
// (CancellationToken::poll_while_waiting): while the call waits, every 50 ms, the hook takes
// the GIL and runs PyErr_CheckSignals(). When a signal handler raises (Ctrl-C:
// KeyboardInterrupt), the token is cancelled, the call ends with CancelledError, and the
// handler's exception is what the caller sees. On any other thread there is no hook (signals
// are never handled there).
void run_blocking_impl(const Cancel& cancel, const std::function<void(const Cancel&)>& body);

template <class F>
auto run_blocking(const Cancel& cancel, F&& fn) {
    using Result = std::invoke_result_t<F&, const Cancel&>;
    if constexpr (std::is_void_v<Result>) {
        run_blocking_impl(cancel, [&](const Cancel& token) { fn(token); });
    } else {
        std::optional<Result> result;
        run_blocking_impl(cancel, [&](const Cancel& token) { result.emplace(fn(token)); });
        return std::move(*result);
    }
}

// CallOptions for one call: its timeout in seconds (None: the client's request timeout) and
// the token run_blocking hands out.
CallOptions call_options(std::optional<double> timeout_seconds, const std::shared_ptr<CancellationToken>& token);

// Seconds (a float) to a duration, rejecting negative and non-finite values.
std::chrono::milliseconds milliseconds_from_seconds(double seconds, const char* what);

// Wall time <-> Unix seconds (a float), the form the Python layer turns into an aware datetime.
double unix_seconds(WallTime t) noexcept;
WallTime wall_time_from_unix(double seconds);

}  // namespace calbridge::python

namespace calbridge {
class TokenStore;
}

namespace calbridge::python {

// The store a Client uses: a native store (memory, file, SQLite, PostgreSQL) as it is, or any
// Python object with load/insert/save/replace/remove speaking in _core.Credentials (the
// calbridge.stores adapter), called with the GIL taken inside each call only; with the refresh
// lease when the object also has claim/renew/release/mark_reauthorization_required (and
// waiting when it has wait_for_change).
std::shared_ptr<TokenStore> store_from_python(const py::object& store);

}  // namespace calbridge::python

#include <calbridge/log.hpp>

namespace calbridge::python {

// A LogSink that hands each line to `logger` (a logging.Logger) at the matching level,
// taking the GIL for it (lines are already redacted by the core), and the threshold that
// follows the logger's effective level (isEnabledFor) as refresh_log_thresholds() last saw it.
struct PythonLog {
    LogSink sink;
    LogThreshold threshold;
};
PythonLog make_python_log(py::object logger);

// With the GIL held, at the start of every call: brings each Client's threshold up to date
// with logging's configuration. One dictionary lookup per logger while nothing changed.
void refresh_log_thresholds() noexcept;

}  // namespace calbridge::python
