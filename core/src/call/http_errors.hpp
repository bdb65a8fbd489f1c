// From an HTTP reply with an error status to the typed error docs/PROTOCOL.md §6 gives it.
// Internal to the core.
#pragma once

#include <calbridge/clock.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include "log/redactor.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace calbridge::detail {

// How an error message names a request: "GET /v1/calendars" (the path only: the host is the
// configuration's, and a query is nobody's business in an exception). The credential of the
// request's Authorization header is scrubbed out: a path can come from the server (a
// next_page), and a server could put the bearer token into it.
std::string describe(const HttpRequest& request);

// How the trace log names a request: its method and whole URL, with the credential of its
// Authorization header scrubbed out as in describe().
std::string describe_in_full(const HttpRequest& request);

// The field errors of a 422 body, {"errors": {"field": [{"key", "description"}]}}, in the
// order the server gave them; empty when the body is not of that shape.
std::vector<FieldError> read_field_errors(std::string_view body);

// The details every error from a reply carries: the status, and Retry-After when the reply has
// a readable one.
ErrorDetails reply_details(const HttpResponse& response, WallTime now);

// Throws the error for `response.status` (a status the caller did not expect, including a
// 3xx: redirects are never followed): 422 with its field errors, 429 with its retry-after, and
// for any other a short redacted excerpt of the body, so that an HTML page from a proxy still
// says what happened.
[[noreturn]] void throw_http_error(const HttpRequest& request, const HttpResponse& response,
                                   const Redactor& redactor, WallTime now);

}  // namespace calbridge::detail
