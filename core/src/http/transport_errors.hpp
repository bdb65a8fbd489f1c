// Error details of the transport's errors: whether any byte of the request may have left.
#pragma once

#include <calbridge/errors.hpp>

namespace calbridge::http {

inline ErrorDetails request_sent(bool sent) {
    ErrorDetails details;
    details.request_sent = sent;
    return details;
}

}  // namespace calbridge::http
