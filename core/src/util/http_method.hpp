// The one rule for which HTTP methods calbridge sends again after a failure that may have
// reached the server: GET, HEAD, PUT and DELETE (idempotent, RFC 9110 §9.2.2, and the methods
// the API uses). Any other method (POST, PATCH, OPTIONS, TRACE, ...) goes again only when the
// request surely never left this machine. capi/include/calbridge.h and calbridge/session.hpp
// document this list; the generic requests (api/generic_request.cpp) and the transport's retry
// of a stale keep-alive connection (http/exchange.cpp) both ask here. Internal to the core.
#pragma once

#include <string_view>

namespace calbridge::detail {

// `method` as sent, upper case ("GET"); the comparison is exact.
constexpr bool is_retry_safe_method(std::string_view method) noexcept {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
}

}  // namespace calbridge::detail
