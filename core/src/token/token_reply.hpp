// Reading the token endpoints' replies, tolerant of what real servers send (docs/PROTOCOL.md §6):
// JSON labelled text/plain, an "error" object with status 200, an HTML error page from a
// proxy. Internal to the core.
#pragma once

#include <calbridge/credentials.hpp>
#include <calbridge/transport.hpp>

#include "token/token_request.hpp"

#include <string_view>

namespace calbridge::detail {

// The credentials of a token reply, or the error it means:
//  - an RFC 6749 §5.2 error object, whatever the status (200 included): the OAuth error;
//  - a 401 without one: InvalidClientError (only the client authenticates to this endpoint);
//  - another error status: that status's error, with a redacted excerpt of the body;
//  - 2xx that is not a JSON object with an access_token: ProtocolError, with an excerpt.
// The Content-Type is not checked: the body decides.
Credentials read_token_reply(const TokenRequest& request, const HttpResponse& response, WallTime requested_at,
                             std::string_view doing);

// A revoke reply: any 2xx is success (the body is not read); errors as above.
void read_revoke_reply(const TokenRequest& request, const HttpResponse& response, WallTime now,
                       std::string_view doing);

// A refresh reply may leave out what did not change: the refresh token (when tokens do not
// rotate), the scope (RFC 6749 §5.1), the account. Those are taken from `previous`.
Credentials carry_over(Credentials fresh, const Credentials& previous);

}  // namespace calbridge::detail
