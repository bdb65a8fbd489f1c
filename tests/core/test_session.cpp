// The token contracts of docs/ARCHITECTURE.md ("Contracts"), one call at a time: proactive refresh, adopting newer stored
// credentials, compare-and-swap before use, pending credentials after a failed store write,
// invalid_grant checked against the store, the 401 retry, hooks.
#include "support/catch.hpp"

#include "client_fixture.hpp"

#include <atomic>
#include <random>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

std::string stored_access_token(TokenStore& store) {
    const auto stored = store.load("acc_1");
    return stored ? stored->credentials.access_token.reveal() : std::string("(none)");
}

}  // namespace

TEST_CASE("a token expiring within the leeway is refreshed, and stored before it is used", "[session]") {
    std::vector<std::string> refreshed;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.on_refresh = [&](const Credentials& c) { refreshed.push_back(c.access_token.reveal()); };
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() + 59s)));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    std::string stored_when_used;
    Step get = calendars_step("at-2");
    get.respond = [&, answer = get.reply](const HttpRequest&) {
        stored_when_used = stored_access_token(*f.store);
        return answer;
    };
    f.transport->expect(get);

    f.client.session("acc_1").calendars();

    CHECK(stored_when_used == "at-2");
    const auto stored = f.store->load("acc_1");
    CHECK(stored->version == 2);
    CHECK(stored->credentials.refresh_token.reveal() == "rt-2");
    CHECK(refreshed == std::vector<std::string>{"at-2"});
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("tokens that live shorter than the leeway are refreshed at half their lifetime, not on every call",
          "[session]") {
    Fixture f;  // leeway 60 s; the server issues 30 s tokens
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() + 10s)));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2", 30))));
    f.transport->expect(calendars_step("at-2"));
    f.transport->expect(calendars_step("at-2"));
    f.transport->expect(calendars_step("at-2"));
    f.transport->expect(refresh_step("rt-2", json_reply(200, token_reply("at-3", "rt-3", 30))));
    f.transport->expect(calendars_step("at-3"));
    const Session session = f.client.session("acc_1");

    session.calendars();  // unknown lifetime, inside the leeway: refreshed
    session.calendars();  // 30 s left of 30: used
    f.clock.advance(14s);
    session.calendars();  // 16 s left: still more than half
    f.clock.advance(2s);
    session.calendars();  // 14 s left: refreshed

    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("a token outside the leeway is used as it is, and the store is read once", "[session]") {
    Fixture f;
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() + 61s)));
    f.transport->expect(calendars_step("at-1"));
    f.transport->expect(calendars_step("at-1"));
    const Session session = f.client.session("acc_1");

    session.calendars();
    f.store->replace("acc_1", credentials("someone-elses", "rt-x", f.clock.wall() + 1h));  // not looked at
    session.calendars();

    CHECK(f.transport->failures().empty());
}

TEST_CASE("before refreshing, the session re-reads the store and adopts newer credentials", "[session]") {
    Fixture f;
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() + 1h)));
    const Session session = f.client.session("acc_1");
    f.transport->expect(calendars_step("at-1"));
    session.calendars();
    // Another process refreshes and writes; then our cached token expires.
    REQUIRE(f.store->save("acc_1", credentials("at-9", "rt-9", f.clock.wall() + 2h), 1));
    f.clock.advance(1h);
    f.transport->expect(calendars_step("at-9"));

    session.calendars();

    CHECK(f.transport->requests().size() == 2);  // no refresh
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a failed store write fails the call: the next call writes the pending credentials, no refresh", "[session]") {
    auto store = std::make_shared<InstrumentedStore>();
    std::vector<std::string> refreshed;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.store = store;
        d.on_refresh = [&](const Credentials& c) { refreshed.push_back(c.access_token.reveal()); };
    });
    REQUIRE(store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    store->failing_saves = 1;
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    const Session session = f.client.session("acc_1");

    const auto e = thrown_by<StoreError>([&] { session.calendars(); });
    CHECK(std::string(e.what()) == "token store save for account acc_1 failed: disk full");
    CHECK(f.transport->requests().size() == 1);  // the new token was not used before it was stored
    CHECK(stored_access_token(*store) == "at-1");
    CHECK(refreshed.empty());

    f.transport->expect(calendars_step("at-2"));
    session.calendars();

    CHECK(f.transport->requests().size() == 2);  // no second refresh
    CHECK(store->saves == 2);
    CHECK(stored_access_token(*store) == "at-2");
    CHECK(store->load("acc_1")->credentials.refresh_token.reveal() == "rt-2");
    CHECK(refreshed == std::vector<std::string>{"at-2"});  // once stored
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a refresh result loses to a concurrent write: compare-and-swap, then the store's are used", "[session]") {
    Fixture f;
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    Step refresh = refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2")));
    refresh.respond = [&, answer = refresh.reply](const HttpRequest&) {
        f.store->replace("acc_1", credentials("at-9", "rt-9", f.clock.wall() + 1h));  // a new authorization
        return answer;
    };
    f.transport->expect(refresh);
    f.transport->expect(calendars_step("at-9"));

    f.client.session("acc_1").calendars();

    CHECK(stored_access_token(*f.store) == "at-9");
    CHECK(f.transport->failures().empty());
}

