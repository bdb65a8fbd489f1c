// The core's Individual Connect flow end to end, over real TLS, against a freshly started
// calbridge-sandbox: the consent page pressed as a browser would, the code exchange with PKCE,
// every calendar call, refresh, revocation, and typed errors for injected faults.
#include "sandbox_fixture.hpp"
#include "support/catch.hpp"

#include <calbridge/client.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/store.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <latch>
#include <regex>
#include <set>
#include <thread>

using namespace calbridge;
using calbridge::test::SandboxProcess;

namespace {

constexpr const char* redirect_uri = "http://localhost:8080/callback";

// A sandbox, a client of its default application, and an account connected through the
// consent page.
struct Fixture {
    SandboxProcess sandbox;
    Config config = test::sandbox_config(sandbox);
    std::shared_ptr<Transport> transport = make_default_transport(config);
    Client client = make_client();

    Client make_client() {
        ClientDependencies deps;
        deps.transport = transport;
        return Client(config, deps);
    }

    // The browser's part: opens the consent page, reads its form and presses "Allow access"
    // for `user`; returns where the sandbox redirects to.
    std::string press_allow(const std::string& authorization_url, const std::string& user) {
        const HttpResponse page = test::send(*transport, "GET", authorization_url);
        REQUIRE(page.status == 200);
        CHECK(page.body.find("This application is not verified") != std::string::npos);
        std::smatch form, pending;
        REQUIRE(std::regex_search(page.body, form, std::regex(R"re(<form method="post" action="([^"]+)")re")));
        REQUIRE(std::regex_search(page.body, pending, std::regex(R"re(name="authorization" value="([^"]+)")re")));
        const HttpResponse done = test::send(*transport, "POST", sandbox.app_url + form[1].str(),
                                             {{"Content-Type", "application/x-www-form-urlencoded"}},
                                             "authorization=" + pending[1].str() + "&user=" + user + "&decision=approve");
        REQUIRE(done.status == 302);
        REQUIRE(done.header("Location") != nullptr);
        return *done.header("Location");
    }

    Credentials connect(std::vector<std::string> scope = {"read_account", "list_calendars", "read_events",
                                                           "create_event", "delete_event"}) {
        AuthorizationOptions auth;
        auth.scope = std::move(scope);
        auth.pkce = true;
        const AuthorizationRequest request = client.authorization_request(redirect_uri, auth);
        REQUIRE(request.url.rfind(sandbox.app_url + "/oauth/authorize?", 0) == 0);
        return client.complete_authorization(press_allow(request.url, "acc_sandbox_ada"), request);
    }

    boost::json::object counters() {
        const HttpResponse r = test::admin(*transport, sandbox, "GET", "/admin/counters");
        REQUIRE(r.status == 200);
        return boost::json::parse(r.body).as_object();
    }

    std::int64_t refresh_requests() {
        return counters().at("token_requests").as_object().at("refresh_token").to_number<std::int64_t>();
    }

    void fault(const std::string& json) {
        REQUIRE(test::admin(*transport, sandbox, "POST", "/admin/faults", json).status == 201);
    }

    void expire_access_tokens() {
        const HttpResponse r = test::admin(*transport, sandbox, "POST", "/admin/tokens/expire",
                                           R"({"account_id": "acc_sandbox_ada"})");
        REQUIRE(r.status == 200);
    }
};

EventsQuery everything_on(std::string calendar_id) {
    EventsQuery q;
    q.from = std::chrono::year{2000} / 1 / 1;
    q.to = std::chrono::year{2100} / 1 / 1;
    q.calendar_ids = {std::move(calendar_id)};
    return q;
}

}  // namespace

TEST_CASE("connect flow over TLS: consent page, PKCE code exchange, every calendar call") {
    Fixture f;
    const Credentials creds = f.connect();
    CHECK(creds.account_id == "acc_sandbox_ada");
    CHECK(creds.scope == std::vector<std::string>{"read_account", "list_calendars", "read_events", "create_event",
                                                  "delete_event"});
    REQUIRE(creds.linking_profile.has_value());
    REQUIRE(creds.expires_at.has_value());
    REQUIRE(f.client.store()->load("acc_sandbox_ada").has_value());  // written before it is used

    const Session session = f.client.session("acc_sandbox_ada");
    const auto calendars = session.calendars();
    REQUIRE(calendars.size() == 3);
    CHECK(calendars[0].calendar_id == "cal_sandbox_primary");
    CHECK(calendars[1].readonly);

    // 250 events, 100 a page, following the absolute next_page URLs.
    auto pages = session.events(everything_on("cal_sandbox_primary"));
    std::vector<std::size_t> sizes;
    std::set<std::string> uids;
    while (auto page = pages.next()) {
        sizes.push_back(page->size());
        for (const auto& e : *page) uids.insert(e.event_uid);
    }
    CHECK(sizes == std::vector<std::size_t>{100, 100, 50});
    CHECK(uids.size() == 250);
    CHECK(session.free_busy(everything_on("cal_sandbox_primary")).all().size() == 225);

    const Account account = session.account();
    CHECK(account.email == "ada@example.com");
    CHECK(session.userinfo().sub == "acc_sandbox_ada");
    CHECK(session.profiles().size() == 2);

    NewEvent event;
    event.event_id = "e2e-booking";
    event.summary = "Booked through calbridge";
    event.start = EventTime::on(std::chrono::year{2031} / 5 / 6);
    event.end = EventTime::on(std::chrono::year{2031} / 5 / 7);
    session.upsert_event("cal_sandbox_primary", event);
    session.upsert_event("cal_sandbox_primary", event);  // idempotent
    EventsQuery managed = everything_on("cal_sandbox_primary");
    managed.only_managed = true;
    auto mine = session.events(managed).all();
    REQUIRE(mine.size() == 1);
    CHECK(mine[0].event_id == "e2e-booking");
    CHECK(mine[0].start.time == "2031-05-06");
    REQUIRE(mine[0].start.date() != nullptr);
    CHECK(*mine[0].start.date() == std::chrono::year{2031} / 5 / 6);
    session.delete_event("cal_sandbox_primary", "e2e-booking");
    CHECK(session.events(managed).all().empty());

    CHECK(!session.create_link_token().reveal().empty());
    CHECK(f.sandbox.stop() == 0);
}

TEST_CASE("an expired access token is refreshed once for 16 concurrent callers") {
    Fixture f;
    const Credentials before = f.connect();
    f.expire_access_tokens();
    // The refresh takes a second, so every caller meets the expired token while it is running.
    f.fault(R"({"method": "POST", "path": "/oauth/token", "kind": "delay", "delay_ms": 1000})");
    const Session session = f.client.session("acc_sandbox_ada");

    std::atomic<int> ok{0}, failed{0};
    std::latch start(16);
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            try {
                ok += session.calendars().size() == 3 ? 1 : 0;
            } catch (const std::exception&) {
                ++failed;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(ok == 16);
    CHECK(failed == 0);
    CHECK(f.refresh_requests() == 1);
    // The rotated refresh token is what the store keeps.
    const auto stored = f.client.store()->load("acc_sandbox_ada");
    REQUIRE(stored.has_value());
    CHECK(stored->credentials.refresh_token.reveal() != before.refresh_token.reveal());
    CHECK(stored->credentials.access_token.reveal() != before.access_token.reveal());
    CHECK(f.sandbox.stop() == 0);
}

TEST_CASE("after revocation the next call asks for a new authorization") {
    Fixture f;
    const Credentials creds = f.connect();
    f.client.revoke(creds);
    const Session session = f.client.session("acc_sandbox_ada");
    CHECK_THROWS_AS(session.calendars(), InvalidGrantError);
    CHECK(f.sandbox.stop() == 0);
}

TEST_CASE("a code exchange whose connection drops after sending is not sent again") {
    Fixture f;
    AuthorizationOptions auth;
    auth.scope = {"list_calendars"};
    const AuthorizationRequest request = f.client.authorization_request(redirect_uri, auth);
    const std::string callback = f.press_allow(request.url, "acc_sandbox_ada");
    f.fault(R"({"method": "POST", "path": "/oauth/token", "kind": "close"})");
    // The fault applies once: a retry would have succeeded instead of throwing.
    CHECK_THROWS_AS(f.client.complete_authorization(callback, request), ConnectionError);
    CHECK(f.counters().at("faults_applied").to_number<int>() == 1);
    // The sandbox dropped it before processing, so the code is still good.
    CHECK(f.client.complete_authorization(callback, request).account_id == "acc_sandbox_ada");
    CHECK(f.counters().at("token_requests").as_object().at("authorization_code").to_number<int>() == 1);
    CHECK(f.sandbox.stop() == 0);
}

TEST_CASE("injected faults give typed errors or recover within the deadline") {
    Fixture f;
    f.connect();
    const Session session = f.client.session("acc_sandbox_ada");

    SECTION("a 503 on a GET is retried") {
        f.fault(R"({"method": "GET", "path": "/v1/calendars", "kind": "status", "status": 503})");
        CHECK(session.calendars().size() == 3);
    }
    SECTION("a 429 with Retry-After is waited out") {
        f.fault(R"({"path": "/v1/calendars", "kind": "status", "status": 429, "headers": {"Retry-After": "1"}})");
        CHECK(session.calendars().size() == 3);
    }
    SECTION("a proxy's HTML error page that persists is a ServiceUnavailableError") {
        f.fault(R"({"path": "/v1/calendars", "kind": "html_error", "count": 20})");
        CHECK_THROWS_AS(session.calendars(), ServiceUnavailableError);
    }
    SECTION("malformed JSON is a ProtocolError") {
        f.fault(R"({"path": "/v1/account", "kind": "malformed_json", "count": 20})");
        CHECK_THROWS_AS(session.account(), ProtocolError);
    }
    SECTION("a 422 keeps its field errors") {
        try {
            (void)session.request("GET", "/v1/events", {{"tzid", "Nowhere/Land"}});
            FAIL("no ValidationError");
        } catch (const ValidationError& e) {
            REQUIRE(!e.field_errors().empty());
        }
    }
    SECTION("a missing scope is an AuthorizationError") {
        CHECK_THROWS_AS((void)session.request("POST", "/v1/calendars", {},
                                              std::string_view(R"({"profile_id": "p", "name": "n"})")),
                        AuthorizationError);
    }
    CHECK(f.sandbox.stop() == 0);  // a sanitizer report or a leak in the sandbox fails here
}
