// RFC 6749 §5.2 error replies from the token endpoints. Internal to the core.
#pragma once

#include "log/redactor.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace calbridge::detail {

struct OAuthErrorReply {
    std::string error;
    std::string description;
    std::string uri;
};

// The error of a reply body that is a JSON object with a string "error" (whatever the status
// and Content-Type: real servers send it with 200 and as text/plain); std::nullopt otherwise.
std::optional<OAuthErrorReply> read_oauth_error(std::string_view body);

// invalid_client → InvalidClientError (a configuration error: never a reason to refresh or
// retry), invalid_grant → InvalidGrantError, any other → BadRequestError; each carrying the
// status and the §5.2 fields, redacted and shortened.
[[noreturn]] void throw_oauth_error(const OAuthErrorReply& reply, int http_status, std::string_view doing,
                                    const Redactor& redactor);

}  // namespace calbridge::detail
