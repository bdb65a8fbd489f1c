// Many threads, one account: exactly one refresh, with the overlap forced (the refresh reply is
// held until every other thread is waiting for it), ordinary calls in parallel, a 401 for a
// token another thread already replaced, cancellation of a waiting thread. Assertions run on
// the main thread after the threads are joined.
#include "support/catch.hpp"

#include "client_fixture.hpp"
#include "support/sync.hpp"

#include <atomic>
#include <thread>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

// Counts the calls that have started waiting for another thread's token renewal. Each call gets
// a cancellation token whose poll hook arrives once: the hook runs only while a call waits, and
// the only waits these scripted calls can do are for a renewal in flight.
struct WaitCounter {
    Counter waiting;
    CallOptions options(std::shared_ptr<CancellationToken> token = std::make_shared<CancellationToken>()) {
        token->poll_while_waiting(1ms, [this, counted = std::make_shared<std::atomic<bool>>(false)](CancellationToken&) {
            if (!counted->exchange(true)) waiting.arrive();
        });
        CallOptions o;
        o.cancel = std::move(token);
        return o;
    }
};

template <class Body>
std::vector<std::exception_ptr> run_threads(std::size_t n, Body body) {
    std::vector<std::exception_ptr> errors(n);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            try {
                body(i);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        });
    }
    for (auto& t : threads) t.join();
    return errors;
}

std::size_t count_failed(const std::vector<std::exception_ptr>& errors) {
    return static_cast<std::size_t>(std::count_if(errors.begin(), errors.end(), [](const auto& e) { return e != nullptr; }));
}

std::size_t count_requests(const ScriptedTransport& transport, std::string_view method) {
    const auto requests = transport.requests();
    return static_cast<std::size_t>(
        std::count_if(requests.begin(), requests.end(), [&](const HttpRequest& r) { return r.method == method; }));
}

}  // namespace

TEST_CASE("64 threads on two sessions with an expired token: one refresh, all succeed, calls overlap", "[session]") {
    constexpr std::size_t threads = 64;
    WaitCounter waits;
    Fixture f(test_options());
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    Step refresh = refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2")));
    refresh.hold = [&] { return waits.waiting.wait_for(threads - 1); };  // everyone else is waiting for it
    f.transport->expect(refresh);
    Step get = calendars_step("at-2");
    get.hold = f.transport->hold_until_in_flight(threads);  // no lock around I/O: all 64 at once
    get.times = threads;
    f.transport->expect(get);
    const Session sessions[] = {f.client.session("acc_1"), f.client.session("acc_1")};

    const auto errors = run_threads(threads, [&](std::size_t i) { sessions[i % 2].calendars(waits.options()); });

    CHECK(count_failed(errors) == 0);
    CHECK(f.transport->failures() == std::vector<std::string>{});
    CHECK(count_requests(*f.transport, "POST") == 1);
    CHECK(count_requests(*f.transport, "GET") == threads);
    CHECK(f.transport->max_in_flight() == threads);
    CHECK(f.store->load("acc_1")->version == 2);
}

TEST_CASE("threads that waited for a refused refresh share its invalid_grant: one refresh, one hook call",
          "[session]") {
    constexpr std::size_t threads = 8;
    WaitCounter waits;
    std::atomic<int> reauthorizations{0};
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.on_reauthorization_required = [&](std::string_view) { ++reauthorizations; };
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    Step refresh = refresh_step("rt-1", json_reply(400, R"({"error":"invalid_grant"})"));
    refresh.hold = [&] { return waits.waiting.wait_for(threads - 1); };
    f.transport->expect(refresh);
    const Session session = f.client.session("acc_1");

    const auto errors = run_threads(threads, [&](std::size_t) { session.calendars(waits.options()); });

    REQUIRE(count_failed(errors) == threads);
    for (const auto& e : errors) CHECK_THROWS_AS(std::rethrow_exception(e), InvalidGrantError);
    CHECK(reauthorizations == 1);
    CHECK(f.transport->requests().size() == 1);
    CHECK(f.transport->failures() == std::vector<std::string>{});
}

