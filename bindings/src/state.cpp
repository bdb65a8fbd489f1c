// StateSigner: signed, expiring states that any worker holding the key can verify
// (calbridge/state.py builds the friendly API on top of this).
#include "bindings.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <string>
#include <utility>

namespace calbridge::python {

namespace {

// The time source: the system clock, or a Python callable giving Unix seconds (tests move it
// instead of sleeping). Called with the GIL held: the signer is only used from Python calls.
WallClock signer_clock(py::object clock) {
    if (clock.is_none()) return system_wall_clock();
    PyRef shared = share(std::move(clock));
    return [shared]() {
        py::gil_scoped_acquire gil;
        return wall_time_from_unix((*shared)().cast<double>());
    };
}

std::chrono::seconds lifetime_seconds(long long seconds) {
    if (seconds <= 0) throw InvalidArgumentError("max_age must be at least one second");
    return std::chrono::seconds(seconds);
}

}  // namespace

void init_state(py::module_& m) {
    // The key never comes back out: no property, no repr, no pickling.
    py::class_<StateSigner>(m, "StateSigner")
        .def(py::init([](const py::bytes& key, py::object clock) {
                 return StateSigner(Secret(std::string(key)), signer_clock(std::move(clock)));
             }),
             py::arg("key"), py::kw_only(), py::arg("clock"))
        .def("issue",
             [](const StateSigner& s, std::string_view binding, long long lifetime, std::string_view app_data) {
                 return s.issue(binding, lifetime_seconds(lifetime), app_data);
             },
             py::arg("binding"), py::kw_only(), py::arg("lifetime"), py::arg("app_data"))
        .def("verify",
             [](const StateSigner& s, std::string_view state, std::string_view binding) {
                 StateSigner::Verified verified = s.verify(state, binding);
                 return py::make_tuple(py::bytes(verified.app_data), unix_seconds(verified.expires_at));
             },
             py::arg("state"), py::arg("binding"));
}

}  // namespace calbridge::python
