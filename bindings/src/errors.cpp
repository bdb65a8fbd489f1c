// calbridge::Error → the exception classes of calbridge/errors.py. The classes live in Python
// (so they are ordinary, picklable, documented classes); this translator builds the instance
// through calbridge.errors._from_core, which picks the class by the stable code.
#include "python_errors.hpp"

#include <pybind11/stl.h>

#include <exception>

namespace calbridge::python {

namespace {

py::object details_field_errors(const Error& e) {
    py::list fields;
    for (const FieldError& f : e.field_errors()) {
        fields.append(py::make_tuple(f.field, f.key, f.description));
    }
    return fields;
}

void raise_python(const Error& e) {
    py::object instance;
    try {
        py::object from_core = py::module_::import("calbridge.errors").attr("_from_core");
        py::object retry_after = py::none();
        if (e.retry_after()) retry_after = py::int_(e.retry_after()->count());
        instance = from_core(static_cast<int>(e.code()), py::str(e.what()), e.http_status(), e.oauth_error(),
                             e.oauth_error_description(), e.oauth_error_uri(), retry_after, details_field_errors(e));
    } catch (py::error_already_set& failure) {
        failure.restore();  // the import or the constructor failed: show that instead
        return;
    }
    if (const auto* with_cause = dynamic_cast<const HasPythonCause*>(&e); with_cause && with_cause->cause) {
        PyException_SetCause(instance.ptr(), with_cause->cause->inc_ref().ptr());  // steals the reference
    }
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(instance.ptr())), instance.ptr());
}

}  // namespace

std::string describe_python_error(const py::error_already_set& error) {
    std::string type_name = py::str(error.type().attr("__name__"));
    std::string text;
    try {
        text = py::str(error.value());
    } catch (const py::error_already_set&) {
        text = "<unprintable>";
    }
    return text.empty() ? type_name : type_name + ": " + text;
}

void init_errors(py::module_& m) {
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Error& e) {
            raise_python(e);
        }
    });
    m.def("error_code_name", [](int code) { return std::string(error_code_name(static_cast<ErrorCode>(code))); },
          py::arg("code"), "The stable name of an error code (\"invalid_grant\", ...).");
}

}  // namespace calbridge::python
