// One deadline and one retry budget per logical call, shared by the refresh, the retry after a
// 401, transport retries and Retry-After waits; retries only where sending twice is harmless;
// cancellation from another thread. All on a test clock: nothing here sleeps.
#include "support/catch.hpp"

#include "client_fixture.hpp"
#include "support/sync.hpp"
#include "util/http_method.hpp"

#include <ctime>
#include <thread>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

std::exception_ptr connection_error(bool request_sent) {
    ErrorDetails details;
    details.request_sent = request_sent;
    return std::make_exception_ptr(ConnectionError("connection reset by peer", details));
}

Step failing(Step step, std::exception_ptr error) {
    step.error = std::move(error);
    return step;
}

// "Sat, 28 Nov 2026 00:00:05 GMT" for the fixture's clock + 5 s.
std::string imf_fixdate(WallTime t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buffer;
}

ClientOptions with_timeout(std::chrono::milliseconds timeout) {
    ClientOptions o = test_options();
    o.timeouts.request = timeout;
    return o;
}

}  // namespace

TEST_CASE("429 with Retry-After: 1 waits one second, then the call succeeds", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    f.transport->expect(calendars_step("at-1", reply(429, "", {{"Retry-After", "1"}})));
    f.transport->expect(calendars_step("at-1"));

    CHECK(session.calendars().empty());

    CHECK(f.clock.waits() == std::vector<std::chrono::milliseconds>{1000ms});
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("429 with Retry-After as an HTTP date waits until that date", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    f.transport->expect(calendars_step("at-1", reply(429, "", {{"Retry-After", imf_fixdate(f.clock.wall() + 5s)}})));
    f.transport->expect(calendars_step("at-1"));

    session.calendars();

    CHECK(f.clock.waits() == std::vector<std::chrono::milliseconds>{5000ms});
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("429 with a Retry-After beyond the deadline fails at once, carrying the retry-after", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    f.transport->expect(calendars_step("at-1", reply(429, "", {{"Retry-After", "31"}})));

    const auto e = thrown_by<RateLimitedError>([&] { session.calendars(); });

    CHECK(e.retry_after() == 31s);
    CHECK(e.http_status() == 429);
    CHECK(f.clock.waits().empty());
    CHECK(f.transport->requests().size() == 1);
}

TEST_CASE("Retry-After waits come out of one deadline: the second wait that no longer fits fails", "[call]") {
    Fixture f(with_timeout(10s));
    const Session session = stored_session(f);
    f.transport->expect(calendars_step("at-1", reply(429, "", {{"Retry-After", "6"}})));
    f.transport->expect(calendars_step("at-1", reply(429, "", {{"Retry-After", "6"}})));

    const auto e = thrown_by<RateLimitedError>([&] { session.calendars(); });

    CHECK(e.retry_after() == 6s);
    CHECK(f.clock.waits() == std::vector<std::chrono::milliseconds>{6000ms});
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("the refresh and the Retry-After wait share the call's deadline", "[call]") {
    Fixture f(with_timeout(30s));
    const Session session = stored_session(f, 30s);  // inside the 60 s leeway: refreshed first
    Step refresh = refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2")));
    refresh.respond = [&, answer = refresh.reply](const HttpRequest&) {
        f.clock.advance(25s);  // a slow token endpoint
        return answer;
    };
    f.transport->expect(std::move(refresh));
    f.transport->expect(calendars_step("at-2", reply(429, "", {{"Retry-After", "10"}})));

    const auto e = thrown_by<RateLimitedError>([&] { session.calendars(); });

    CHECK(e.retry_after() == 10s);  // 25 s spent + 10 s would pass the 30 s deadline
    CHECK(f.clock.waits().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("retries stop when the budget is spent, with backoff doubling between them", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    for (int i = 0; i < 4; ++i) f.transport->expect(calendars_step("at-1", reply(503, "busy")));

    const auto e = thrown_by<ServiceUnavailableError>([&] { session.calendars(); });

    CHECK(e.http_status() == 503);
    CHECK(f.transport->requests().size() == 4);  // the request and max_retries = 3 retries
    CHECK(f.clock.waits() == std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms});
}

TEST_CASE("the retry after a 401 comes out of the same budget as the other retries", "[call]") {
    Fixture f(test_options(), [](ClientDependencies& d) { d.retry.max_retries = 1; });
    const Session session = stored_session(f);
    f.transport->expect(calendars_step("at-1", reply(503)));
    f.transport->expect(calendars_step("at-1", reply(401)));

    CHECK_THROWS_AS(session.calendars(), AuthenticationError);

    CHECK(f.transport->requests().size() == 2);  // no refresh, no third request
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("an idempotent call is retried after a dropped connection, even one that had sent", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    f.transport->expect(failing(calendars_step("at-1", {}), connection_error(true)));
    f.transport->expect(calendars_step("at-1"));

    CHECK_NOTHROW(session.calendars());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("a refresh that may have reached the server is not sent again", "[call]") {
    Fixture f;
    const Session session = stored_session(f, 10s);
    f.transport->expect(failing(refresh_step("rt-1", {}), connection_error(true)));

    CHECK_THROWS_AS(session.calendars(), ConnectionError);

    CHECK(f.transport->requests().size() == 1);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a refresh that never left this machine (connect or TLS failure) is sent again", "[call]") {
    Fixture f;
    const Session session = stored_session(f, 10s);
    f.transport->expect(failing(refresh_step("rt-1", {}), connection_error(false)));
    ErrorDetails handshake;
    handshake.request_sent = false;
    f.transport->expect(failing(refresh_step("rt-1", {}), std::make_exception_ptr(TlsError("handshake failed", handshake))));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    f.transport->expect(calendars_step("at-2"));

    CHECK_NOTHROW(session.calendars());

    CHECK(f.transport->unused_steps() == 0);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a POST that is not idempotent is not retried after 503 or 429", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    f.transport->expect(api_step("POST", "/v1/link_tokens", "at-1", reply(503)));
    f.transport->expect(api_step("POST", "/v1/link_tokens", "at-1", reply(429, "", {{"Retry-After", "1"}})));

    CHECK_THROWS_AS(session.create_link_token(), ServiceUnavailableError);
    const auto e = thrown_by<RateLimitedError>([&] { session.create_link_token(); });

    CHECK(e.retry_after() == 1s);
    CHECK(f.clock.waits().empty());
    CHECK(f.transport->unused_steps() == 0);
}

// The one list (util/http_method.hpp) that capi/include/calbridge.h documents: the generic
// request and the transport's stale-connection retry both use it.
TEST_CASE("only GET HEAD PUT and DELETE are retry-safe methods", "[call]") {
    for (const char* method : {"GET", "HEAD", "PUT", "DELETE"}) {
        INFO(method);
        CHECK(detail::is_retry_safe_method(method));
    }
    for (const char* method : {"POST", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get", ""}) {
        INFO(method);
        CHECK_FALSE(detail::is_retry_safe_method(method));
    }
}

TEST_CASE("the generic request retries GET HEAD PUT and DELETE after 503 but not OPTIONS PATCH or POST", "[call]") {
    for (const std::string method : {"GET", "HEAD", "PUT", "DELETE"}) {
        INFO(method);
        Fixture f;
        const Session session = stored_session(f);
        f.transport->expect(api_step(method, "/v1/things", "at-1", reply(503)));
        f.transport->expect(api_step(method, "/v1/things", "at-1", reply(204)));

        CHECK(session.request(method, "/v1/things").empty());
        CHECK(f.transport->unused_steps() == 0);
        CHECK(f.transport->failures().empty());
    }
    for (const std::string method : {"OPTIONS", "PATCH", "POST", "TRACE"}) {
        INFO(method);
        Fixture f;
        const Session session = stored_session(f);
        f.transport->expect(api_step(method, "/v1/things", "at-1", reply(503)));

        CHECK_THROWS_AS(session.request(method, "/v1/things"), ServiceUnavailableError);
        CHECK(f.transport->requests().size() == 1);
        CHECK(f.clock.waits().empty());
    }
}

TEST_CASE("an upsert, idempotent by event_id, is retried after 503", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    const std::string event = R"({"event_id":"ev-1","summary":"s"})";
    Step upsert = api_step("POST", "/v1/calendars/cal_1/events", "at-1", reply(503));
    upsert.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
    upsert.body = event;
    f.transport->expect(upsert);
    upsert.reply = reply(202);
    f.transport->expect(upsert);

    CHECK_NOTHROW(session.upsert_event("cal_1", event));
    CHECK(f.transport->unused_steps() == 0);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("the transport gets the call's deadline and cancellation token", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    const SteadyTime start = f.clock.steady();
    for (int i = 0; i < 3; ++i) f.transport->expect(calendars_step("at-1"));
    auto cancel = std::make_shared<CancellationToken>();

    session.calendars();
    session.calendars(timeout_option(5s, cancel));
    session.calendars(deadline_option(start + 7s));

    const auto contexts = f.transport->contexts();
    REQUIRE(contexts.size() == 3);
    CHECK(contexts[0].deadline == start + 30s);  // the configured request timeout
    CHECK(contexts[0].cancel == nullptr);
    CHECK(contexts[1].deadline == start + 5s);
    CHECK(contexts[1].cancel == cancel);
    CHECK(contexts[2].deadline == start + 7s);
}

TEST_CASE("a call whose deadline has passed, or that is cancelled, sends nothing", "[call]") {
    Fixture f;
    const Session session = stored_session(f);
    auto cancel = std::make_shared<CancellationToken>();
    cancel->cancel();

    CHECK_THROWS_AS(session.calendars(deadline_option(f.clock.steady())), TimeoutError);
    CHECK_THROWS_AS(session.calendars(cancel_option(cancel)), CancelledError);
    CHECK(f.transport->requests().empty());
}

TEST_CASE("cancelling from another thread ends a Retry-After wait at once", "[call]") {
    Gate waiting;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        // A real wait (on the cancellation token), so the cancel has something to interrupt.
        d.waiter = [&](SteadyTime, CancellationToken* cancel) {
            waiting.open();
            return cancel != nullptr && cancel->wait_until(std::chrono::steady_clock::now() + sync_timeout);
        };
    });
    const Session session = stored_session(f);
    f.transport->expect(calendars_step("at-1", reply(429, "", {{"Retry-After", "20"}})));
    auto cancel = std::make_shared<CancellationToken>();

    std::exception_ptr failure;
    std::thread caller([&] {
        try {
            session.calendars(cancel_option(cancel));
        } catch (...) {
            failure = std::current_exception();
        }
    });
    const bool entered = waiting.wait();
    cancel->cancel();
    caller.join();

    REQUIRE(entered);
    REQUIRE(failure);
    CHECK_THROWS_AS(std::rethrow_exception(failure), CancelledError);
    CHECK(f.transport->requests().size() == 1);
}
