// Errors raised inside Python callbacks (a token store, on_refresh) on their way through the
// core: a core error the core understands, carrying the Python exception, which becomes the
// __cause__ of the calbridge exception the caller sees.
#pragma once

#include "bindings.hpp"

#include <calbridge/errors.hpp>

#include <string>
#include <utility>

namespace calbridge::python {

struct HasPythonCause {
    PyRef cause;  // the exception instance
};

template <class Base>
class ErrorWithPythonCause : public Base, public HasPythonCause {
public:
    ErrorWithPythonCause(const std::string& message, PyRef python_cause) : Base(message) {
        cause = std::move(python_cause);
    }
};

// "KeyError: 'acc_1'": the exception's type and text, for the core error's message.
// Call with the GIL held.
std::string describe_python_error(const py::error_already_set& error);

// Throws Error (e.g. StoreError) with `what` and the Python exception described, keeping the
// exception as the cause. Call with the GIL held, from inside the catch of the Python error.
template <class Error>
[[noreturn]] void throw_with_python_cause(const std::string& what, const py::error_already_set& error) {
    throw ErrorWithPythonCause<Error>(what + " raised " + describe_python_error(error), share(error.value()));
}

}  // namespace calbridge::python
