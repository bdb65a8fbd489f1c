// The refresh under a shared store's lease, one process's side of it, with "the other
// processes" played by the store's hooks at exact points: waiting for another holder's commit,
// taking over an expired lease, a version that moved before the claim, invalid_grant as a lost
// race or as a dead grant (marked, so others fail fast), a holder whose lease was taken over
// while it stalled, a failed store write, the keeper renewing during a slow token request, and
// the holder's hard deadline D.
#include "support/catch.hpp"

#include "client_fixture.hpp"
#include "leasing_store.hpp"

#include <atomic>
#include <condition_variable>
#include <thread>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

HttpResponse invalid_grant_reply() {
    return json_reply(400, R"({"error":"invalid_grant","error_description":"refresh token reused"})");
}

// A Client over a LeasingMemoryStore whose lease times run on the fixture's test clock.
struct LeaseFixture {
    explicit LeaseFixture(ClientOptions options = test_options(),
                          std::shared_ptr<LeasingMemoryStore> shared = nullptr)
        : store(shared ? std::move(shared) : std::make_shared<LeasingMemoryStore>([this] { return f.clock.steady(); })),
          f(std::move(options), [this](ClientDependencies& d) {
              d.store = store;
              d.on_reauthorization_required = [this](std::string_view) { ++reauthorizations; };
          }) {}

    // acc_1 stored at version 1 with a token that has just expired.
    Session expired_session() {
        REQUIRE(store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() - 1s)));
        return f.client.session("acc_1");
    }
    std::size_t refreshes() const {
        std::size_t n = 0;
        for (const auto& r : f.transport->requests()) n += r.url.find("/oauth/token") != std::string::npos ? 1 : 0;
        return n;
    }

    std::shared_ptr<LeasingMemoryStore> store;
    Fixture f;
    std::atomic<int> reauthorizations{0};
};

// Every scripted step was reached and every request matched its step.
void script_done(const ScriptedTransport& transport) {
    CHECK(transport.failures().empty());
    CHECK(transport.unused_steps() == 0);
}

}  // namespace

TEST_CASE("a live lease of another process: wait for its commit and use it, no refresh", "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    t.store->lease_to("acc_1", "other-host:1:aa", 30s);
    // The second look at the store (after the first wait) finds the other process's commit.
    t.store->before_load = [&] {
        if (t.store->loads == 1) t.store->commit_as_other("acc_1", credentials("at-2", "rt-2", t.f.clock.wall() + 1h));
    };
    t.f.transport->expect(calendars_step("at-2"));

    session.calendars();

    CHECK(t.refreshes() == 0);
    CHECK(t.store->claims == 1);
    CHECK(t.store->row("acc_1").stored.version == 2);
    script_done(*t.f.transport);
}

TEST_CASE("an expired lease of a holder that died is taken over: one refresh, committed, lease ended", "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    t.store->lease_to("acc_1", "dead-host:1:aa", 1s);
    const SteadyTime start = t.f.clock.steady();
    t.f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    t.f.transport->expect(calendars_step("at-2"));

    session.calendars();

    CHECK(t.f.clock.steady() - start >= 1s);  // it waited the lease out, no less
    CHECK(t.refreshes() == 1);
    const auto row = t.store->row("acc_1");
    CHECK(row.stored.version == 2);
    CHECK(row.epoch == 2);  // the dead holder's, then ours
    CHECK_FALSE(row.owner);
    script_done(*t.f.transport);
}

TEST_CASE("the version moved between the read and the claim: use the new credentials, no refresh", "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    t.store->before_claim = [&] {
        if (t.store->claims == 0) t.store->commit_as_other("acc_1", credentials("at-2", "rt-2", t.f.clock.wall() + 1h));
    };
    t.f.transport->expect(calendars_step("at-2"));

    session.calendars();

    CHECK(t.refreshes() == 0);
    CHECK(t.store->row("acc_1").epoch == 0);
    script_done(*t.f.transport);
}