TEST_CASE("a 401 for a token another thread already replaced is retried without refreshing", "[session]") {
    auto store = std::make_shared<InstrumentedStore>();
    Fixture f(test_options(), [&](ClientDependencies& d) { d.store = store; });
    REQUIRE(store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() + 1h)));
    const Session session = f.client.session("acc_1");
    Gate release_first;
    // Thread A's request with at-1 is held; meanwhile the main thread gets a 401 with at-1,
    // refreshes and succeeds; then A's reply, a 401 for at-1, arrives.
    Step held = calendars_step("at-1", reply(401));
    held.hold = [&] { return release_first.wait(); };
    f.transport->expect(held);
    f.transport->expect(calendars_step("at-1", reply(401)));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    f.transport->expect(calendars_step("at-2"));
    f.transport->expect(calendars_step("at-2"));  // A's retry, with the replaced token

    std::exception_ptr a_failed;
    std::thread a([&] {
        try {
            session.calendars();
        } catch (...) {
            a_failed = std::current_exception();
        }
    });
    const bool a_in_flight = f.transport->wait_for_in_flight(1);
    std::exception_ptr main_failed;
    try {
        session.calendars();
    } catch (...) {
        main_failed = std::current_exception();
    }
    release_first.open();
    a.join();

    REQUIRE(a_in_flight);
    CHECK_FALSE(a_failed);
    CHECK_FALSE(main_failed);
    CHECK(f.transport->failures() == std::vector<std::string>{});
    CHECK(f.transport->unused_steps() == 0);
    CHECK(count_requests(*f.transport, "POST") == 1);
    // The first load, and the re-read before the refresh; A's retry simply took the new token.
    CHECK(store->loads == 2);
}

TEST_CASE("a thread waiting for another's refresh can be cancelled: the refresh still completes", "[session]") {
    WaitCounter waits;
    Fixture f(test_options());
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    Gate release_refresh;
    Step refresh = refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2")));
    refresh.hold = [&] { return release_refresh.wait(); };
    f.transport->expect(refresh);
    f.transport->expect(calendars_step("at-2"));
    const Session session = f.client.session("acc_1");
    auto cancel = std::make_shared<CancellationToken>();

    std::exception_ptr leader_failed;
    std::thread leader([&] {
        try {
            session.calendars();
        } catch (...) {
            leader_failed = std::current_exception();
        }
    });
    REQUIRE(f.transport->wait_for_in_flight(1));  // the refresh is in flight
    std::exception_ptr waiter_failed;
    std::thread waiter([&] {
        try {
            session.calendars(waits.options(cancel));
        } catch (...) {
            waiter_failed = std::current_exception();
        }
    });
    const bool waiting = waits.waiting.wait_for(1);
    cancel->cancel();
    waiter.join();  // returns while the refresh is still held
    release_refresh.open();
    leader.join();

    REQUIRE(waiting);
    REQUIRE(waiter_failed);
    CHECK_THROWS_AS(std::rethrow_exception(waiter_failed), CancelledError);
    CHECK_FALSE(leader_failed);
    CHECK(f.transport->failures() == std::vector<std::string>{});
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("a caller cancelled during its own refresh sees it through: the rotated token is stored", "[session]") {
    Fixture f(test_options());
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    Gate release_refresh;
    Step refresh = refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2")));
    refresh.hold = [&] { return release_refresh.wait(); };
    refresh.abandon_when_cancelled = true;  // as a real transport would, if it heard the cancel
    f.transport->expect(refresh);
    const Session session = f.client.session("acc_1");
    auto cancel = std::make_shared<CancellationToken>();

    std::exception_ptr failed;
    std::thread caller([&] {
        try {
            session.calendars(cancel_option(cancel));
        } catch (...) {
            failed = std::current_exception();
        }
    });
    REQUIRE(f.transport->wait_for_in_flight(1));  // the server has the refresh (and rotates)
    cancel->cancel();
    release_refresh.open();
    caller.join();

    // The caller is told of its cancellation; the calendars request is never sent.
    REQUIRE(failed);
    CHECK_THROWS_AS(std::rethrow_exception(failed), CancelledError);
    const auto stored = f.store->load("acc_1");
    REQUIRE(stored);
    CHECK(stored->credentials.refresh_token.reveal() == "rt-2");
    CHECK(stored->credentials.access_token.reveal() == "at-2");
    CHECK(f.transport->failures() == std::vector<std::string>{});
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("a caller cancelled before its refresh is sent sends nothing", "[session]") {
    Fixture f(test_options());
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    const Session session = f.client.session("acc_1");
    auto cancel = std::make_shared<CancellationToken>();
    cancel->cancel();

    CHECK_THROWS_AS(session.calendars(cancel_option(cancel)), CancelledError);
    CHECK(f.transport->requests().empty());
    CHECK(f.transport->failures() == std::vector<std::string>{});
}
