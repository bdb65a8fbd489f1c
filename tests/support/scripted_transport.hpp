// A Transport that plays a script: each request must be the next expected one (method, URL,
// headers, body), and gets the scripted reply or error. Requests that do not match are recorded
// as failures and answered with an InternalError; tests assert failures() on the main thread
// (Catch2 v2's assertions are not thread-safe), after joining their threads.
//
// A step can hold its reply until something happens (e.g. until 64 callers are waiting), and the
// transport counts requests in flight, so concurrency tests can prove the overlap they claim.
// When the script is exhausted, an optional fallback answers (a simulated server). Thread-safe.
#pragma once

#include <calbridge/transport.hpp>

#include "support/sync.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace calbridge::testing {

struct Step {
    std::string method;
    std::string url;
    std::vector<HttpHeader> headers;  // each must be present with exactly this value
    bool only_these_headers = false;  // and no other header may be
    std::optional<std::string> body;  // exactly this, when set

    HttpResponse reply;
    std::function<HttpResponse(const HttpRequest&)> respond;  // computes the reply; wins over `reply`
    std::exception_ptr error;                                 // thrown instead of any reply
    // Runs before the reply, outside the transport's lock; false means it gave up waiting (a
    // test failure, recorded).
    std::function<bool()> hold;
    // After the hold, a call cancelled meanwhile gets CancelledError instead of the reply, as
    // from a real transport that abandons the exchange (the server has processed it).
    bool abandon_when_cancelled = false;
    std::size_t times = 1;  // matches this many consecutive requests
};

class ScriptedTransport final : public Transport {
public:
    ScriptedTransport& expect(Step step);
    void set_fallback(std::function<HttpResponse(const HttpRequest&)> server);

    HttpResponse send(const HttpRequest& request, const CallContext& ctx) override;

    std::vector<std::string> failures() const;
    std::size_t unused_steps() const;            // steps (counting repeats) not reached
    std::vector<HttpRequest> requests() const;   // every request, in arrival order
    std::vector<CallContext> contexts() const;   // their call contexts
    std::size_t max_in_flight() const;

    // Blocks until `n` requests have been inside send() at the same time (now or earlier: a
    // high-water mark, so that threads released by the n-th arrival cannot miss it); false on
    // timeout.
    bool wait_for_in_flight(std::size_t n, std::chrono::milliseconds timeout = sync_timeout);

    // A `hold` for Step: waits until `n` requests have been in flight at once.
    std::function<bool()> hold_until_in_flight(std::size_t n);

private:
    void fail(std::string message);

    mutable std::mutex mutex_;
    std::condition_variable in_flight_changed_;
    std::deque<Step> script_;
    std::function<HttpResponse(const HttpRequest&)> fallback_;
    std::vector<std::string> failures_;
    std::vector<HttpRequest> requests_;
    std::vector<CallContext> contexts_;
    std::size_t in_flight_ = 0;
    std::size_t max_in_flight_ = 0;
};

// A reply with a status, a body, and headers.
HttpResponse reply(int status, std::string body = {}, std::vector<HttpHeader> headers = {});
// The same with Content-Type: application/json.
HttpResponse json_reply(int status, std::string body, std::vector<HttpHeader> headers = {});

}  // namespace calbridge::testing