TEST_CASE("a holder's refused refresh with the version unchanged marks the account, and other clients fail fast",
          "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    t.f.transport->expect(refresh_step("rt-1", invalid_grant_reply()));

    const auto e = thrown_by<InvalidGrantError>([&] { session.calendars(); });
    CHECK(std::string(e.what()).find("reauthorization required") != std::string::npos);
    CHECK(t.reauthorizations == 1);
    const auto row = t.store->row("acc_1");
    CHECK(row.stored.reauthorization_required);
    CHECK(row.stored.version == 1);
    CHECK_FALSE(row.owner);  // the mark ends the lease
    CHECK(t.store->marks == 1);

    // Another process (a client of its own on the same store): typed error, nothing sent.
    LeaseFixture other(test_options(), t.store);
    Session again = other.f.client.session("acc_1");
    CHECK_THROWS_AS(again.calendars(), InvalidGrantError);
    CHECK(other.f.transport->requests().empty());
    CHECK(other.reauthorizations == 1);
    CHECK(t.store->claims == 1);

    // A new authorization clears the mark.
    t.store->replace("acc_1", credentials("at-9", "rt-9", t.f.clock.wall() + 1h));
    other.f.transport->expect(calendars_step("at-9"));
    Session renewed = other.f.client.session("acc_1");
    renewed.calendars();
}

TEST_CASE("invalid_grant after another process rotated is a lost race: the stored credentials are used", "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    // The re-read after the refusal (the second load) finds the other process's rotation.
    t.store->before_load = [&] {
        if (t.store->loads == 1) t.store->commit_as_other("acc_1", credentials("at-2", "rt-2", t.f.clock.wall() + 1h));
    };
    t.f.transport->expect(refresh_step("rt-1", invalid_grant_reply()));
    t.f.transport->expect(calendars_step("at-2"));

    session.calendars();

    CHECK(t.store->marks == 0);
    CHECK(t.reauthorizations == 0);
    CHECK_FALSE(t.store->row("acc_1").stored.reauthorization_required);
    script_done(*t.f.transport);
}

TEST_CASE("a holder that stalled past its lease sends nothing and uses what the next holder stored", "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    // While this process was stopped, its lease ran out and another process refreshed.
    t.store->before_renew = [&] {
        if (t.store->renewals == 0) t.store->commit_as_other("acc_1", credentials("at-2", "rt-2", t.f.clock.wall() + 1h));
    };
    t.f.transport->expect(calendars_step("at-2"));

    session.calendars();

    CHECK(t.refreshes() == 0);
    CHECK(t.store->row("acc_1").stored.version == 2);
    script_done(*t.f.transport);
}

TEST_CASE("a holder's late commit is refused by the version: the newer credentials stay", "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    // The refresh went out; before its write, another holder committed (this one had stalled).
    t.store->before_save = [&] {
        if (t.store->saves == 0) t.store->commit_as_other("acc_1", credentials("at-3", "rt-3", t.f.clock.wall() + 1h));
    };
    t.f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    t.f.transport->expect(calendars_step("at-3"));

    session.calendars();

    const auto row = t.store->row("acc_1");
    CHECK(row.stored.version == 2);
    CHECK(row.stored.credentials.access_token.reveal() == "at-3");
    script_done(*t.f.transport);
}

TEST_CASE("a waiter's own deadline ends its wait for another's lease with TimeoutError, nothing sent", "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    t.store->lease_to("acc_1", "slow-host:1:aa", 1h);

    CHECK_THROWS_AS(session.calendars(timeout_option(2s)), TimeoutError);
    CHECK(t.f.transport->requests().empty());
    CHECK(t.store->row("acc_1").stored.version == 1);
}

TEST_CASE("a failed store write after a refresh under the lease: StoreError, then written first without a second "
          "refresh",
          "[lease]") {
    LeaseFixture t;
    Session session = t.expired_session();
    std::atomic<int> attempts{0};
    t.store->before_save = [&] {
        if (attempts++ == 0) throw std::runtime_error("database is locked");
    };
    t.f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));

    CHECK_THROWS_AS(session.calendars(), StoreError);
    CHECK(t.store->row("acc_1").stored.version == 1);

    t.f.transport->expect(calendars_step("at-2"));
    session.calendars();
    CHECK(t.refreshes() == 1);
    CHECK(t.store->row("acc_1").stored.version == 2);
    script_done(*t.f.transport);
}

