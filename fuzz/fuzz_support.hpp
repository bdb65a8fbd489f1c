// What the core's fuzz targets share: the checks of fuzz_checks.hpp, and the one rule for
// exceptions: a reader of outside input throws only calbridge::Error, never a standard or
// Boost exception.
#pragma once

#include "fuzz_checks.hpp"

#include <calbridge/errors.hpp>

namespace calbridge::fuzz {

// Runs `f`; calbridge::Error is an answer, anything else escaping is a bug.
template <class F>
void expect_only_calbridge_errors(F&& f) {
    try {
        f();
    } catch (const calbridge::Error&) {
    } catch (const std::exception& e) {
        fail("a non-calbridge exception escaped", e.what());
    }
}

}  // namespace calbridge::fuzz
