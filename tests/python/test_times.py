"""Typed times of events and free/busy, against the scripted loopback API of test_scheduling:
every form of time text the API may send comes out as an aware datetime (in its own offset) or a
date, with the text kept; one unreadable time reads as None without failing the listing. Going
in, dates and aware datetimes are accepted, a naive datetime or an invalid date is refused
before anything is sent."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

import calbridge
from test_scheduling import ScriptedApi, api, client, session  # noqa: F401  (fixtures)

UTC = timezone.utc


def _event(uid: str, start: object, end: object, **more: object) -> dict[str, object]:
    return {"calendar_id": "cal_1", "event_uid": uid, "summary": uid, "start": start, "end": end, **more}


def test_event_times_read_as_aware_datetimes_and_dates(api: ScriptedApi, session: calbridge.Session) -> None:
    api.reply(200, {"events": [
        _event("utc", "2026-12-04T09:00:00Z", "2026-12-04T10:00:00Z",
               created="2026-11-01T08:00:00Z", updated="2026-11-02T08:00:00.5+01:00"),
        _event("plus", "2026-12-04T10:00:00+01:00", "2026-12-04T11:30:00+01:00"),
        _event("minus", "2026-12-04T03:30:00-05:30", "2026-12-04T04:30:00-05:30"),
        _event("fraction", "2026-12-04T09:00:00.123456789Z", "2026-12-04T09:00:01.5Z"),
        _event("all-day", "2028-02-29", "2028-03-01"),
        _event("zoned", {"time": "2026-12-04T10:00:00+01:00", "tzid": "Europe/Paris"},
               {"time": "2026-12-11", "tzid": "Europe/Paris"}),
    ]})  # fmt: skip
    events = {e.event_uid: e for e in session.events()}

    utc = events["utc"]
    assert utc.start == datetime(2026, 12, 4, 9, tzinfo=UTC)
    assert isinstance(utc.start, datetime) and utc.start.tzinfo is UTC
    assert utc.start_raw == "2026-12-04T09:00:00Z"
    assert utc.start_tzid == ""
    assert utc.created == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert utc.updated == datetime(2026, 11, 2, 7, 0, 0, 500000, tzinfo=UTC)
    assert utc.updated is not None and utc.updated.tzinfo is UTC
    assert utc.created_raw == "2026-11-01T08:00:00Z"
    assert utc.updated_raw == "2026-11-02T08:00:00.5+01:00"

    plus = events["plus"]
    assert isinstance(plus.start, datetime)
    assert plus.start.utcoffset() == timedelta(hours=1)
    assert (plus.start.hour, plus.start.minute) == (10, 0)
    assert plus.start == datetime(2026, 12, 4, 9, tzinfo=UTC)

    minus = events["minus"]
    assert isinstance(minus.start, datetime)
    assert minus.start.utcoffset() == -timedelta(hours=5, minutes=30)
    assert minus.start == datetime(2026, 12, 4, 9, tzinfo=UTC)

    fraction = events["fraction"]
    assert fraction.start == datetime(2026, 12, 4, 9, 0, 0, 123456, tzinfo=UTC)  # floored to microseconds
    assert fraction.end == datetime(2026, 12, 4, 9, 0, 1, 500000, tzinfo=UTC)
    assert fraction.start_raw == "2026-12-04T09:00:00.123456789Z"

    all_day = events["all-day"]
    assert type(all_day.start) is date and all_day.start == date(2028, 2, 29)
    assert type(all_day.end) is date and all_day.end == date(2028, 3, 1)
    assert all_day.created is None and all_day.created_raw == ""

    zoned = events["zoned"]
    assert isinstance(zoned.start, datetime) and zoned.start.utcoffset() == timedelta(hours=1)
    assert zoned.start_tzid == "Europe/Paris"
    assert zoned.end == date(2026, 12, 11) and zoned.end_tzid == "Europe/Paris"
    assert zoned.end_raw == "2026-12-11"


@pytest.mark.parametrize(
    "text",
    ["2026-13-04T09:00:00Z", "2026-02-30T09:00:00Z", "2026-02-29", "2026-12-04 09:00:00Z", "2026-12-04T09:00:00Zjunk",
     "2026-12-04T09:00:00", "tomorrow", ""],
)  # fmt: skip
def test_an_unreadable_time_is_none_with_its_text_kept(api: ScriptedApi, session: calbridge.Session, text: str) -> None:
    api.reply(200, {"events": [_event("odd", text, "2026-12-04T10:00:00Z", created=text),
                               _event("fine", "2026-12-04T09:00:00Z", "2026-12-04T10:00:00Z")]})  # fmt: skip
    odd, fine = list(session.events())
    assert odd.start is None
    assert odd.start_raw == text
    assert odd.created is None and odd.created_raw == text
    assert odd.end == datetime(2026, 12, 4, 10, tzinfo=UTC)
    assert fine.start == datetime(2026, 12, 4, 9, tzinfo=UTC)


def test_free_busy_periods_carry_typed_times(api: ScriptedApi, session: calbridge.Session) -> None:
    api.reply(200, {"free_busy": [
        {"calendar_id": "cal_1", "start": "2026-12-04T10:00:00+01:00", "end": "2026-12-04T10:30:00.25+01:00",
         "free_busy_status": "busy"},
        {"calendar_id": "cal_1", "start": "2024-02-29", "end": "2024-03-01", "free_busy_status": "tentative"},
    ]})  # fmt: skip
    timed, all_day = list(session.free_busy(from_=date(2024, 2, 28), to=date(2026, 12, 5)))
    assert timed.start == datetime(2026, 12, 4, 9, tzinfo=UTC)
    assert isinstance(timed.start, datetime) and timed.start.utcoffset() == timedelta(hours=1)
    assert timed.end == datetime(2026, 12, 4, 9, 30, 0, 250000, tzinfo=UTC)
    assert timed.start_raw == "2026-12-04T10:00:00+01:00"
    assert all_day.start == date(2024, 2, 29) and all_day.end_raw == "2024-03-01"
    assert api.seen[0].path == "/v1/free_busy?tzid=Etc%2FUTC&from=2024-02-28&to=2026-12-05"


def test_query_times_go_out_as_dates_and_utc(api: ScriptedApi, session: calbridge.Session) -> None:
    api.reply(200, {"events": []})
    late_evening = datetime(2026, 12, 4, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # 04:30 UTC on the 5th
    modified = datetime(2026, 11, 1, 10, 0, 1, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert list(session.events(from_=late_evening, to="2026-12-12", last_modified=modified)) == []
    assert api.seen[0].path == (
        "/v1/events?tzid=Etc%2FUTC&from=2026-12-05&to=2026-12-12&last_modified=2026-11-01T09%3A00%3A01Z"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.events(from_=datetime(2026, 12, 4)),
        lambda s: s.events(to=datetime(2026, 12, 4, 9)),
        lambda s: s.free_busy(from_=datetime(2026, 12, 4)),
        lambda s: s.events(last_modified=datetime(2026, 12, 4)),
        lambda s: s.upsert_event("cal_1", {"event_id": "e1", "summary": "x", "start": datetime(2026, 12, 4, 9),
                                           "end": datetime(2026, 12, 4, 10, tzinfo=UTC)}),
    ],
)  # fmt: skip
def test_a_naive_datetime_is_a_value_error_before_anything_is_sent(
    api: ScriptedApi, session: calbridge.Session, call: object
) -> None:
    with pytest.raises(ValueError, match="aware|naive"):
        result = call(session)  # type: ignore[operator]
        if isinstance(result, calbridge.Paged):
            list(result)
    assert api.seen == []


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "2026-12-1", "2026-12-01T00:00:00Z", "next week"])
def test_an_invalid_query_date_is_refused_before_anything_is_sent(
    api: ScriptedApi, session: calbridge.Session, bad: str
) -> None:
    with pytest.raises(calbridge.InvalidArgumentError, match="from_"):
        list(session.events(from_=bad))
    with pytest.raises(calbridge.InvalidArgumentError, match="to"):
        list(session.free_busy(to=bad))
    assert api.seen == []


@pytest.mark.parametrize("bad", ["2026-12-01", "2026-12-01T00:00:00", "2026-02-30T00:00:00Z", "2026-12-01T00:00:00Z!"])
def test_an_invalid_last_modified_is_refused_before_anything_is_sent(
    api: ScriptedApi, session: calbridge.Session, bad: str
) -> None:
    with pytest.raises(calbridge.InvalidArgumentError, match="last_modified"):
        list(session.events(last_modified=bad))
    assert api.seen == []


def test_upsert_sends_dates_and_aware_datetimes_as_text(api: ScriptedApi, session: calbridge.Session) -> None:
    api.reply(202)
    api.reply(202)
    session.upsert_event("cal_1", {"event_id": "all-day", "summary": "Off", "start": date(2028, 2, 29),
                                   "end": date(2028, 3, 1)})  # fmt: skip
    session.upsert_event("cal_1", {"event_id": "timed", "summary": "Call",
                                   "start": datetime(2026, 12, 4, 10, tzinfo=timezone(timedelta(hours=1))),
                                   "end": datetime(2026, 12, 4, 9, 30, tzinfo=UTC)})  # fmt: skip
    first, second = (json.loads(s.body) for s in api.seen)
    assert (first["start"], first["end"]) == ("2028-02-29", "2028-03-01")
    assert (second["start"], second["end"]) == ("2026-12-04T10:00:00+01:00", "2026-12-04T09:30:00Z")
