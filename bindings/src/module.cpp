// calbridge._core: the C++ core for Python. The public API is the calbridge package, which
// wraps this module (calbridge/_core.pyi describes it).
#include "bindings.hpp"

#include <calbridge/version.hpp>

PYBIND11_MODULE(_core, m) {
    namespace cp = calbridge::python;
    m.doc() = "The calbridge C++ core (internal: use the calbridge package).";
    m.attr("__version__") = calbridge::version();
    cp::init_blocking(m);
    cp::init_errors(m);
    cp::init_credentials(m);
    cp::init_store(m);
    cp::init_log(m);
    cp::init_client(m);
    cp::init_state(m);
    cp::init_session(m);
    cp::init_scheduling(m);
    cp::init_push(m);
}
