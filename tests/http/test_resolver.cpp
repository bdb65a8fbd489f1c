// Name resolution: cached per origin, bounded by the call's deadline.
#include "support/catch.hpp"

#include "http/resolver.hpp"

#include <calbridge/errors.hpp>

#include <netinet/in.h>

#include <thread>

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

TEST_CASE("a cancelled call stops waiting for a lookup") {
    Resolver resolver;
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + 10s;
    ctx.cancel = std::make_shared<CancellationToken>();
    ctx.cancel->cancel();
    CallInterrupt call(ctx);
    // Either the lookup was quicker than the check, or the call reports its cancellation.
    try {
        resolver.resolve("localhost", 443, ctx.deadline, call);
    } catch (const CancelledError& e) {
        CHECK_FALSE(e.details().request_sent);
    }
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
