// One request and its response over an open transport connection (the exchange): the request
// as Beast writes it, the response read with the transport's size limits, a status checked to
// lie in 100..599, and how much of the request may have reached the server, which decides
// whether a failed request may be sent again (ErrorDetails::request_sent; a token request is
// retried only when nothing was sent).
//
// Synchronous Beast operations over the non-blocking socket (waiting_socket.hpp): the exchange
// waits, with one ppoll per round trip, only when the socket is not ready, and a failed wait
// (deadline, cancellation) closes the connection, so no later request can read a stale
// response.
#pragma once

#include "http/call_interrupt.hpp"
#include "http/target.hpp"

#include <calbridge/transport.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <string>

namespace calbridge::http {

struct Connection;

using WireRequest = boost::beast::http::request<boost::beast::http::string_body>;

// `request` as sent to `target`: Host from the target, the caller's headers but those the
// transport frames itself (Host, Content-Length, Connection, Transfer-Encoding), User-Agent
// `user_agent` unless the caller gave one, Content-Length from the body. Throws
// InvalidArgumentError for a method or header name that is not an HTTP token, a header value
// with a line break or NUL, and CONNECT; the message never quotes a header value.
WireRequest build_request(const HttpRequest& request, const Target& target, const std::string& user_agent);

struct ResponseLimits {
    std::size_t max_header_bytes = 0;
    std::size_t max_body_bytes = 0;
};

struct ExchangeResult {
    bool stale = false;     // a reused connection the server had closed: try a fresh one
    bool sent = false;      // with `stale`: bytes of the request were written
    bool reusable = false;  // the connection may go back to the pool
    HttpResponse response;  // without `stale`
};

// Writes `req` on `c` and reads its response (skipping up to 7 informational ones) before the
// call's deadline. On a `reused` connection with `may_retry`, a failure that says the server had
// closed it returns `stale` instead of throwing: before any byte went out for every method,
// with nothing of a response read for the retry-safe ones (util/http_method.hpp). Throws
// TimeoutError, CancelledError, ConnectionError, or ProtocolError (a response over the limits,
// malformed, or with a status outside 100..599), with request_sent false only when no byte of
// the request was written.
ExchangeResult exchange(Connection& c, const WireRequest& req, const Target& target, const ResponseLimits& limits,
                        bool reused, bool may_retry, CallInterrupt& call);

}  // namespace calbridge::http
