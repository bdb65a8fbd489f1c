// Calls authenticated with the application's client secret (Client::request, availability,
// application calendars) and the other account calls (participation status, new calendars,
// delete all, availability rules, elevated permissions): exact requests, typed results, the
// secret as the bearer and nowhere else.
#include "support/catch.hpp"

#include "client_fixture.hpp"

#include <calbridge/credentials.hpp>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

// A request with a JSON body whose exact text the test does not pin.
Step with_json_type(Step step) {
    step.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
    return step;
}

// POST /v1/application_calendars for application calendar "a", exactly.
Step app_calendar_step(HttpResponse answer, const std::string& id = "a") {
    Step s = api_step("POST", "/v1/application_calendars", client_secret_value, std::move(answer));
    s.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
    s.body = std::string(R"({"client_id":"client-id","client_secret":")") + client_secret_value +
             R"(","application_calendar_id":")" + id + "\"}";
    return s;
}

// A request with the client secret as the bearer.
Step app_step(const std::string& method, const std::string& path, HttpResponse answer) {
    return api_step(method, path, client_secret_value, std::move(answer));
}

WallTime at(const char* rfc3339) {
    const auto t = parse_rfc3339(rfc3339);
    if (!t) throw std::logic_error("bad test time");
    return *t;
}

AvailabilityQuery sample_query() {
    AvailabilityQuery q;
    q.participants.push_back({{{"acc_1", {}}, {"acc_2", {"cal_2"}}}, std::nullopt});
    q.participants.push_back({{{"acc_3", {}}, {"acc_4", {}}}, 1});
    q.required_duration = 60min;
    q.available_periods.push_back({at("2026-12-07T09:00:00Z"), at("2026-12-07T17:00:00Z")});
    q.buffer_before = 15min;
    q.buffer_after = 5min;
    q.start_interval = 30min;
    q.max_results = 20;
    q.response_format = AvailabilityFormat::slots;
    return q;
}

const char* sample_query_json =
    R"({"participants":[{"members":[{"sub":"acc_1"},{"sub":"acc_2","calendar_ids":["cal_2"]}],"required":"all"},)"
    R"({"members":[{"sub":"acc_3"},{"sub":"acc_4"}],"required":1}],"required_duration":{"minutes":60},)"
    R"("available_periods":[{"start":"2026-12-07T09:00:00Z","end":"2026-12-07T17:00:00Z"}],)"
    R"("buffer":{"before":{"minutes":15},"after":{"minutes":5}},"start_interval":{"minutes":30},)"
    R"("max_results":20,"response_format":"slots"})";

void check_secret_absent(const Fixture& f, const std::string& text) {
    CHECK(text.find(client_secret_value) == std::string::npos);
    const std::string log = f.log.text();
    CHECK(log.find(client_secret_value) == std::string::npos);
}

}  // namespace

