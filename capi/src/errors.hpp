// The one place where C++ meets extern "C": every entry point runs its body through guard(),
// which turns exceptions into status codes and keeps the thread-local last-error record.
// Exceptions never cross the C boundary.
#pragma once

#include <calbridge.h>
#include <calbridge/errors.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace calbridge::capi {

// The entry point running on this thread (for argument error messages). Saved and restored,
// because a callback may call back into calbridge.
class EntryPoint {
public:
    explicit EntryPoint(const char* name) noexcept;
    ~EntryPoint();
    EntryPoint(const EntryPoint&) = delete;
    EntryPoint& operator=(const EntryPoint&) = delete;

    static const char* current() noexcept;

private:
    const char* previous_;
};

// Records success (code CALBRIDGE_OK) or the exception being handled, and returns its code.
int record_success(int status) noexcept;
int record_current_exception() noexcept;

// Runs `body` (returning void, or a non-negative status such as CALBRIDGE_DONE) as the entry
// point `name`: its exceptions become a negative status and the thread's last error.
template <class Body>
int guard(const char* name, Body&& body) noexcept {
    EntryPoint entry(name);
    try {
        if constexpr (std::is_void_v<std::invoke_result_t<Body>>) {
            std::forward<Body>(body)();
            return record_success(CALBRIDGE_OK);
        } else {
            return record_success(std::forward<Body>(body)());
        }
    } catch (...) {
        return record_current_exception();
    }
}

// Throws InvalidArgumentError "<entry point>: <what>".
[[noreturn]] void invalid_argument(std::string_view what);

// A required pointer argument: throws InvalidArgumentError naming it when NULL.
template <class T>
T& required(T* pointer, const char* name) {
    if (pointer == nullptr) invalid_argument(std::string(name) + " is NULL");
    return *pointer;
}

// An output pointer: required, and set to its empty value at once, so that it holds nothing
// stale whatever happens next.
template <class T>
T*& output(T** out, const char* name) {
    if (out == nullptr) invalid_argument(std::string(name) + " is NULL");
    *out = nullptr;
    return *out;
}

// A required input string (copied by the caller's use of the returned view).
std::string_view required_string(const char* value, const char* name);
// An optional input string: NULL is "not given".
inline bool given(const char* value) noexcept { return value != nullptr; }
// An optional input string where the core reads "" as "none": NULL is "".
inline std::string_view or_empty(const char* value) noexcept {
    return value == nullptr ? std::string_view() : std::string_view(value);
}

// A versioned options struct: its version must be one this library knows.
void check_version(unsigned int version, unsigned int supported, const char* name);

// A malloc'd, NUL-terminated copy for the caller to free with calbridge_free(). Throws
// std::bad_alloc.
char* copy_out(std::string_view text);

// Overwrites a string from copy_out() with zeros up to its terminating NUL, so that what it
// held (credentials JSON, tokens) does not linger in freed memory; calbridge_free() runs it
// before free(). The wipe cannot be optimised away. NULL is fine.
void wipe_string(char* text) noexcept;

}  // namespace calbridge::capi
