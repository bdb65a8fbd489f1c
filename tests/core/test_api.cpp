// The calendar API (docs/PROTOCOL.md §4-5): each call's exact request, typed results that keep their
// raw JSON, page iteration that never sends the token to another origin, the generic request.
#include "support/catch.hpp"

#include "client_fixture.hpp"

#include <calbridge/times.hpp>

#include <variant>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

using ApiFixture = SessionFixture;

}  // namespace

TEST_CASE("list calendars: GET /v1/calendars, typed, raw JSON kept", "[api]") {
    ApiFixture f;
    f.transport->expect(calendars_step(
        "at-1", json_reply(200, R"({"calendars":[{"provider_name":"google","profile_id":"pro_1",)"
                                R"("profile_name":"me@example.com","calendar_id":"cal_1","calendar_name":"Home",)"
                                R"("calendar_readonly":false,"calendar_deleted":false,"calendar_primary":true,)"
                                R"("permission_level":"unrestricted","new_field":1}]})")));

    const auto calendars = f.session->calendars();

    REQUIRE(calendars.size() == 1);
    const Calendar& c = calendars[0];
    CHECK(c.provider_name == "google");
    CHECK(c.profile_id == "pro_1");
    CHECK(c.profile_name == "me@example.com");
    CHECK(c.calendar_id == "cal_1");
    CHECK(c.calendar_name == "Home");
    CHECK_FALSE(c.readonly);
    CHECK_FALSE(c.deleted);
    CHECK(c.primary);
    CHECK(c.permission_level == "unrestricted");
    CHECK(c.raw_json.find(R"("new_field":1)") != std::string::npos);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("list calendars: each raw_json is that calendar's own text in the reply", "[api]") {
    ApiFixture f;
    const std::string first = R"({ "calendar_id" : "cal_1", "calendar_name": "Caf\u00e9 ] }", "x": [1, {"y": "\"{["}] })";
    const std::string second = R"({"calendar_id":"cal_2","n":1.50})";
    f.transport->expect(calendars_step(
        "at-1", json_reply(200, "{\n  \"other\": {\"calendars\": []},\n  \"calendars\": [ " + first + " ,\n\t" +
                                    second + " ]\n}")));

    const auto calendars = f.session->calendars();

    REQUIRE(calendars.size() == 2);
    CHECK(calendars[0].calendar_name == "Caf\xc3\xa9 ] }");
    CHECK(calendars[0].raw_json == first);
    CHECK(calendars[1].calendar_id == "cal_2");
    CHECK(calendars[1].raw_json == second);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("list calendars: a reply that repeats \"calendars\" still gives each calendar's JSON", "[api]") {
    ApiFixture f;
    f.transport->expect(calendars_step(
        "at-1", json_reply(200, R"({"calendars":[{"calendar_id":"cal_1"}],"calendars":[{"calendar_id":"cal_1"}]})")));

    const auto calendars = f.session->calendars();

    REQUIRE(calendars.size() == 1);
    CHECK(calendars[0].calendar_id == "cal_1");
    CHECK(calendars[0].raw_json == R"({"calendar_id":"cal_1"})");
    CHECK(f.transport->failures().empty());
}