TEST_CASE("client request: the client secret is the bearer and the reply comes back as is", "[app]") {
    Fixture f;
    f.transport->expect(with_json_body(app_step("POST", "/v1/real_time_scheduling",
                                                json_reply(200, R"({"url":"https://app.test/rts/1"})")),
                                       R"({"oauth":{"redirect_uri":"https://example.com/done"}})"));
    f.transport->expect(app_step("GET", "/v1/smart_invites?smart_invite_id=inv%201&recipient_email=a%40b.example",
                                 json_reply(200, R"({"smart_invite_id":"inv 1"})")));
    f.transport->expect(app_step("DELETE", "https://api.test/v1/x", reply(202)));

    CHECK(f.client.request("POST", "/v1/real_time_scheduling", {},
                           R"({"oauth":{"redirect_uri":"https://example.com/done"}})") ==
          R"({"url":"https://app.test/rts/1"})");
    CHECK(f.client.request("GET", "/v1/smart_invites",
                           {{"smart_invite_id", "inv 1"}, {"recipient_email", "a@b.example"}}) ==
          R"({"smart_invite_id":"inv 1"})");
    CHECK(f.client.request("DELETE", "https://api.test/v1/x").empty());
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
    check_secret_absent(f, "");
}

TEST_CASE("client request: another origin is refused and nothing is sent", "[app]") {
    Fixture f;
    for (const char* where : {"https://evil.test/v1/x", "v1/calendars", "", "http://api.test/v1/x",
                              "https://api.test.evil.test/v1/x", "https://api.test@evil.test/v1/x",
                              "https://api.test:444/v1/x", "https://[::1]/v1/x"}) {
        CAPTURE(where);
        const auto e = thrown_by<InvalidArgumentError>([&] { f.client.request("GET", where); });
        CHECK(std::string(e.what()).find(client_secret_value) == std::string::npos);
    }
    CHECK_THROWS_AS(f.client.request("post", "/v1/x"), InvalidArgumentError);
    CHECK_THROWS_AS(f.client.request("POST", "/v1/x", {}, "not json"), InvalidArgumentError);
    CHECK(f.transport->requests().empty());

    f.transport->expect(app_step("GET", "/v1/x", reply(200, "plain text")));
    CHECK_THROWS_AS(f.client.request("GET", "/v1/x"), ProtocolError);
}

TEST_CASE("client request: GET retried after a 503 with Retry-After and POST not", "[app]") {
    Fixture f;
    f.transport->expect(app_step("GET", "/v1/smart_invites", json_reply(503, "{}", {{"Retry-After", "2"}})));
    f.transport->expect(app_step("GET", "/v1/smart_invites", json_reply(200, R"({"ok":true})")));
    f.transport->expect(app_step("POST", "/v1/smart_invites", json_reply(503, "{}")));

    const auto before = f.clock.steady();
    CHECK(f.client.request("GET", "/v1/smart_invites") == R"({"ok":true})");
    CHECK(f.clock.steady() - before >= 2s);
    CHECK_THROWS_AS(f.client.request("POST", "/v1/smart_invites"), ServiceUnavailableError);
    CHECK(f.transport->requests().size() == 3);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("client request: a 401 is an invalid client and never a refresh", "[app]") {
    Fixture f;
    f.transport->expect(app_step("POST", "/v1/smart_invites",
                                 json_reply(401, std::string(R"({"echo":"Bearer )") + client_secret_value + "\"}")));

    const auto e = thrown_by<InvalidClientError>([&] { f.client.request("POST", "/v1/smart_invites"); });

    CHECK(e.http_status() == 401);
    CHECK(f.transport->requests().size() == 1);
    check_secret_absent(f, e.what());
}

TEST_CASE("client request: 422 field errors and echoed secrets scrubbed from errors and logs", "[app]") {
    Fixture f;
    const std::string secret = client_secret_value;
    f.transport->expect(app_step(
        "POST", "/v1/smart_invites",
        json_reply(422, R"({"errors":{"recipient":[{"key":"errors.required","description":"recipient )" + secret +
                            R"( is required"}]}})")));
    f.transport->expect(app_step("GET", "/v1/smart_invites",
                                 reply(500, "<html>secret " + secret + " and Bearer%20" + secret + "</html>")));

    const auto validation = thrown_by<ValidationError>([&] { f.client.request("POST", "/v1/smart_invites"); });
    const auto server = thrown_by<ServerError>([&] { f.client.request("GET", "/v1/smart_invites"); });

    REQUIRE(validation.field_errors().size() == 1);
    CHECK(validation.field_errors()[0].field == "recipient");
    CHECK(validation.field_errors()[0].key == "errors.required");
    CHECK(validation.field_errors()[0].description.find(secret) == std::string::npos);
    check_secret_absent(f, validation.what());
    check_secret_absent(f, server.what());
    CHECK(server.http_status() == 500);
}

TEST_CASE("availability across accounts: the exact query with the client secret and typed slots", "[app]") {
    Fixture f;
    f.transport->expect(with_json_body(
        app_step("POST", "/v1/availability",
                 json_reply(200, R"({"available_slots":[{"start":"2026-12-07T09:00:00Z","end":"2026-12-07T10:00:00Z",)"
                                 R"("participants":[{"sub":"acc_1"},{"sub":"acc_3"}],"extra":1}]})")),
        sample_query_json));

    const AvailabilityResult result = f.client.availability(sample_query());

    REQUIRE(result.available_slots.size() == 1);
    CHECK(result.available_periods.empty());
    const AvailableTime& slot = result.available_slots[0];
    CHECK(slot.start == at("2026-12-07T09:00:00Z"));
    CHECK(slot.end == at("2026-12-07T10:00:00Z"));
    CHECK(slot.participants == std::vector<std::string>{"acc_1", "acc_3"});
    CHECK(slot.raw_json.find(R"("extra":1)") != std::string::npos);
    CHECK(result.raw_json.find("available_slots") != std::string::npos);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("availability with the account's token: periods and the minimal query", "[app]") {
    Fixture f;
    Session session = stored_session(f);
    AvailabilityQuery q;
    q.participants.push_back({{{"acc_1", {}}}, std::nullopt});
    q.required_duration = 30min;
    q.available_periods.push_back({at("2026-12-07T09:00:00Z"), at("2026-12-07T12:00:00Z")});
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/availability", "at-1",
                 json_reply(200, R"({"available_periods":[{"start":"2026-12-07T09:00:00Z","end":"2026-12-07T10:00:00Z",)"
                                 R"("participants":[{"sub":"acc_1"}]},{"start":"2026-12-07T11:00:00Z",)"
                                 R"("end":"2026-12-07T12:00:00Z","participants":[{"sub":"acc_1"}]}]})")),
        R"({"participants":[{"members":[{"sub":"acc_1"}],"required":"all"}],"required_duration":{"minutes":30},)"
        R"("available_periods":[{"start":"2026-12-07T09:00:00Z","end":"2026-12-07T12:00:00Z"}],)"
        R"("response_format":"periods"})"));

    const auto result = session.availability(q);

    REQUIRE(result.available_periods.size() == 2);
    CHECK(result.available_periods[1].start == at("2026-12-07T11:00:00Z"));
    CHECK(result.available_periods[1].participants == std::vector<std::string>{"acc_1"});
    CHECK(f.transport->failures().empty());
}

TEST_CASE("availability: a broken query is refused before anything is sent", "[app]") {
    Fixture f;
    Session session = stored_session(f);
    std::vector<std::function<void(AvailabilityQuery&)>> breakers = {
        [](AvailabilityQuery& q) { q.participants.clear(); },
        [](AvailabilityQuery& q) { q.participants[0].members.clear(); },
        [](AvailabilityQuery& q) { q.participants[0].members[0].sub.clear(); },
        [](AvailabilityQuery& q) { q.participants[0].members[1].calendar_ids = {""}; },
        [](AvailabilityQuery& q) { q.participants[1].required = 0; },
        [](AvailabilityQuery& q) { q.participants[1].required = 3; },
        [](AvailabilityQuery& q) { q.required_duration = 0min; },
        [](AvailabilityQuery& q) { q.available_periods.clear(); },
        [](AvailabilityQuery& q) { q.available_periods[0].end = q.available_periods[0].start; },
        [](AvailabilityQuery& q) { q.available_periods[0].start += 500ms; },
        [](AvailabilityQuery& q) { q.buffer_before = -1min; },
        [](AvailabilityQuery& q) { q.buffer_after = -1min; },
        [](AvailabilityQuery& q) { q.start_interval = 0min; },
        [](AvailabilityQuery& q) { q.max_results = 0; },
    };
    for (std::size_t i = 0; i < breakers.size(); ++i) {
        CAPTURE(i);
        AvailabilityQuery q = sample_query();
        breakers[i](q);
        CHECK_THROWS_AS(f.client.availability(q), InvalidArgumentError);
        CHECK_THROWS_AS(session.availability(q), InvalidArgumentError);
    }
    CHECK(f.transport->requests().empty());
}

TEST_CASE("availability: 422 field errors and replies of the wrong shape", "[app]") {
    Fixture f;
    f.transport->expect(with_json_type(app_step(
        "POST", "/v1/availability",
        json_reply(422, R"({"errors":{"required_duration":[{"key":"errors.invalid","description":"too long"}]}})"))));
    f.transport->expect(with_json_type(app_step("POST", "/v1/availability", json_reply(200, R"({"nothing":[]})"))));
    f.transport->expect(with_json_type(app_step(
        "POST", "/v1/availability", json_reply(200, R"({"available_periods":[{"start":"soon","end":"later"}]})"))));

    const auto e = thrown_by<ValidationError>([&] { f.client.availability(sample_query()); });
    CHECK(e.field_errors() == std::vector<FieldError>{{"required_duration", "errors.invalid", "too long"}});
    CHECK(f.transport->requests().size() == 1);  // a 422 is not retried
    CHECK_THROWS_AS(f.client.availability(sample_query()), ProtocolError);
    CHECK_THROWS_AS(f.client.availability(sample_query()), ProtocolError);
    check_secret_absent(f, e.what());
}

TEST_CASE("application calendar: created with the secret then stored and refreshed like any account", "[app]") {
    Fixture f;
    const std::string secret = client_secret_value;
    f.transport->expect(with_json_body(
        app_step("POST", "/v1/application_calendars",
                 json_reply(200, R"({"token_type":"bearer","access_token":"at-app","expires_in":30,)"
                                 R"("refresh_token":"rt-app","scope":"read_events create_event",)"
                                 R"("sub":"apc_1","application_calendar_id":"bookings"})")),
        R"({"client_id":"client-id","client_secret":")" + secret + R"(","application_calendar_id":"bookings"})"));
    // 30 s left is inside the 60 s leeway: the first call refreshes through the store.
    f.transport->expect(refresh_step("rt-app", json_reply(200, token_reply("at-app-2", "rt-app-2", 3600, "apc_1"))));
    f.transport->expect(calendars_step("at-app-2"));

    const Credentials created = f.client.create_application_calendar("bookings");
    CHECK(created.account_key() == "apc_1");
    const auto stored = f.store->load("apc_1");
    REQUIRE(stored);
    CHECK(stored->credentials.access_token.reveal() == "at-app");

    Session session = f.client.session(created.account_key());
    CHECK(session.calendars().empty());
    CHECK(f.store->load("apc_1")->credentials.access_token.reveal() == "at-app-2");
    CHECK(f.store->load("apc_1")->credentials.refresh_token.reveal() == "rt-app-2");
    CHECK(f.transport->failures().empty());
    check_secret_absent(f, "");
}

TEST_CASE("application calendar: replaces what the store had and a live session adopts it", "[app]") {
    Fixture f;
    REQUIRE(f.store->insert("apc_1", credentials("at-old", "rt-old", f.clock.wall() + 1h, "apc_1")));
    Session session = f.client.session("apc_1");
    f.transport->expect(calendars_step("at-old"));
    CHECK(session.calendars().empty());
    f.transport->expect(app_calendar_step(json_reply(200, token_reply("at-new", "rt-new", 3600, "apc_1")), "bookings"));
    f.transport->expect(calendars_step("at-new"));

    f.client.create_application_calendar("bookings");

    CHECK(session.calendars().empty());
    CHECK(f.store->load("apc_1")->credentials.refresh_token.reveal() == "rt-new");
    CHECK(f.transport->failures().empty());
}

TEST_CASE("application calendar: errors are typed and never quote the secret", "[app]") {
    Fixture f;
    const std::string secret = client_secret_value;
    f.transport->expect(app_calendar_step(json_reply(401, R"({"echo":")" + secret + R"("})")));
    f.transport->expect(app_calendar_step(json_reply(
        422, R"({"errors":{"application_calendar_id":[{"key":"errors.blank","description":")" + secret + R"("}]}})")));
    f.transport->expect(app_calendar_step(json_reply(200, R"({"access_token":"x"})")));
    f.transport->expect(app_calendar_step(json_reply(502, "<html>" + secret + "</html>")));
    f.transport->expect(app_calendar_step(json_reply(404, R"({"error":"not_found"})")));
    f.transport->expect(app_calendar_step(json_reply(200, R"({"error":"invalid_request"})")));

    const auto invalid = thrown_by<InvalidClientError>([&] { f.client.create_application_calendar("a"); });
    const auto validation = thrown_by<ValidationError>([&] { f.client.create_application_calendar("a"); });
    const auto no_account = thrown_by<ProtocolError>([&] { f.client.create_application_calendar("a"); });
    const auto unavailable = thrown_by<ServiceUnavailableError>([&] { f.client.create_application_calendar("a"); });
    const auto not_found = thrown_by<NotFoundError>([&] { f.client.create_application_calendar("a"); });
    CHECK_THROWS_AS(f.client.create_application_calendar("a"), BadRequestError);  // 200 with an OAuth error
    CHECK_THROWS_AS(f.client.create_application_calendar(""), InvalidArgumentError);

    CHECK(f.transport->requests().size() == 6);  // the 502 POST is not sent again
    CHECK(std::string(not_found.what()).find("token endpoint") == std::string::npos);
    CHECK(validation.field_errors().size() == 1);
    for (const Error* e : std::initializer_list<const Error*>{&invalid, &validation, &no_account, &unavailable}) {
        check_secret_absent(f, e->what());
        for (const auto& fe : e->field_errors()) CHECK(fe.description.find(secret) == std::string::npos);
    }
}

TEST_CASE("participation status and create calendar: exact requests and a typed calendar", "[app]") {
    Fixture f;
    Session session = stored_session(f);
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/calendars/cal%2F1/events/evt%201/participation_status", "at-1", reply(202)),
        R"({"status":"tentative"})"));
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/calendars", "at-1",
                 json_reply(200, R"({"calendar":{"provider_name":"google","profile_id":"pro_1",)"
                                 R"("calendar_id":"cal_new","calendar_name":"Bookings","calendar_primary":false}})")),
        R"({"profile_id":"pro_1","name":"Bookings"})"));
    f.transport->expect(with_json_type(api_step("POST", "/v1/calendars", "at-1", json_reply(200, "{}"))));

    session.change_participation_status("cal/1", "evt 1", ParticipationStatus::tentative);
    const Calendar c = session.create_calendar("pro_1", "Bookings");
    CHECK(c.calendar_id == "cal_new");
    CHECK(c.calendar_name == "Bookings");
    CHECK(c.raw_json.find("cal_new") != std::string::npos);
    CHECK_THROWS_AS(session.create_calendar("pro_1", "x"), ProtocolError);
    CHECK_THROWS_AS(session.create_calendar("", "x"), InvalidArgumentError);
    CHECK_THROWS_AS(session.create_calendar("pro_1", ""), InvalidArgumentError);
    CHECK_THROWS_AS(session.change_participation_status("", "e", ParticipationStatus::accepted), InvalidArgumentError);
    CHECK_THROWS_AS(session.change_participation_status("c", "", ParticipationStatus::declined), InvalidArgumentError);
    CHECK(participation_status_name(ParticipationStatus::accepted) == "accepted");
    CHECK(participation_status_name(ParticipationStatus::declined) == "declined");
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->requests().size() == 3);
}

