// A call's poll hook (CancellationToken::poll_while_waiting) runs while the call waits for
// another thread's token renewal, on the waiting thread, and a hook that cancels ends that wait
// with CancelledError while the renewal itself completes. (The transport's waits:
// tests/http/test_poll_hook.cpp.)
#include "support/catch.hpp"

#include "client_fixture.hpp"
#include "support/sync.hpp"

#include <thread>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

TEST_CASE("a poll hook runs while a call waits for another thread's renewal, and cancelling ends the wait",
          "[session]") {
    Fixture f(test_options());
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    Gate release_refresh;
    Step refresh = refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2")));
    refresh.hold = [&] { return release_refresh.wait(); };
    f.transport->expect(refresh);
    f.transport->expect(calendars_step("at-2"));
    const Session session = f.client.session("acc_1");

    std::exception_ptr leader_failed;
    std::thread leader([&] {
        try {
            session.calendars();
        } catch (...) {
            leader_failed = std::current_exception();
        }
    });
    REQUIRE(f.transport->wait_for_in_flight(1));  // the refresh is in flight, held

    // This thread waits for it; its hook cancels on its third run.
    auto cancel = std::make_shared<CancellationToken>();
    const auto waiting_thread = std::this_thread::get_id();
    int runs = 0;
    bool on_other_thread = false;
    cancel->poll_while_waiting(20ms, [&](CancellationToken& token) {
        ++runs;
        if (std::this_thread::get_id() != waiting_thread) on_other_thread = true;
        if (runs == 3) token.cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    bool cancelled = false;
    try {
        session.calendars(cancel_option(cancel));
    } catch (const CancelledError&) {
        cancelled = true;
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    release_refresh.open();
    leader.join();

    CHECK(cancelled);
    CHECK(runs == 3);
    CHECK_FALSE(on_other_thread);
    CHECK(elapsed >= 60ms);
    CHECK(elapsed < 5s);
    CHECK_FALSE(leader_failed);
    CHECK(f.transport->failures() == std::vector<std::string>{});
    CHECK(f.transport->unused_steps() == 0);
}