TEST_CASE("read events over two pages, following next_page exactly as given", "[api]") {
    ApiFixture f;
    f.transport->expect(api_step(
        "GET", "/v1/events?tzid=Etc%2FUTC&from=2026-11-28&to=2026-12-05", "at-1",
        json_reply(200, R"({"pages":{"current":1,"total":2,"next_page":"https://api.test/v1/events/pages/08a07b034306679e"},)"
                        R"("events":[{"calendar_id":"cal_1","event_uid":"evt_external_1","summary":"Lunch",)"
                        R"("description":"","start":"2026-11-28T12:00:00Z","end":"2026-11-28T13:00:00Z",)"
                        R"("deleted":false,"created":"2026-11-01T09:00:00Z","updated":"2026-11-02T09:00:00Z",)"
                        R"("location":{"description":"Cafe"},"participation_status":"accepted",)"
                        R"("transparency":"opaque","status":"confirmed","recurring":false}]})")));
    f.transport->expect(api_step(
        "GET", "https://api.test/v1/events/pages/08a07b034306679e", "at-1",
        json_reply(200, R"({"pages":{"current":2,"total":2},"events":[{"calendar_id":"cal_1","event_uid":"evt_2",)"
                        R"("event_id":"mine-1","summary":"All day","start":{"time":"2026-11-29","tzid":"Europe/London"},)"
                        R"("end":{"time":"2026-11-30","tzid":"Europe/London"},"recurring":true}]})")));
    EventsQuery query;
    query.from = std::chrono::year{2026} / 11 / 28;
    query.to = std::chrono::year{2026} / 12 / 5;

    Pages<Event> pages = f.session->events(query);
    CHECK(f.transport->requests().empty());  // lazy
    const auto first = pages.next();
    CHECK(pages.current_page() == 1);
    CHECK(pages.total_pages() == 2);
    const auto second = pages.next();
    const auto after = pages.next();

    REQUIRE(first);
    REQUIRE(first->size() == 1);
    const Event& lunch = (*first)[0];
    CHECK(lunch.summary == "Lunch");
    CHECK(lunch.event_uid == "evt_external_1");
    CHECK(lunch.start == EventTime::parse("2026-11-28T12:00:00Z"));
    CHECK(lunch.end == EventTime::parse("2026-11-28T13:00:00Z"));
    REQUIRE(lunch.start.instant() != nullptr);
    CHECK(*lunch.start.instant() == std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + 12h);
    CHECK(lunch.location == "Cafe");
    CHECK(lunch.participation_status == "accepted");
    CHECK(lunch.created == "2026-11-01T09:00:00Z");
    CHECK(lunch.created_at == parse_rfc3339("2026-11-01T09:00:00Z"));
    CHECK(lunch.updated_at == parse_rfc3339("2026-11-02T09:00:00Z"));
    CHECK(lunch.status == "confirmed");
    REQUIRE(second);
    REQUIRE(second->size() == 1);
    CHECK((*second)[0].event_id == "mine-1");
    CHECK((*second)[0].start == EventTime::parse("2026-11-29", "Europe/London"));
    REQUIRE((*second)[0].start.date() != nullptr);
    CHECK(*(*second)[0].start.date() == std::chrono::year{2026} / 11 / 29);
    CHECK((*second)[0].start.tzid == "Europe/London");
    CHECK_FALSE((*second)[0].created_at);
    CHECK((*second)[0].recurring);
    CHECK(pages.current_page() == 2);
    CHECK_FALSE(after);
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("every events option is sent, booleans as true/false, values percent-encoded", "[api]") {
    ApiFixture f;
    f.transport->expect(api_step("GET",
                                 "/v1/events?tzid=Europe%2FLondon&from=2026-11-28&to=2026-12-05"
                                 "&calendar_ids%5B%5D=cal%2B1%26x%3Dy%25%23%20%C3%A9&calendar_ids%5B%5D=cal_2"
                                 "&last_modified=2026-11-01T00%3A00%3A00Z&include_managed=true&only_managed=false"
                                 "&include_deleted=true&include_moved=false&localized_times=true",
                                 "at-1", json_reply(200, R"({"events":[]})")));
    EventsQuery q;
    q.tzid = "Europe/London";
    q.from = std::chrono::year{2026} / 11 / 28;
    q.to = std::chrono::year{2026} / 12 / 5;
    q.calendar_ids = {"cal+1&x=y%# \xC3\xA9", "cal_2"};
    q.last_modified = parse_rfc3339("2026-11-01T00:00:00Z");
    q.include_managed = true;
    q.only_managed = false;
    q.include_deleted = true;
    q.include_moved = false;
    q.localized_times = true;

    CHECK(f.session->events(q).all().empty());
    CHECK(f.transport->failures().empty());
}

TEST_CASE("free/busy pages are typed periods", "[api]") {
    ApiFixture f;
    f.transport->expect(api_step("GET", "/v1/free_busy?tzid=Etc%2FUTC", "at-1",
                                 json_reply(200, R"({"pages":{"current":1,"total":1},"free_busy":[{"calendar_id":"cal_1",)"
                                                 R"("start":"2026-11-28T09:00:00Z","end":"2026-11-28T10:00:00Z",)"
                                                 R"("free_busy_status":"busy"}]})")));

    const auto periods = f.session->free_busy({}).all();

    REQUIRE(periods.size() == 1);
    CHECK(periods[0].calendar_id == "cal_1");
    CHECK(periods[0].start.time == "2026-11-28T09:00:00Z");
    CHECK(periods[0].end == EventTime::parse("2026-11-28T10:00:00Z"));
    REQUIRE(periods[0].start.instant() != nullptr);
    CHECK(*periods[0].start.instant() == std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + 9h);
    CHECK(periods[0].free_busy_status == "busy");
}

TEST_CASE("one unreadable time keeps its text and does not fail the listing", "[api][times]") {
    ApiFixture f;
    f.transport->expect(api_step(
        "GET", "/v1/events?tzid=Etc%2FUTC", "at-1",
        json_reply(200, R"({"events":[{"event_uid":"evt_1","start":"2026-02-30T09:00:00Z",)"
                        R"("end":{"time":"2026-12-04T10:00:00+01:00junk","tzid":"Europe/Paris"},"created":"yesterday"},)"
                        R"({"event_uid":"evt_2","start":"2026-12-04T10:00:00+01:00","end":42}]})")));

    const auto events = f.session->events({}).all();

    REQUIRE(events.size() == 2);
    CHECK(events[0].start.time == "2026-02-30T09:00:00Z");
    CHECK(std::holds_alternative<std::monostate>(events[0].start.value));
    CHECK(events[0].end.time == "2026-12-04T10:00:00+01:00junk");
    CHECK(events[0].end.tzid == "Europe/Paris");
    CHECK(std::holds_alternative<std::monostate>(events[0].end.value));
    CHECK(events[0].created == "yesterday");
    CHECK_FALSE(events[0].created_at);
    CHECK(events[1].start.is_instant());
    CHECK(events[1].start.utc_offset == 60min);
    CHECK(events[1].end == EventTime{});
}

TEST_CASE("an invalid query date is refused before anything is sent", "[api][times]") {
    ApiFixture f;
    EventsQuery q;
    q.from = std::chrono::year{2026} / 2 / 30;
    CHECK_THROWS_AS(f.session->events(q).next(), InvalidArgumentError);
    q.from.reset();
    q.to = std::chrono::year{2026} / 13 / 1;
    CHECK_THROWS_AS(f.session->free_busy(q).next(), InvalidArgumentError);
    CHECK(f.transport->requests().empty());
}

TEST_CASE("last_modified goes out floored to the second", "[api][times]") {
    ApiFixture f;
    f.transport->expect(api_step("GET", "/v1/events?tzid=Etc%2FUTC&last_modified=2026-11-01T00%3A00%3A01Z", "at-1",
                                 json_reply(200, R"({"events":[]})")));
    EventsQuery q;
    q.last_modified = std::chrono::sys_days{std::chrono::year{2026} / 11 / 1} + 1999ms;
    CHECK(f.session->events(q).all().empty());
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a next_page on another origin is a protocol error, and nothing is sent there", "[api]") {
    for (const std::string next : {"https://evil.test/v1/events/pages/1", "http://api.test/v1/events/pages/1",
                                   "https://api.test:8443/v1/events/pages/1", "https://api.test@evil.test/pages/1",
                                   "https://api.test.evil.test/pages/1", "//evil.test/pages/1", "/v1/events/pages/1"}) {
        CAPTURE(next);
        ApiFixture f;
        f.transport->expect(api_step("GET", "/v1/events?tzid=Etc%2FUTC", "at-1",
                                     json_reply(200, R"({"pages":{"current":1,"total":2,"next_page":")" + next +
                                                         R"("},"events":[]})")));
        Pages<Event> pages = f.session->events({});

        CHECK(pages.next());
        const auto e = thrown_by<ProtocolError>([&] { pages.next(); });
        CHECK(std::string(e.what()).find("not on the API host's origin") != std::string::npos);
        CHECK(f.transport->requests().size() == 1);
        CHECK(f.transport->failures().empty());
    }
}

