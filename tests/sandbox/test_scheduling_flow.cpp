// Availability, application calendars and client-secret calls end to end, over real TLS,
// against a freshly started calbridge-sandbox (needs the sandbox side of issue 12 item 5):
// availability checked against an independent computation from the account's own events, a
// 422 for an invalid query, an application calendar created, refreshed through the store and
// written to, a wrong secret refused.
#include "sandbox_fixture.hpp"
#include "support/catch.hpp"

#include <calbridge/client.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/errors.hpp>

#include <algorithm>
#include <regex>

using namespace calbridge;
using calbridge::test::SandboxProcess;
using namespace std::chrono_literals;

namespace {

WallTime at(const char* text) { return *parse_rfc3339(text); }

using Fixture = calbridge::test::SandboxFixture;

using Interval = std::pair<WallTime, WallTime>;

// The window minus the busy intervals, keeping what is at least `duration` long.
std::vector<Interval> free_periods(Interval window, std::vector<Interval> busy, std::chrono::minutes duration) {
    std::sort(busy.begin(), busy.end());
    std::vector<Interval> free;
    WallTime cursor = window.first;
    for (const auto& [s, e] : busy) {
        if (s > cursor) free.emplace_back(cursor, std::min(s, window.second));
        cursor = std::max(cursor, e);
    }
    if (cursor < window.second) free.emplace_back(cursor, window.second);
    std::erase_if(free, [&](const Interval& i) { return i.second - i.first < duration; });
    return free;
}

}  // namespace

TEST_CASE("availability: the window minus the account's events with the token and with the secret") {
    Fixture f;
    const Credentials creds = f.connect();
    const Session session = f.client.session(creds.account_key());
    for (const auto& [id, start, end] : {std::tuple{"busy-1", "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z"},
                                         std::tuple{"busy-2", "2026-12-07T13:30:00Z", "2026-12-07T14:00:00Z"},
                                         std::tuple{"busy-3", "2026-12-07T14:15:00Z", "2026-12-07T15:00:00Z"}}) {
        NewEvent e;
        e.event_id = id;
        e.summary = "busy";
        e.description = "-";
        e.start = EventTime::parse(start);
        e.end = EventTime::parse(end);
        session.upsert_event("cal_sandbox_primary", e);
    }
    const Interval window{at("2026-12-07T09:00:00Z"), at("2026-12-07T17:00:00Z")};
    EventsQuery events;
    events.from = std::chrono::year{2026} / 12 / 6;
    events.to = std::chrono::year{2026} / 12 / 9;
    events.include_managed = true;  // the events this application wrote are "managed"
    std::vector<Interval> busy;
    for (const Event& e : session.events(events).all()) {
        if (e.deleted || e.transparency == "transparent" || !e.start.is_instant()) continue;
        const WallTime* s = e.start.instant();
        const WallTime* t = e.end.instant();
        if (s != nullptr && t != nullptr && *t > window.first && *s < window.second) {
            busy.emplace_back(std::max(*s, window.first), std::min(*t, window.second));
        }
    }
    const auto expected = free_periods(window, busy, 30min);

    AvailabilityQuery q;
    q.participants.push_back({{{creds.sub.empty() ? creds.account_key() : creds.sub, {}}}, std::nullopt});
    q.required_duration = 30min;
    q.available_periods.push_back({window.first, window.second});
    for (const AvailabilityResult& result : {session.availability(q), f.client.availability(q)}) {
        std::vector<Interval> got;
        for (const auto& p : result.available_periods) got.emplace_back(p.start, p.end);
        CHECK(got == expected);
    }
}

TEST_CASE("availability: an invalid query through the generic call is a 422 with field errors") {
    Fixture f;
    const auto e = [&] {
        try {
            f.client.request("POST", "/v1/availability", {}, R"({"participants":[]})");
        } catch (const ValidationError& error) {
            return error;
        }
        FAIL("no ValidationError");
        throw std::logic_error("unreachable");
    }();
    CHECK_FALSE(e.field_errors().empty());
}

TEST_CASE("application calendar: created then refreshed through the store and written to") {
    Fixture f;
    const Credentials created = f.client.create_application_calendar("bookings");
    const Session session = f.client.session(created.account_key());
    REQUIRE(test::admin(*f.transport, f.sandbox, "POST", "/admin/tokens/expire",
                        R"({"account_id": ")" + created.account_key() + R"("})")
                .status == 200);

    const auto calendars = session.calendars();  // refreshes first
    REQUIRE_FALSE(calendars.empty());
    NewEvent e;
    e.event_id = "booking-1";
    e.summary = "Booked";
    e.description = "-";
    e.start = EventTime::at(at("2026-12-07T09:00:00Z"));
    e.end = EventTime::at(at("2026-12-07T10:00:00Z"));
    session.upsert_event(calendars[0].calendar_id, e);

    const auto stored = f.client.store()->load(created.account_key());
    REQUIRE(stored);
    CHECK(stored->credentials.access_token.reveal() != created.access_token.reveal());
    EventsQuery q;
    q.from = std::chrono::year{2026} / 12 / 6;
    q.to = std::chrono::year{2026} / 12 / 9;
    q.include_managed = true;  // the event this application wrote is "managed"
    const auto events = session.events(q).all();
    REQUIRE(events.size() == 1);
    CHECK(events[0].event_id == "booking-1");
}

TEST_CASE("a wrong client secret is an invalid client and never quoted") {
    Fixture f;
    const Client wrong = f.make_client(calbridge::test::sandbox_config(f.sandbox, "wrong-secret-0123456789-wrong"));
    try {
        wrong.create_application_calendar("bookings");
        FAIL("no InvalidClientError");
    } catch (const InvalidClientError& e) {
        CHECK(std::string(e.what()).find("wrong-secret-0123456789-wrong") == std::string::npos);
    }
}
