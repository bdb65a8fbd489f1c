// One request and its response over an open connection (exchange.hpp).
#include "http/exchange.hpp"

#include "http/connection.hpp"
#include "http/transport_errors.hpp"
#include "util/ascii.hpp"
#include "util/http_method.hpp"

#include <calbridge/errors.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

namespace calbridge::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr std::size_t kMaxInformationalResponses = 8;

bool is_connection_closed(const error_code& ec) noexcept {
    return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
           ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset ||
           ec == asio::error::connection_aborted || ec == asio::error::broken_pipe;
}

bool is_http_parse_error(const error_code& ec) noexcept {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category();
}

bool is_token(std::string_view s) noexcept {
    static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
        return detail::is_ascii_alnum(ch) || specials.find(ch) != std::string_view::npos;
    });
}

bool is_field_value(std::string_view s) noexcept {
    return std::none_of(s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; });
}

}  // namespace

WireRequest build_request(const HttpRequest& request, const Target& target, const std::string& user_agent) {
    if (!is_token(request.method)) throw InvalidArgumentError("request method is not an HTTP token");
    WireRequest req;
    const auto verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown || verb == bhttp::verb::connect) {
        if (verb == bhttp::verb::connect) throw InvalidArgumentError("CONNECT is not a request calbridge sends");
        req.method_string(request.method);
    } else {
        req.method(verb);
    }
    req.target(target.request_target);
    req.version(11);
    req.set(bhttp::field::host, target.host_header);
    bool has_user_agent = false;
    for (const auto& h : request.headers) {
        // Values are not quoted in these messages: an Authorization header is a secret.
        if (!is_token(h.name)) throw InvalidArgumentError("request header name is not an HTTP token");
        if (!is_field_value(h.value)) {
            throw InvalidArgumentError("request header " + h.name + " contains a line break or NUL");
        }
        // Framing and routing are the transport's.
        if (detail::iequals(h.name, "Host") || detail::iequals(h.name, "Content-Length") || detail::iequals(h.name, "Connection") ||
            detail::iequals(h.name, "Transfer-Encoding")) {
            continue;
        }
        if (detail::iequals(h.name, "User-Agent")) has_user_agent = true;
        req.insert(h.name, h.value);
    }
    if (!has_user_agent) req.set(bhttp::field::user_agent, user_agent);
    req.body() = request.body;
    req.prepare_payload();
    return req;
}

ExchangeResult exchange(Connection& c, const WireRequest& req, const Target& target, const ResponseLimits& limits,
                        bool reused, bool may_retry, CallInterrupt& call) {
    const bool idempotent =
        detail::is_retry_safe_method(std::string_view(req.method_string().data(), req.method_string().size()));

    WaitingSocket& socket = c.waiting_socket();
    WaitingSocket::Scope io(socket, call);
    error_code ec;
    if (!c.socket().non_blocking()) c.socket().non_blocking(true, ec);
    if (ec) throw ConnectionError("cannot use the connection to " + target.origin + ": " + ec.message(), request_sent(false));
    const std::uint64_t written_before = socket.bytes_written();
    c.with_stream([&](auto& stream) { bhttp::write(stream, req, ec); });
    if (socket.cancelled()) throw CancelledError("cancelled while sending to " + target.origin, request_sent(true));
    if (socket.timed_out()) throw TimeoutError("timed out sending the request to " + target.origin, request_sent(true));
    if (ec) {
        const bool nothing_sent = socket.bytes_written() == written_before;
        if (reused && may_retry && (nothing_sent || idempotent)) return ExchangeResult{true, !nothing_sent, false, {}};
        throw ConnectionError("connection to " + target.origin + " lost while sending the request: " + ec.message(),
                              request_sent(!nothing_sent));
    }
    socket.expect_reply();

    const bool head = req.method() == bhttp::verb::head;
    for (std::size_t informational = 0;; ++informational) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, 1u << 30)));
        parser.body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
        if (head) parser.skip(true);
        ec = {};
        c.with_stream([&](auto& stream) { bhttp::read(stream, c.buffer, parser, ec); });
        if (socket.cancelled()) throw CancelledError("cancelled while waiting for " + target.origin, request_sent(true));
        if (socket.timed_out()) {
            throw TimeoutError("timed out waiting for the response of " + target.origin, request_sent(true));
        }
        if (ec) {
            const bool nothing_received = informational == 0 && !parser.got_some() && c.buffer.size() == 0;
            if (nothing_received && reused && may_retry && idempotent && is_connection_closed(ec)) {
                return ExchangeResult{true, true, false, {}};
            }
            if (ec == bhttp::error::header_limit) {
                throw ProtocolError("the response header of " + target.origin + " exceeds " +
                                        std::to_string(limits.max_header_bytes) + " bytes",
                                    request_sent(true));
            }
            if (ec == bhttp::error::body_limit) {
                throw ProtocolError("the response body of " + target.origin + " exceeds " +
                                        std::to_string(limits.max_body_bytes) + " bytes",
                                    request_sent(true));
            }
            if (is_http_parse_error(ec) && !is_connection_closed(ec)) {
                throw ProtocolError("malformed HTTP response from " + target.origin + ": " + ec.message(),
                                    request_sent(true));
            }
            throw ConnectionError(std::string("connection to ") + target.origin +
                                      (nothing_received ? " closed before the response: " : " closed mid-response: ") +
                                      ec.message(),
                                  request_sent(true));
        }
        auto& res = parser.get();
        const unsigned status = res.result_int();
        // Beast takes any three digits; RFC 9110 §15 allows 100 to 599 ("024" was read as 24).
        if (status < 100 || status > 599) {
            throw ProtocolError("malformed HTTP response from " + target.origin + ": status " + std::to_string(status) +
                                    " is outside 100 to 599",
                                request_sent(true));
        }
        if (status >= 100 && status < 200 && status != 101) {
            // 100 Continue, 103 Early Hints: the real response follows.
            if (informational + 1 >= kMaxInformationalResponses) {
                throw ProtocolError("too many informational responses from " + target.origin, request_sent(true));
            }
            continue;
        }
        ExchangeResult ex;
        ex.response.status = static_cast<int>(status);
        for (const auto& field : res) {
            ex.response.headers.push_back(HttpHeader{std::string(field.name_string()), std::string(field.value())});
        }
        ex.response.body = std::move(res.body());
        // Only a response whose end the parser knew without EOF, and nothing after it.
        ex.reusable = !res.need_eof() && status != 101 && c.buffer.size() == 0;
        return ex;
    }
}

}  // namespace calbridge::http