TEST_CASE("upsert event: the typed builder's JSON body, 202", "[api]") {
    ApiFixture f;
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/calendars/cal%2F1%3Fx/events", "at-1", reply(202)),
        R"({"event_id":"ev-1","summary":"Standup","description":"Daily","start":"2026-11-28T09:00:00Z",)"
        R"("end":{"time":"2026-11-28T09:15:00","tzid":"Europe/London"},"tzid":"Europe/London",)"
        R"("location":{"description":"Room 1"}})"));
    NewEvent event;
    event.event_id = "ev-1";
    event.summary = "Standup";
    event.description = "Daily";
    event.start = EventTime::at(std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + 9h);
    event.end = EventTime{"2026-11-28T09:15:00", "Europe/London", {}, {}};
    event.tzid = "Europe/London";
    event.location = "Room 1";

    f.session->upsert_event("cal/1?x", event);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("an upsert without an event_id or event_uid is refused before anything is sent", "[api]") {
    ApiFixture f;
    CHECK_THROWS_AS(f.session->upsert_event("cal_1", R"({"summary":"no id"})"), InvalidArgumentError);
    CHECK_THROWS_AS(f.session->upsert_event("cal_1", "not json"), InvalidArgumentError);
    CHECK_THROWS_AS(f.session->upsert_event("", R"({"event_id":"e"})"), InvalidArgumentError);
    CHECK_THROWS_AS(f.session->upsert_event("cal_1", NewEvent{}), InvalidArgumentError);
    CHECK(f.transport->requests().empty());
}

