// CancellationToken::poll_while_waiting: the hook a caller that can only check for an
// interruption (Python's Ctrl-C) relies on. It runs on the waiting thread, every period, while a
// call waits (a token wait, the network, a free connection), never for a call done sooner, and
// a hook that cancels ends the call with CancelledError.
#include "support/catch.hpp"
#include "tls_test_server.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include <atomic>
#include <thread>

using namespace calbridge;
using namespace calbridge::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// A hook that counts its runs, notes whether each ran on `expected`, and cancels the token on
// run number `cancel_at` (0: never).
struct CountingHook {
    std::thread::id expected = std::this_thread::get_id();
    int cancel_at = 0;
    int runs = 0;
    bool on_other_thread = false;

    void install(CancellationToken& token, std::chrono::milliseconds every) {
        token.poll_while_waiting(every, [this](CancellationToken& t) {
            ++runs;
            if (std::this_thread::get_id() != expected) on_other_thread = true;
            if (runs == cancel_at) t.cancel();
        });
    }
};

HttpRequest get_request(const std::string& url) {
    HttpRequest req;
    req.method = "GET";
    req.url = url;
    return req;
}

}  // namespace

TEST_CASE("a token's poll hook runs every period while wait_until waits, on the waiting thread") {
    auto token = std::make_shared<CancellationToken>();
    CountingHook hook;
    hook.install(*token, 20ms);
    const auto start = Clock::now();
    CHECK_FALSE(token->wait_until(start + 300ms));
    const auto elapsed = Clock::now() - start;
    CHECK(elapsed >= 300ms);
    CHECK(hook.runs >= 3);    // 14 on an idle machine; fewer only if this thread was starved
    CHECK(hook.runs <= 15);   // never more often than every 20 ms
    CHECK_FALSE(hook.on_other_thread);
}

TEST_CASE("a poll hook that cancels ends wait_until early, as cancelled") {
    auto token = std::make_shared<CancellationToken>();
    CountingHook hook;
    hook.cancel_at = 3;
    hook.install(*token, 20ms);
    const auto start = Clock::now();
    CHECK(token->wait_until(start + 10s));
    CHECK(Clock::now() - start < 2s);
    CHECK(hook.runs == 3);
    CHECK(token->is_cancelled());
}

TEST_CASE("a wait shorter than the poll period never runs the hook") {
    auto token = std::make_shared<CancellationToken>();
    CountingHook hook;
    hook.install(*token, 10s);
    CHECK_FALSE(token->wait_until(Clock::now() + 20ms));
    CHECK(hook.runs == 0);
}

TEST_CASE("a poll hook runs while a request waits for a silent server, and never for a quick request") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);  // a pooled connection

    {
        CallContext ctx = within(10s);
        ctx.cancel = std::make_shared<CancellationToken>();
        CountingHook hook;
        hook.install(*ctx.cancel, 2s);
        CHECK(transport->send(get_request(server.url("good", "/echo?quick")), ctx).status == 200);
        CHECK(hook.runs == 0);
    }

    CallContext ctx = within(600ms);
    ctx.cancel = std::make_shared<CancellationToken>();
    CountingHook hook;
    hook.install(*ctx.cancel, 50ms);
    CHECK_THROWS_AS(transport->send(get_request(server.url("good", "/hang?key=poll-hang")), ctx), TimeoutError);
    CHECK(hook.runs >= 3);  // 11 on an idle machine; fewer only if this thread was starved
    CHECK(hook.runs <= 12);
    CHECK_FALSE(hook.on_other_thread);
}

TEST_CASE("a poll hook that cancels ends a request waiting for a silent server with CancelledError") {
    auto& server = TlsTestServer::get();
    auto transport = make_http_transport(test_options());
    REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);

    CallContext ctx = within(10s);
    ctx.cancel = std::make_shared<CancellationToken>();
    CountingHook hook;
    hook.cancel_at = 3;
    hook.install(*ctx.cancel, 50ms);
    const auto start = Clock::now();
    bool cancelled = false;
    try {
        transport->send(get_request(server.url("good", "/hang?key=poll-cancel")), ctx);
    } catch (const CancelledError& e) {
        cancelled = true;
        CHECK(e.details().request_sent);
    }
    const auto elapsed = Clock::now() - start;
    CHECK(cancelled);
    CHECK(hook.runs == 3);
    CHECK(elapsed >= 150ms);
    CHECK(elapsed < 2s);
    // The interrupted connection was closed, not pooled; the transport carries on.
    CHECK(get(*transport, server.url("good", "/echo?after")).status == 200);
    CHECK(transport->stats().connections_opened == 2);
}

TEST_CASE("a poll hook runs while a request waits for a free connection, and cancelling ends that wait") {
    auto& server = TlsTestServer::get();
    auto options = test_options();
    options.max_connections_per_origin = 1;
    auto transport = make_http_transport(options);
    REQUIRE(get(*transport, server.url("good", "/echo")).status == 200);

    // Another thread holds the only connection on a request that hangs until it is cancelled.
    CallContext holder = within(10s);
    holder.cancel = std::make_shared<CancellationToken>();
    std::atomic<bool> holder_cancelled{false};
    std::thread holding([&] {
        try {
            transport->send(get_request(server.url("good", "/hang?key=poll-pool")), holder);
        } catch (const CancelledError&) {
            holder_cancelled = true;
        } catch (...) {
        }
    });
    server.wait_for_hit("poll-pool");  // the connection is taken

    CallContext ctx = within(10s);
    ctx.cancel = std::make_shared<CancellationToken>();
    CountingHook hook;
    hook.cancel_at = 3;
    hook.install(*ctx.cancel, 50ms);
    const auto start = Clock::now();
    bool cancelled = false;
    try {
        transport->send(get_request(server.url("good", "/echo?waiting")), ctx);
    } catch (const CancelledError& e) {
        cancelled = true;
        CHECK_FALSE(e.details().request_sent);  // it never had a connection
    }
    const auto elapsed = Clock::now() - start;
    holder.cancel->cancel();
    holding.join();
    CHECK(cancelled);
    CHECK(hook.runs == 3);
    CHECK(elapsed < 2s);
    CHECK(holder_cancelled);
    CHECK_FALSE(hook.on_other_thread);
}
