// Error details of the transport's errors: whether any byte of the request may have left.
#pragma once

#include <calbridge/errors.hpp>

namespace calbridge::http {

inline ErrorDetails request_sent(bool sent) {
    ErrorDetails details;
    details.request_sent = sent;
    return details;
}

// A failure that sending again cannot cure (ErrorDetails::retryable); nothing was sent.
inline ErrorDetails permanent_failure() {
    ErrorDetails details = request_sent(false);
    details.retryable = false;
    return details;
}

}  // namespace calbridge::http