TEST_CASE("422 on an upsert is a ValidationError with the field errors", "[api]") {
    ApiFixture f;
    const std::string event = R"({"event_id":"ev-1","summary":"s","description":"d","start":"x","end":"y"})";
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/calendars/cal_1/events", "at-1",
                 json_reply(422, R"({"errors":{"start":[{"key":"errors.invalid_datetime","description":"start is invalid"}],)"
                                 R"("end":[{"key":"errors.invalid_datetime","description":"end is invalid"}]}})")),
        event));

    const auto e = thrown_by<ValidationError>([&] { f.session->upsert_event("cal_1", event); });

    CHECK(e.http_status() == 422);
    CHECK(e.field_errors() == std::vector<FieldError>{{"start", "errors.invalid_datetime", "start is invalid"},
                                                      {"end", "errors.invalid_datetime", "end is invalid"}});
    CHECK(f.transport->requests().size() == 1);  // a 422 is not retried
}

TEST_CASE("delete event by event_id or event_uid: DELETE with a JSON body", "[api]") {
    ApiFixture f;
    f.transport->expect(with_json_body(api_step("DELETE", "/v1/calendars/cal_1/events", "at-1", reply(202)),
                                       R"({"event_id":"ev-\"1\""})"));
    f.transport->expect(with_json_body(api_step("DELETE", "/v1/calendars/cal_1/events", "at-1", reply(202)),
                                       R"({"event_uid":"evt_external_1"})"));

    f.session->delete_event("cal_1", "ev-\"1\"");
    f.session->delete_external_event("cal_1", "evt_external_1");
    CHECK(f.transport->failures().empty());
}

