// From a request to a response: target parsing, admin authentication, fault injection,
// counting, and the choice of endpoint family.
#pragma once

#include "endpoints.hpp"

namespace calbridge::sandbox {

class Router {
public:
    Router(State& state, Counters& counters, ServiceInfo info);

    // Thread-safe; never throws (an exception becomes a 500).
    Response handle(Request& request);

    const ServiceInfo& info() const noexcept { return info_; }

private:
    Response dispatch(Context& ctx, const Request& request);

    State& state_;
    Counters& counters_;
    ServiceInfo info_;
};

}  // namespace calbridge::sandbox