TEST_CASE("the holder renews its lease every ttl/3 while a slow token request is in flight", "[lease]") {
    ClientOptions options = test_options();
    options.refresh_lease.ttl = 300ms;
    options.refresh_lease.request_timeout = 20s;
    LeaseFixture t(options);
    Session session = t.expired_session();

    // The token endpoint answers once the keeper has renewed twice (after the confirmation
    // before sending): observable proof that the lease is kept alive meanwhile.
    std::mutex mutex;
    std::condition_variable renewed;
    t.store->before_renew = [&] { renewed.notify_all(); };
    Step slow = refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2")));
    slow.respond = [&](const HttpRequest&) {
        std::unique_lock lock(mutex);
        renewed.wait_for(lock, 20s, [&] { return t.store->renewals >= 3; });
        return json_reply(200, token_reply("at-2", "rt-2"));
    };
    t.f.transport->expect(std::move(slow));
    t.f.transport->expect(calendars_step("at-2"));

    session.calendars();

    CHECK(t.store->renewals >= 3);
    CHECK(t.refreshes() == 1);
    CHECK_FALSE(t.store->row("acc_1").owner);
}

TEST_CASE("the holder's token request has the hard deadline D, within the call's", "[lease]") {
    ClientOptions options = test_options();
    options.refresh_lease.ttl = 9s;  // D = ttl / 3
    options.timeouts.request = 30s;
    LeaseFixture t(options);
    Session session = t.expired_session();
    t.f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    t.f.transport->expect(calendars_step("at-2"));
    const SteadyTime start = t.f.clock.steady();

    session.calendars();

    const auto contexts = t.f.transport->contexts();
    REQUIRE(contexts.size() == 2);
    CHECK(contexts[0].deadline == start + 3s);   // the refresh: D
    CHECK(contexts[1].deadline == start + 30s);  // the call itself: its own deadline again
}

TEST_CASE("lease options are checked", "[lease][config]") {
    ClientOptions o = test_options();
    o.refresh_lease.ttl = 1ms;
    CHECK_THROWS_AS(Config(o), ConfigurationError);
    o = test_options();
    o.refresh_lease.owner = "has space";
    CHECK_THROWS_AS(Config(o), ConfigurationError);
    o = test_options();
    o.refresh_lease.poll_interval = 0ms;
    CHECK_THROWS_AS(Config(o), ConfigurationError);
    const Config parsed = Config::from_json(
        R"({"client_id":"c","client_secret":"s","lease_ttl_ms":6000,"lease_request_timeout_ms":1500,)"
        R"("lease_poll_interval_ms":20,"lease_owner":"web-1"})");
    CHECK(parsed.refresh_lease().ttl == 6s);
    CHECK(parsed.lease_request_timeout() == 1500ms);
    CHECK(parsed.refresh_lease().poll_interval == 20ms);
    CHECK(parsed.refresh_lease().owner == "web-1");
    CHECK(Config(test_options()).lease_request_timeout() == 10s);
}

TEST_CASE("store methods see the deadline of the call they serve and outside a call there is none", "[lease][store]") {
    LeaseFixture t;
    Session session = t.expired_session();
    std::optional<std::chrono::steady_clock::time_point> seen;
    t.store->before_load = [&] { seen = store_call_deadline(); };
    t.f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    t.f.transport->expect(calendars_step("at-2"));

    const auto before = std::chrono::steady_clock::now();
    session.calendars(timeout_option(7s));

    REQUIRE(seen);
    CHECK(*seen >= before + 6s);
    CHECK(*seen <= std::chrono::steady_clock::now() + 7s);
    CHECK_FALSE(store_call_deadline());
}
