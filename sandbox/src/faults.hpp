// Fault injection: "for the next N requests matching this method and path, misbehave like
// this". The rules are set through the admin API; the router asks for a matching rule on every
// non-admin request, and the server carries out the wire-level ones (delay, close, truncate).
#pragma once

#include "request.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge::sandbox {

enum class FaultKind {
    status,              // reply with `status`, `body`, `content_type`, `headers`
    delay,               // reply normally after `delay_ms`
    close,               // close the connection without replying
    truncate,            // send the headers and half the body, then close
    malformed_json,      // the body cut in half, still labelled JSON
    json_as_text_plain,  // the real body labelled text/plain
    html_error,          // a proxy's HTML error page (502 unless `status` says otherwise)
    error_in_200,        // 200 with {"error": ...}
    expires_in_string,   // token response: "expires_in": "3600"
    omit_expires_in,     // token response without expires_in
    omit_refresh_token,  // token response without refresh_token
};

struct Fault {
    std::uint64_t id = 0;
    std::string method = "*";  // or "GET", "POST", ...
    std::string path;          // exact, or a prefix ending in '*'
    int remaining = 1;         // requests it still applies to
    FaultKind kind = FaultKind::status;
    int status = 0;            // 0: the kind's default
    std::string body;
    std::string content_type;
    std::vector<Header> headers;
    std::chrono::milliseconds delay{0};  // before replying, with any kind
    bool process = false;      // run the real endpoint first (its effects happen)
};

// Reads {"method", "path", "count", "kind", "status", "body", "content_type", "headers",
// "delay_ms", "process"}; throws InputError.
Fault read_fault(const boost::json::object& o);
boost::json::object write_fault(const Fault& f);

class Faults {
public:
    std::uint64_t add(Fault fault);
    bool remove(std::uint64_t id);
    void clear();
    std::vector<Fault> list() const;
    // The first rule matching, with one use taken from it.
    std::optional<Fault> take(std::string_view method, std::string_view path);

    // For the counter of applied faults: the router calls applied() after counting a match;
    // wait_applied() returns once `counter` is at least `count`, or after `timeout`, with the
    // counter's value then (GET /admin/counters?faults_applied=N&wait_ms=T).
    void applied();
    std::uint64_t wait_applied(const std::atomic<std::uint64_t>& counter, std::uint64_t count,
                               std::chrono::milliseconds timeout) const;

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable applied_;
    std::vector<Fault> faults_;
    std::uint64_t next_id_ = 1;
};

// The response a fault gives instead of the endpoint's (process == false), or what it does to
// the endpoint's response (process == true).
Response fault_response(const Fault& fault);
void apply_fault(const Fault& fault, Response& response);

}  // namespace calbridge::sandbox
