// RFC 3339 times and dates (calbridge/times.hpp) and EventTime, the typed start and end of events
// and free/busy periods (calbridge/api.hpp): every form the API sends, and the ones it must not.
#include "support/catch.hpp"

#include <calbridge/api.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/times.hpp>

#include <chrono>
#include <initializer_list>
#include <variant>

using namespace calbridge;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

const WallTime nine_utc = sys_days{year{2026} / 12 / 4} + 9h;

}  // namespace

TEST_CASE("parse_rfc3339_offset keeps the offset the text was written in", "[times]") {
    CHECK(parse_rfc3339_offset("2026-12-04T09:00:00Z") == OffsetTime{nine_utc, 0min});
    CHECK(parse_rfc3339_offset("2026-12-04T10:00:00+01:00") == OffsetTime{nine_utc, 60min});
    CHECK(parse_rfc3339_offset("2026-12-04T03:30:00-05:30") == OffsetTime{nine_utc, -330min});
    CHECK(parse_rfc3339_offset("2026-12-04T09:00:00-00:00") == OffsetTime{nine_utc, 0min});
    CHECK(parse_rfc3339_offset("2026-12-04T14:45:00.125+05:45") == OffsetTime{nine_utc + 125ms, 345min});
    CHECK(parse_rfc3339_offset("2026-12-04T09:00:00.000001Z") == OffsetTime{nine_utc + 1us, 0min});
    CHECK(parse_rfc3339_offset("2026-12-04T09:00:00") == std::nullopt);  // no offset
}

TEST_CASE("parse_date reads full dates and checks the calendar", "[times]") {
    CHECK(parse_date("2026-12-11") == year{2026} / 12 / 11);
    CHECK(parse_date("2024-02-29") == year{2024} / 2 / 29);  // leap year
    CHECK(parse_date("2000-02-29") == year{2000} / 2 / 29);  // divisible by 400: leap
    CHECK(parse_date("0001-01-01") == year{1} / 1 / 1);
    CHECK(parse_date("9999-12-31") == year{9999} / 12 / 31);
    for (const char* text : {"", "2026-13-01", "2026-00-10", "2026-02-30", "2026-02-29", "1900-02-29",
                             "2026-04-31", "2026-12-00", "2026-12-32", "2026-12-1", "26-12-11", "2026/12/11",
                             "2026-12-11 ", " 2026-12-11", "2026-12-11x", "2026-12-11T09:00:00Z", "2026-1a-11"}) {
        CAPTURE(text);
        CHECK(parse_date(text) == std::nullopt);
    }
}

TEST_CASE("format_date writes YYYY-MM-DD and refuses invalid dates", "[times]") {
    CHECK(format_date(year{2026} / 12 / 4) == "2026-12-04");
    CHECK(format_date(year{24} / 2 / 29) == "0024-02-29");
    CHECK_THROWS_AS(format_date(year{2026} / 2 / 30), InvalidArgumentError);
    CHECK_THROWS_AS(format_date(year{10000} / 1 / 1), InvalidArgumentError);
    CHECK_THROWS_AS(format_date(year{-1} / 1 / 1), InvalidArgumentError);
}

TEST_CASE("EventTime reads instants with their offset and keeps the text", "[times]") {
    const EventTime z = EventTime::read("2026-12-04T09:00:00Z");
    CHECK(z.is_instant());
    CHECK_FALSE(z.is_date());
    REQUIRE(z.instant() != nullptr);
    CHECK(*z.instant() == nine_utc);
    CHECK(z.utc_offset == 0min);
    CHECK(z.time == "2026-12-04T09:00:00Z");

    const EventTime plus = EventTime::read("2026-12-04T10:00:00+01:00", "Europe/Paris");
    CHECK(plus.value == decltype(plus.value){nine_utc});
    CHECK(plus.utc_offset == 60min);
    CHECK(plus.tzid == "Europe/Paris");
    CHECK(plus.time == "2026-12-04T10:00:00+01:00");

    const EventTime minus = EventTime::read("2026-12-04T03:30:00.5-05:30");
    CHECK(minus.value == decltype(minus.value){nine_utc + 500ms});
    CHECK(minus.utc_offset == -330min);
}

TEST_CASE("EventTime reads dates as all-day values", "[times]") {
    const EventTime day = EventTime::read("2026-12-11");
    CHECK(day.is_date());
    REQUIRE(day.date() != nullptr);
    CHECK(*day.date() == year{2026} / 12 / 11);
    CHECK(day.instant() == nullptr);
    CHECK(EventTime::read("2028-02-29").is_date());
}

TEST_CASE("EventTime keeps the text of an unreadable time with an empty value", "[times]") {
    for (const char* text : {"", "2026-13-04T09:00:00Z", "2026-02-30T09:00:00Z", "2026-02-30", "2026-13-11",
                             "2026-12-04 09:00:00Z", "2026-12-04T09:00:00Zjunk", "2026-12-11junk", "tomorrow",
                             "2026-12-04T09:00:00", "9999-12-31T23:59:59Z"}) {
        CAPTURE(text);
        const EventTime t = EventTime::read(text);
        CHECK(std::holds_alternative<std::monostate>(t.value));
        CHECK(t.time == text);
        CHECK_THROWS_AS(EventTime::parse(text), InvalidArgumentError);
    }
}

TEST_CASE("EventTime::at and on write the text the API reads", "[times]") {
    CHECK(EventTime::at(nine_utc).time == "2026-12-04T09:00:00Z");
    CHECK(EventTime::at(nine_utc + 250ms).time == "2026-12-04T09:00:00.25Z");
    CHECK(EventTime::at(nine_utc + 1ns).time == "2026-12-04T09:00:00.000000001Z");
    CHECK(EventTime::at(nine_utc, "Europe/London").tzid == "Europe/London");
    CHECK(EventTime::at(nine_utc + 250ms) == EventTime::read("2026-12-04T09:00:00.25Z"));
    CHECK(EventTime::on(year{2024} / 2 / 29) == EventTime::read("2024-02-29"));
    CHECK_THROWS_AS(EventTime::on(year{2026} / 2 / 29), InvalidArgumentError);
    CHECK(EventTime::parse("2026-12-04T10:00:00+01:00") == EventTime::read("2026-12-04T10:00:00+01:00"));
}

TEST_CASE("NewEvent refuses a start or end that is not a date or a time", "[times]") {
    NewEvent e;
    e.event_id = "ev-1";
    e.summary = "Call";
    e.start = EventTime::at(nine_utc);
    e.end = EventTime::at(nine_utc + 1h);
    CHECK_NOTHROW(e.to_json());
    e.end = EventTime{"2026-12-04T10:00:00", "", {}, {}};  // local time without a zone
    CHECK_THROWS_AS(e.to_json(), InvalidArgumentError);
    e.end.tzid = "Europe/London";  // in that zone: sent as given
    CHECK_NOTHROW(e.to_json());
    e.end = EventTime{"2026-02-30", "", {}, {}};
    CHECK_THROWS_AS(e.to_json(), InvalidArgumentError);
    e.end = {};
    CHECK_THROWS_AS(e.to_json(), InvalidArgumentError);
}