TEST_CASE("invalid_grant with newer credentials in the store is not reauthorization: they are used", "[session]") {
    std::vector<std::string> reauthorizations;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.on_reauthorization_required = [&](std::string_view a) { reauthorizations.emplace_back(a); };
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    Step refresh = refresh_step("rt-1", json_reply(400, R"({"error":"invalid_grant"})"));
    refresh.respond = [&, answer = refresh.reply](const HttpRequest&) {
        // Another process rotated the refresh token first and stored the result.
        f.store->save("acc_1", credentials("at-9", "rt-9", f.clock.wall() + 1h), 1);
        return answer;
    };
    f.transport->expect(refresh);
    f.transport->expect(calendars_step("at-9"));

    f.client.session("acc_1").calendars();

    CHECK(reauthorizations.empty());
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("invalid_grant confirmed by the store is reauthorization required, with the hook", "[session]") {
    std::vector<std::string> reauthorizations;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.on_reauthorization_required = [&](std::string_view a) { reauthorizations.emplace_back(a); };
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    f.transport->expect(refresh_step("rt-1", json_reply(400, R"({"error":"invalid_grant","error_description":"revoked"})")));

    const auto e = thrown_by<InvalidGrantError>([&] { f.client.session("acc_1").calendars(); });

    CHECK(std::string(e.what()) ==
          "account acc_1: the refresh token was refused (invalid_grant); reauthorization required");
    CHECK(e.http_status() == 400);
    CHECK(e.oauth_error_description() == "revoked");
    CHECK(reauthorizations == std::vector<std::string>{"acc_1"});
    CHECK(f.transport->requests().size() == 1);
}

TEST_CASE("a grant found revoked is logged at info as an expected outcome and never at error", "[session]") {
    Fixture f;
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    f.transport->expect(refresh_step("rt-1", json_reply(400, R"({"error":"invalid_grant","error_description":"revoked"})")));

    CHECK_THROWS_AS(f.client.session("acc_1").calendars(), InvalidGrantError);

    bool logged = false;
    for (const auto& [level, line] : f.log.lines()) {
        CHECK(level < LogLevel::warning);
        if (line.find("the grant is gone; reauthorization required") != std::string::npos) {
            CHECK(level == LogLevel::info);
            logged = true;
        }
    }
    CHECK(logged);
}

TEST_CASE("an account with no stored credentials is reauthorization required, without a request", "[session]") {
    std::vector<std::string> reauthorizations;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.on_reauthorization_required = [&](std::string_view a) { reauthorizations.emplace_back(a); };
    });

    const auto e = thrown_by<InvalidGrantError>([&] { f.client.session("acc_404").calendars(); });

    CHECK(std::string(e.what()) == "account acc_404: no credentials in the token store; reauthorization required");
    CHECK(reauthorizations == std::vector<std::string>{"acc_404"});
    CHECK(f.transport->requests().empty());
}

