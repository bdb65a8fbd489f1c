// Name resolution: cached per origin, bounded by the call's deadline.
#include "support/catch.hpp"

#include "http/resolver.hpp"

#include <calbridge/errors.hpp>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace calbridge;
using namespace calbridge::http;
using namespace std::chrono_literals;

TEST_CASE("a resolved name is cached: one lookup for many connections") {
    Resolver resolver;
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + 10s;
    CallInterrupt call(ctx);
    const auto first = resolver.resolve("localhost", 443, ctx.deadline, call);
    REQUIRE_FALSE(first.empty());
    for (const auto& a : first) {
        CHECK((a.address.ss_family == AF_INET || a.address.ss_family == AF_INET6));
    }
    for (int i = 0; i < 10; ++i) CHECK(resolver.resolve("localhost", 443, ctx.deadline, call).size() == first.size());
    CHECK(resolver.lookups() == 1);
    resolver.resolve("localhost", 8443, ctx.deadline, call);  // another origin
    CHECK(resolver.lookups() == 2);
}

TEST_CASE("a cached name expires after its time to live") {
    Resolver resolver(50ms);
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + 10s;
    CallInterrupt call(ctx);
    resolver.resolve("localhost", 443, ctx.deadline, call);
    std::this_thread::sleep_for(100ms);
    resolver.resolve("localhost", 443, ctx.deadline, call);
    CHECK(resolver.lookups() == 2);
}

TEST_CASE("a name that does not resolve is a connection error, and is not cached") {
    Resolver resolver;
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + 10s;
    CallInterrupt call(ctx);
    CHECK_THROWS_AS(resolver.resolve("no-such-host.invalid", 443, ctx.deadline, call), ConnectionError);
    CHECK_THROWS_AS(resolver.resolve("no-such-host.invalid", 443, ctx.deadline, call), ConnectionError);
    CHECK(resolver.lookups() == 2);
}

namespace {

// A NameLookup that blocks until released, so a test controls when "DNS" answers. It records
// that a lookup began (the call is then waiting on it) and answers 127.0.0.1. Its state is
// shared with the lookup thread, which may outlive the test's frame.
class GatedLookup {
public:
    NameLookup lookup() const {
        return [state = state_](const std::string&, std::uint16_t port, std::vector<ResolvedAddress>& found) {
            std::unique_lock lock(state->mutex);
            ++state->started;
            state->cv.notify_all();
            state->cv.wait(lock, [&] { return state->released; });
            ResolvedAddress a;
            auto* in = reinterpret_cast<sockaddr_in*>(&a.address);
            in->sin_family = AF_INET;
            in->sin_port = htons(port);
            in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.size = sizeof(sockaddr_in);
            found.push_back(a);
            return 0;
        };
    }
    void wait_started(int n) const {
        std::unique_lock lock(state_->mutex);
        state_->cv.wait(lock, [&] { return state_->started >= n; });
    }
    int started() const {
        std::lock_guard lock(state_->mutex);
        return state_->started;
    }
    void release() const {
        std::lock_guard lock(state_->mutex);
        state_->released = true;
        state_->cv.notify_all();
    }

private:
    struct State {
        std::mutex mutex;
        std::condition_variable cv;
        int started = 0;
        bool released = false;
    };
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace

TEST_CASE("a cancelled call stops waiting for a lookup that has not answered") {
    GatedLookup dns;
    Resolver resolver(60s, dns.lookup());
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + 5s;  // a resolver deaf to the cancel fails, not hangs
    ctx.cancel = std::make_shared<CancellationToken>();
    std::thread canceller([&] {
        dns.wait_started(1);  // the call is waiting on the lookup
        ctx.cancel->cancel();
    });
    CallInterrupt call(ctx);
    bool cancelled = false;
    try {
        resolver.resolve("api.test", 443, ctx.deadline, call);
    } catch (const CancelledError& e) {
        cancelled = true;
        CHECK_FALSE(e.details().request_sent);
    }
    canceller.join();
    CHECK(cancelled);
    // The lookup still finishes on its own thread and fills the cache for the next call.
    dns.release();
    CallContext later;
    later.deadline = std::chrono::steady_clock::now() + 60s;
    CallInterrupt later_call(later);
    CHECK(resolver.resolve("api.test", 443, later.deadline, later_call).size() == 1);
    CHECK(resolver.lookups() == 1);
}

TEST_CASE("a call already cancelled does not wait for a lookup") {
    GatedLookup dns;
    Resolver resolver(60s, dns.lookup());
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + 60s;
    ctx.cancel = std::make_shared<CancellationToken>();
    ctx.cancel->cancel();
    CallInterrupt call(ctx);
    CHECK_THROWS_AS(resolver.resolve("api.test", 443, ctx.deadline, call), CancelledError);
    dns.release();
}

TEST_CASE("a lookup slower than the deadline is a timeout with nothing sent") {
    GatedLookup dns;
    Resolver resolver(60s, dns.lookup());
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + 50ms;
    CallInterrupt call(ctx);
    bool timed_out = false;
    try {
        resolver.resolve("api.test", 443, ctx.deadline, call);
    } catch (const TimeoutError& e) {
        timed_out = true;
        CHECK_FALSE(e.details().request_sent);
    }
    CHECK(timed_out);
    dns.release();
}

TEST_CASE("callers of one name share the lookup in flight") {
    GatedLookup dns;
    Resolver resolver(60s, dns.lookup());
    std::vector<std::thread> callers;
    std::atomic<int> answered{0};
    for (int i = 0; i < 4; ++i) {
        callers.emplace_back([&] {
            CallContext ctx;
            ctx.deadline = std::chrono::steady_clock::now() + 60s;
            CallInterrupt call(ctx);
            if (resolver.resolve("api.test", 443, ctx.deadline, call).size() == 1) ++answered;
        });
    }
    dns.wait_started(1);
    dns.release();
    for (auto& t : callers) t.join();
    CHECK(answered == 4);
    CHECK(resolver.lookups() == 1);
    CHECK(dns.started() == 1);
}

TEST_CASE("a name under invalid. is refused as not existing: not retryable") {
    Resolver resolver;
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + 10s;
    CallInterrupt call(ctx);
    for (const char* host : {"no-such-host.invalid", "INVALID", "a.b.Invalid."}) {
        try {
            resolver.resolve(host, 443, ctx.deadline, call);
            FAIL("resolved " << host);
        } catch (const ConnectionError& e) {
            CHECK_FALSE(e.details().retryable);
            CHECK_FALSE(e.details().request_sent);
        }
    }
    CHECK(resolver.lookups() == 3);
    CHECK(resolver.resolve("localhost", 443, ctx.deadline, call).size() > 0);  // "invalid" only as a label
}
