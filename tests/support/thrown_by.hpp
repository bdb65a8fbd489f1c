// The exception a piece of test code throws, for assertions on its code, message and details.
#pragma once

#include <stdexcept>

namespace calbridge::testing {

// The exception `body` throws, as `Exception`; a std::logic_error (failing the test) when it
// throws nothing, and the other exception itself when it throws another type.
template <typename Exception, typename Body>
Exception thrown_by(Body&& body) {
    try {
        body();
    } catch (const Exception& e) {
        return e;
    }
    throw std::logic_error("expected an exception of another type, or none was thrown");
}

}  // namespace calbridge::testing