TEST_CASE("a 401 leads to one refresh, and the retry succeeds", "[session]") {
    Fixture f;
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() + 1h)));
    f.transport->expect(calendars_step("at-1", reply(401)));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    f.transport->expect(calendars_step("at-2"));

    f.client.session("acc_1").calendars();

    CHECK(stored_access_token(*f.store) == "at-2");
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("a second 401 after the refresh is an authentication failure, not a loop", "[session]") {
    Fixture f;
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() + 1h)));
    f.transport->expect(calendars_step("at-1", reply(401)));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    f.transport->expect(calendars_step("at-2", reply(401, R"({"message":"nope"})")));

    const auto e = thrown_by<AuthenticationError>([&] { f.client.session("acc_1").calendars(); });

    CHECK(std::string(e.what()) == R"(GET /v1/calendars: HTTP 401 (authentication): {"message":"nope"})");
    CHECK(f.transport->requests().size() == 3);
}

TEST_CASE("a token without a known expiry is not refreshed proactively: a 401 still refreshes it", "[session]") {
    Fixture f;
    Credentials c = credentials("at-1", "rt-1", f.clock.wall());
    c.expires_at.reset();
    REQUIRE(f.store->insert("acc_1", c));
    f.clock.advance(24h * 30);
    f.transport->expect(calendars_step("at-1"));
    f.transport->expect(calendars_step("at-1", reply(401)));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    f.transport->expect(calendars_step("at-2"));
    const Session session = f.client.session("acc_1");

    session.calendars();
    session.calendars();

    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("a session made from credentials inserts them if the store has none: the store's win otherwise", "[session]") {
    Fixture f;
    f.transport->expect(calendars_step("at-1"));
    f.client.session(credentials("at-1", "rt-1", f.clock.wall() + 1h)).calendars();
    CHECK(f.store->load("acc_1")->version == 1);

    Fixture g;
    REQUIRE(g.store->insert("acc_1", credentials("at-newer", "rt-newer", g.clock.wall() + 1h)));
    g.transport->expect(calendars_step("at-newer"));
    g.client.session(credentials("at-stale", "rt-stale", g.clock.wall() + 1h)).calendars();

    CHECK(f.transport->failures().empty());
    CHECK(g.transport->failures().empty());
}

TEST_CASE("an on_refresh hook that throws fails the call with UserCallbackError: the credentials stay stored",
          "[session]") {
    Fixture f(test_options(), [](ClientDependencies& d) {
        d.on_refresh = [](const Credentials&) { throw std::runtime_error("hook broke"); };
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    f.transport->expect(calendars_step("at-2"));
    const Session session = f.client.session("acc_1");

    const auto e = thrown_by<UserCallbackError>([&] { session.calendars(); });
    CHECK(std::string(e.what()) == "the on_refresh hook threw: hook broke");
    CHECK(stored_access_token(*f.store) == "at-2");

    session.calendars();  // uses the stored token, no second refresh
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("hooks run with no lock held: they may call back into the same session", "[session]") {
    std::optional<Session> session;
    std::string seen_in_hook;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.on_refresh = [&](const Credentials&) { seen_in_hook = session->credentials().access_token.reveal(); };
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    f.transport->expect(calendars_step("at-2"));
    session = f.client.session("acc_1");

    session->calendars();

    CHECK(seen_in_hook == "at-2");
}

// A server with rotation on and reuse detection: only the newest tokens work, and a refresh token
// used twice is refused (as a real server would, before revoking the whole grant).
class RotatingServer {
public:
    explicit RotatingServer(TestClock& clock) : clock_(clock) {}

    HttpResponse operator()(const HttpRequest& request) {
        std::lock_guard lock(mutex_);
        if (request.url == std::string(api) + "/oauth/token") {
            const auto at = request.body.find("refresh_token=");
            if (at == std::string::npos || request.body.substr(at + 14) != refresh_) {
                ++reused_;
                return json_reply(400, R"({"error":"invalid_grant"})");
            }
            ++refreshes_;
            issue();
            return json_reply(200, token_reply(access_, refresh_));
        }
        const std::string* authorization = request.header("Authorization");
        if (authorization == nullptr || *authorization != "Bearer " + access_ || clock_.wall() >= expires_) {
            ++rejected_;
            return reply(401);
        }
        return json_reply(200, R"({"calendars":[]})");
    }

    Credentials issue() {
        ++generation_;
        access_ = "at-" + std::to_string(generation_);
        refresh_ = "rt-" + std::to_string(generation_);
        expires_ = clock_.wall() + 3600s;
        return credentials(access_, refresh_, expires_);
    }

    int refreshes() const { return refreshes_; }
    int reused() const { return reused_; }
    int rejected() const { return rejected_; }

private:
    TestClock& clock_;
    std::mutex mutex_;
    int generation_ = 0;
    std::string access_;
    std::string refresh_;
    WallTime expires_;
    int refreshes_ = 0;
    int reused_ = 0;
    int rejected_ = 0;
};

TEST_CASE("two clients sharing one store, with rotation: 1,000 calls, one refresh per expiry, never reauthorization",
          "[session]") {
    TestClock clock;
    RotatingServer server(clock);
    auto transport = std::make_shared<ScriptedTransport>();
    transport->set_fallback([&](const HttpRequest& r) { return server(r); });
    auto store = std::make_shared<MemoryTokenStore>();
    REQUIRE(store->insert("acc_1", server.issue()));
    const auto make_client = [&] {
        ClientDependencies d;
        d.transport = transport;
        d.store = store;
        d.wall_clock = clock.wall_clock();
        d.steady_clock = clock.steady_clock();
        d.waiter = clock.waiter();
        return Client(Config(test_options()), d);
    };
    const Client first = make_client();
    const Client second = make_client();
    const Session sessions[] = {first.session("acc_1"), second.session("acc_1")};
    std::mt19937 pick(20261128);

    int expiries = 0;
    int failures = 0;
    for (int call = 1; call <= 1000; ++call) {
        if (call % 10 == 0) {
            clock.advance(3600s);
            ++expiries;
        }
        try {
            sessions[pick() % 2].calendars();
        } catch (const Error&) {
            ++failures;
        }
    }

    CHECK(failures == 0);
    CHECK(expiries == 100);
    CHECK(server.refreshes() == expiries);
    CHECK(server.reused() == 0);
    CHECK(server.rejected() == 0);
    CHECK(transport->requests().size() == 1000 + 100);
}

TEST_CASE("a client without a transport gets the HTTPS one: a negative retry budget is a configuration error", "[session]") {
    // Nothing listens on loopback port 1: a real transport gets "connection refused", before
    // sending anything (tests/http and the sandbox end-to-end suite exercise it further).
    auto options = test_options();
    options.api_url = "http://127.0.0.1:1";
    const Client with_default{Config(std::move(options))};
    try {
        with_default.session(credentials("at-1", "rt-1", WallTime{} + std::chrono::hours(24 * 365 * 100)))
            .calendars();
        FAIL("a call to a closed port succeeded");
    } catch (const ConnectionError& e) {
        CHECK_FALSE(e.details().request_sent);
    }

    ClientDependencies negative;
    negative.transport = std::make_shared<ScriptedTransport>();
    negative.retry.max_retries = -1;
    CHECK_THROWS_AS(Client(Config(test_options()), negative), ConfigurationError);
}

TEST_CASE("a log callback asking for the token it is being called during gets an error, not a wait", "[session]") {
    std::optional<Session> session;
    std::vector<ErrorCode> seen;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.log = [&](LogLevel, std::string_view message) {
            if (message.find("refreshing") == std::string_view::npos) return;
            try {
                session->credentials();
            } catch (const Error& e) {
                seen.push_back(e.code());
            }
        };
        d.log_level = LogLevel::debug;
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));
    f.transport->expect(calendars_step("at-2"));
    session = f.client.session("acc_1");

    session->calendars();

    CHECK(seen == std::vector<ErrorCode>{ErrorCode::user_callback});
    CHECK(f.transport->failures().empty());
}
