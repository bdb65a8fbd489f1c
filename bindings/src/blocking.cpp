// Blocking calls: the GIL released for their whole length, and Ctrl-C still heard.
#include "bindings.hpp"

#include <calbridge/errors.hpp>

#include <pythread.h>

#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include <sys/types.h>
#include <unistd.h>

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

namespace {

// The thread that runs the main thread's calls: one, started on first use and kept, so that a
// call pays a hand-off (tens of microseconds) rather than a thread start, and its connections'
// per-thread state stays warm. The main thread is one thread, so one helper is enough: a call
// that a callback makes from the helper runs on the helper itself (it is not the main thread).
class MainThreadHelper {
public:
    static MainThreadHelper& instance() {
        // Never destroyed: the helper thread lives as long as the process. After a fork, the
        // child has no helper thread, so it makes its own.
        static std::mutex make_mutex;
        static MainThreadHelper* helper = nullptr;
        std::lock_guard lock(make_mutex);
        if (helper == nullptr || helper->pid_ != ::getpid()) helper = new MainThreadHelper();
        return *helper;
    }

    // Runs `job` on the helper thread; returns once it has finished. `wait_slice` is called on
    // this thread every signal_check_interval while the job runs (GIL released throughout).
    void run(const std::function<void()>& job, const std::function<void()>& wait_slice) {
        std::unique_lock lock(mutex_);
        job_ = &job;
        done_ = false;
        job_cv_.notify_one();
        while (!done_cv_.wait_for(lock, signal_check_interval, [&] { return done_; })) {
            lock.unlock();
            wait_slice();
            lock.lock();
        }
        job_ = nullptr;
    }

private:
    MainThreadHelper() : pid_(::getpid()) {
        std::thread([this] { loop(); }).detach();
    }

    void loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            job_cv_.wait(lock, [&] { return job_ != nullptr && !done_; });
            const std::function<void()>* job = job_;
            lock.unlock();
            (*job)();  // never throws: run_blocking_impl's job catches everything
            lock.lock();
            done_ = true;
            done_cv_.notify_all();
        }
    }

    const pid_t pid_;
    std::mutex mutex_;
    std::condition_variable job_cv_;
    std::condition_variable done_cv_;
    const std::function<void()>* job_ = nullptr;
    bool done_ = true;
};

}  // namespace

void run_blocking_impl(const std::function<void(const std::shared_ptr<CancellationToken>&)>& body) {
    auto token = std::make_shared<CancellationToken>();
    // A call from a Python signal handler, which runs inside another call's signal check, runs
    // on the main thread itself: the helper is busy with the call it interrupted.
    static bool main_thread_call_running = false;  // touched by the main thread only
    if (!on_main_thread() || main_thread_call_running) {
        py::gil_scoped_release release;
        body(token);
        return;
    }
    main_thread_call_running = true;
    struct Reset {
        ~Reset() { main_thread_call_running = false; }
    } reset;

    std::exception_ptr error;
    const std::function<void()> job = [&] {
        try {
            body(token);
        } catch (...) {
            error = std::current_exception();
        }
    };
    std::optional<py::error_already_set> interrupted;
    const std::function<void()> check_signals = [&] {
        if (interrupted) return;  // cancelled already: wait for the call to wind down
        {
            py::gil_scoped_acquire gil;
            if (PyErr_CheckSignals() != 0) interrupted.emplace();  // takes the handler's exception
        }
        if (interrupted) token->cancel();
    };
    {
        py::gil_scoped_release release;
        MainThreadHelper::instance().run(job, check_signals);
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
    (void)m;
}

}  // namespace calbridge::python