TEST_CASE("account, userinfo and profiles are typed: a disconnected profile shows its relink URL", "[api]") {
    ApiFixture f;
    f.transport->expect(api_step("GET", "/v1/account", "at-1",
                                 json_reply(200, R"({"account":{"account_id":"acc_1","email":"me@example.com",)"
                                                 R"("name":"Me","scope":"read_account list_calendars",)"
                                                 R"("default_tzid":"Europe/London"}})")));
    f.transport->expect(api_step("GET", "/v1/userinfo", "at-1",
                                 json_reply(200, R"({"sub":"acc_1","email":"me@example.com","name":"Me",)"
                                                 R"("zoneinfo":"Europe/London","cronofy.type":"account",)"
                                                 R"("cronofy.data":{"authorization":{},"profiles":[{"provider_name":)"
                                                 R"("google","profile_id":"pro_1","profile_name":"me@example.com",)"
                                                 R"("profile_connected":true}]}})")));
    f.transport->expect(api_step("GET", "/v1/profiles", "at-1",
                                 json_reply(200, R"({"profiles":[{"provider_name":"office365","profile_id":"pro_2",)"
                                                 R"("profile_name":"me@work.example","profile_connected":false,)"
                                                 R"("profile_relink_url":"https://app.test/relink/pro_2"}]})")));

    const Account account = f.session->account();
    const UserInfo info = f.session->userinfo();
    const auto profiles = f.session->profiles();

    CHECK(account.account_id == "acc_1");
    CHECK(account.scope == std::vector<std::string>{"read_account", "list_calendars"});
    CHECK(account.default_tzid == "Europe/London");
    CHECK(info.sub == "acc_1");
    CHECK(info.type == "account");
    REQUIRE(info.profiles.size() == 1);
    CHECK(info.profiles[0].profile_id == "pro_1");
    REQUIRE(profiles.size() == 1);
    CHECK_FALSE(profiles[0].connected);
    CHECK(profiles[0].relink_url == "https://app.test/relink/pro_2");
    CHECK(f.transport->failures().empty());
}

TEST_CASE("revoke a profile and create a link token", "[api]") {
    ApiFixture f;
    f.transport->expect(api_step("POST", "/v1/profiles/pro_1/revoke", "at-1", reply(202)));
    f.transport->expect(api_step("POST", "/v1/link_tokens", "at-1", json_reply(200, R"({"link_token":"lt-1"})")));
    f.transport->expect(api_step("POST", "/v1/link_tokens", "at-1", json_reply(200, R"({"nothing":1})")));

    f.session->revoke_profile("pro_1");
    CHECK(f.session->create_link_token().reveal() == "lt-1");
    CHECK_THROWS_AS(f.session->create_link_token(), ProtocolError);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a reply of the wrong shape is a ProtocolError naming the call", "[api]") {
    ApiFixture f;
    f.transport->expect(calendars_step("at-1", json_reply(200, R"({"calendars":{}})")));
    f.transport->expect(calendars_step("at-1", reply(200, "<html>")));
    f.transport->expect(calendars_step("at-1", json_reply(200, R"({"calendars":[1]})")));

    CHECK(std::string(thrown_by<ProtocolError>([&] { f.session->calendars(); }).what()) ==
          R"(list calendars: the reply has no "calendars" array)");
    CHECK(std::string(thrown_by<ProtocolError>([&] { f.session->calendars(); }).what()).rfind(
              "list calendars: the reply is not JSON", 0) == 0);
    CHECK(std::string(thrown_by<ProtocolError>([&] { f.session->calendars(); }).what()) ==
          R"(list calendars: "calendars" holds something other than objects)");
}

TEST_CASE("the generic request: a path with encoded query, a JSON body, the raw reply", "[api]") {
    ApiFixture f;
    f.transport->expect(api_step("GET", "/v1/calendars?a%5B%5D=x%2By&b=%C3%A9%20%26", "at-1",
                                 json_reply(200, R"({"calendars":[]})")));
    f.transport->expect(with_json_body(api_step("POST", "/v1/channels", "at-1", json_reply(200, R"({"channel":{}})")),
                                       R"({"callback_url":"https://x"})"));
    f.transport->expect(api_step("DELETE", "https://api.test/v1/channels/ch_1", "at-1", reply(202)));

    CHECK(f.session->request("GET", "/v1/calendars", {{"a[]", "x+y"}, {"b", "\xC3\xA9 &"}}) ==
          R"({"calendars":[]})");
    CHECK(f.session->request("POST", "/v1/channels", {}, R"({"callback_url":"https://x"})") == R"({"channel":{}})");
    CHECK(f.session->request("DELETE", "https://api.test/v1/channels/ch_1").empty());
    CHECK(f.transport->failures().empty());
}

TEST_CASE("the generic request never sends the token off the API origin, and checks what it is given", "[api]") {
    ApiFixture f;
    for (const char* where : {"https://evil.test/v1/x", "v1/calendars", "", "http://api.test/v1/x",
                              "https://api.test.evil.test/v1/x", "https://api.test@evil.test/v1/x"}) {
        CAPTURE(where);
        CHECK_THROWS_AS(f.session->request("GET", where), InvalidArgumentError);
    }
    CHECK_THROWS_AS(f.session->request("get", "/v1/x"), InvalidArgumentError);
    CHECK_THROWS_AS(f.session->request("POST", "/v1/x", {}, "not json"), InvalidArgumentError);
    CHECK(f.transport->requests().empty());

    f.transport->expect(api_step("GET", "/v1/x", "at-1", reply(200, "plain text")));
    CHECK_THROWS_AS(f.session->request("GET", "/v1/x"), ProtocolError);
}