TEST_CASE("delete all managed events: everywhere or in some calendars", "[app]") {
    Fixture f;
    Session session = stored_session(f);
    f.transport->expect(with_json_body(api_step("DELETE", "/v1/events", "at-1", reply(202)), R"({"delete_all":true})"));
    f.transport->expect(with_json_body(api_step("DELETE", "/v1/events", "at-1", reply(202)),
                                       R"({"calendar_ids":["cal_1","cal_2"]})"));

    session.delete_all_events();
    session.delete_all_events(std::vector<std::string>{"cal_1", "cal_2"});
    CHECK_THROWS_AS(session.delete_all_events(std::vector<std::string>{}), InvalidArgumentError);
    CHECK_THROWS_AS(session.delete_all_events(std::vector<std::string>{""}), InvalidArgumentError);
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->requests().size() == 2);
}

TEST_CASE("availability rules: upsert list get and delete", "[app]") {
    Fixture f;
    Session session = stored_session(f);
    const std::string rule_json = R"({"availability_rule_id":"work hours","tzid":"Europe/London",)"
                                  R"("calendar_ids":["cal_1"],"weekly_periods":[{"day":"monday",)"
                                  R"("start_time":"09:00","end_time":"17:00"}]})";
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/availability_rules", "at-1", json_reply(200, R"({"availability_rule":)" + rule_json + "}")),
        rule_json));
    f.transport->expect(api_step("GET", "/v1/availability_rules", "at-1",
                                 json_reply(200, R"({"availability_rules":[)" + rule_json + "]}")));
    f.transport->expect(api_step("GET", "/v1/availability_rules/work%20hours", "at-1",
                                 json_reply(200, R"({"availability_rule":)" + rule_json + "}")));
    f.transport->expect(api_step("DELETE", "/v1/availability_rules/work%20hours", "at-1", reply(202)));
    f.transport->expect(api_step("GET", "/v1/availability_rules/x", "at-1", json_reply(404, "{}")));

    AvailabilityRule rule;
    rule.availability_rule_id = "work hours";
    rule.tzid = "Europe/London";
    rule.calendar_ids = {"cal_1"};
    rule.weekly_periods = {{"monday", "09:00", "17:00"}};

    const AvailabilityRule stored = session.upsert_availability_rule(rule);
    const auto rules = session.availability_rules();
    const AvailabilityRule one = session.availability_rule("work hours");
    session.delete_availability_rule("work hours");
    CHECK_THROWS_AS(session.availability_rule("x"), NotFoundError);

    CHECK(stored.availability_rule_id == "work hours");
    CHECK(stored.weekly_periods == rule.weekly_periods);
    REQUIRE(rules.size() == 1);
    CHECK(rules[0].calendar_ids == std::vector<std::string>{"cal_1"});
    CHECK(one.tzid == "Europe/London");
    CHECK(one.raw_json.find("weekly_periods") != std::string::npos);

    AvailabilityRule broken = rule;
    broken.availability_rule_id.clear();
    CHECK_THROWS_AS(session.upsert_availability_rule(broken), InvalidArgumentError);
    broken = rule;
    broken.tzid.clear();
    CHECK_THROWS_AS(session.upsert_availability_rule(broken), InvalidArgumentError);
    broken = rule;
    broken.weekly_periods[0].end_time.clear();
    CHECK_THROWS_AS(session.upsert_availability_rule(broken), InvalidArgumentError);
    CHECK_THROWS_AS(session.availability_rule(""), InvalidArgumentError);
    CHECK_THROWS_AS(session.delete_availability_rule(""), InvalidArgumentError);
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("elevated permissions: the request and the url to send the user to", "[app]") {
    Fixture f;
    Session session = stored_session(f);
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/permissions", "at-1",
                 json_reply(202, R"({"permissions_request":{"url":"https://app.test/permissions/1"}})")),
        R"({"permissions":[{"calendar_id":"cal_1","permission_level":"unrestricted"}],)"
        R"("redirect_uri":"https://example.com/back"})"));
    f.transport->expect(with_json_body(
        api_step("POST", "/v1/permissions", "at-1", json_reply(202, R"({"permissions_request":{"accepted":true}})")),
        R"({"permissions":[{"calendar_id":"cal_2","permission_level":"sandbox"}]})"));
    f.transport->expect(with_json_type(api_step("POST", "/v1/permissions", "at-1", json_reply(202, R"({})"))));

    const auto pending = session.request_elevated_permissions({{"cal_1", "unrestricted"}}, "https://example.com/back");
    const auto accepted = session.request_elevated_permissions({{"cal_2", "sandbox"}});

    CHECK_FALSE(pending.accepted);
    CHECK(pending.url == "https://app.test/permissions/1");
    CHECK(accepted.accepted);
    CHECK(accepted.url.empty());
    CHECK_THROWS_AS(session.request_elevated_permissions({{"cal_2", "sandbox"}}), ProtocolError);
    CHECK_THROWS_AS(session.request_elevated_permissions({}), InvalidArgumentError);
    CHECK_THROWS_AS(session.request_elevated_permissions({{"", "sandbox"}}), InvalidArgumentError);
    CHECK_THROWS_AS(session.request_elevated_permissions({{"cal", ""}}), InvalidArgumentError);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("availability query from JSON: the body's own form reads back to the same body", "[app]") {
    CHECK(AvailabilityQuery::from_json(sample_query_json).to_json() == sample_query_json);
    const auto hours = AvailabilityQuery::from_json(
        R"({"participants":[{"members":[{"sub":"acc_1"}]}],"required_duration":{"hours":2},)"
        R"("available_periods":[{"start":"2026-12-07T09:00:00+01:00","end":"2026-12-07T17:00:00Z"}]})");
    CHECK(hours.required_duration == 120min);
    CHECK_FALSE(hours.participants[0].required);
    CHECK(hours.available_periods[0].start == at("2026-12-07T08:00:00Z"));
    CHECK(hours.response_format == AvailabilityFormat::periods);

    for (const char* bad : {"not json", "[]", R"({"participants":{}})", R"({"participants":[1]})",
                            R"({"participants":[{"members":[{"sub":1}]}]})",
                            R"({"participants":[{"members":[],"required":"some"}]})",
                            R"({"participants":[{"members":[],"required":1.5}]})",
                            R"({"required_duration":60})", R"({"required_duration":{"minutes":1,"hours":1}})",
                            R"({"required_duration":{"seconds":60}})", R"({"required_duration":{"minutes":"60"}})",
                            R"({"available_periods":[{"start":"2026-12-07T09:00:00Z"}]})",
                            R"({"available_periods":[{"start":"monday","end":"2026-12-07T09:00:00Z"}]})",
                            R"({"buffer":{"before":15}})", R"({"max_results":99999999999})",
                            R"({"response_format":"grid"})"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(AvailabilityQuery::from_json(bad), InvalidArgumentError);
    }
    // Read but not valid: to_json says so.
    CHECK_THROWS_AS(AvailabilityQuery::from_json("{}").to_json(), InvalidArgumentError);
}

TEST_CASE("availability rule from JSON keeps the text and refuses what is not an object", "[app]") {
    const std::string text = R"({"availability_rule_id":"r1","tzid":"Etc/UTC","weekly_periods":[)"
                             R"({"day":"friday","start_time":"10:00","end_time":"12:00"}]})";
    const AvailabilityRule rule = AvailabilityRule::from_json(text);
    CHECK(rule.availability_rule_id == "r1");
    CHECK(rule.weekly_periods == std::vector<WeeklyPeriod>{{"friday", "10:00", "12:00"}});
    CHECK(rule.raw_json == text);
    CHECK(rule.to_json() == text);
    CHECK_THROWS_AS(AvailabilityRule::from_json("[]"), InvalidArgumentError);
    CHECK_THROWS_AS(AvailabilityRule::from_json("{"), InvalidArgumentError);
}

TEST_CASE("client request: a Retry-After beyond the call's deadline fails at once with the retry-after", "[app]") {
    Fixture f;
    f.transport->expect(app_step("GET", "/v1/smart_invites", json_reply(429, "{}", {{"Retry-After", "31"}})));
    const auto before = f.clock.steady();

    const auto e = thrown_by<RateLimitedError>(
        [&] { f.client.request("GET", "/v1/smart_invites", {}, std::nullopt, timeout_option(30s)); });

    CHECK(e.retry_after() == std::chrono::seconds(31));
    CHECK(f.clock.steady() == before);  // no wait that could not fit
    CHECK(f.transport->requests().size() == 1);
}

TEST_CASE("client request: a cancelled call sends nothing and says so", "[app]") {
    Fixture f;
    auto cancel = std::make_shared<CancellationToken>();
    cancel->cancel();
    CHECK_THROWS_AS(f.client.request("GET", "/v1/smart_invites", {}, std::nullopt, cancel_option(cancel)),
                    CancelledError);
    CHECK(f.transport->requests().empty());
}
