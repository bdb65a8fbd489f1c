"""The calendar API through a Session: results, pages, dates, writes, the generic request."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

import calbridge
from calbridge.sandbox import Sandbox


def test_events_iterate_lazily_over_every_page(calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session) -> None:
    today = datetime.now(timezone.utc).date()
    window = {"from_": today - timedelta(days=40), "to": today + timedelta(days=40)}
    calbridge_sandbox.settings(page_size=1000)
    one_page = [e.event_uid for e in calbridge_session.events(**window)]  # type: ignore[arg-type]
    assert len(one_page) > 100
    calbridge_sandbox.settings(page_size=10)
    calbridge_sandbox.reset_counters()

    events = calbridge_session.events(**window)  # type: ignore[arg-type]
    assert events.current_page == 0
    assert calbridge_sandbox.counters()["requests"] == 1  # only this counters read: nothing fetched yet

    first = next(events)
    assert isinstance(first, calbridge.Event)
    assert events.current_page == 1
    everything = [first, *events]
    assert [e.event_uid for e in everything] == one_page
    assert events.total_pages == events.current_page == (len(one_page) + 9) // 10
    assert next(events, None) is None  # exhausted


def test_pages_come_as_lists_too(calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session) -> None:
    calbridge_sandbox.settings(page_size=50)
    today = date.today()
    pages = list(calbridge_session.events(from_=today - timedelta(days=40), to=today + timedelta(days=40)).pages())
    sizes = [len(page) for page in pages]
    assert sizes[:-1] == [50] * (len(sizes) - 1)
    assert 1 <= sizes[-1] <= 50


def test_dates_datetimes_and_strings_select_the_same_days(calbridge_session: calbridge.Session) -> None:
    today = datetime.now(timezone.utc).date()
    start, end = today - timedelta(days=10), today

    def uids(from_: calbridge.session.DateLike, to: calbridge.session.DateLike) -> list[str]:
        return [e.event_uid for e in calbridge_session.events(from_=from_, to=to)]

    by_date = uids(start, end)
    assert by_date
    assert uids(start.isoformat(), end.isoformat()) == by_date
    noon = datetime.combine(start, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=12)
    assert uids(noon, datetime.combine(end, datetime.min.time(), tzinfo=timezone.utc)) == by_date


def test_calendar_ids_filter_events(calbridge_session: calbridge.Session) -> None:
    today = date.today()
    work = list(calbridge_session.events(from_=today - timedelta(days=40), to=today + timedelta(days=40), calendar_ids=["cal_sandbox_work"]))
    assert len(work) == 6
    assert {e.calendar_id for e in work} == {"cal_sandbox_work"}
    assert all(e.summary.startswith("Work: ") for e in work)


def test_free_busy_lists_busy_periods(calbridge_session: calbridge.Session) -> None:
    today = date.today()
    periods = list(calbridge_session.free_busy(from_=today - timedelta(days=3), to=today + timedelta(days=1)))
    assert periods
    assert all(isinstance(p, calbridge.FreeBusyPeriod) for p in periods)
    assert {p.free_busy_status for p in periods} <= {"busy", "tentative", "free", "unknown"}


def test_an_event_is_created_read_back_and_deleted(calbridge_session: calbridge.Session) -> None:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    calbridge_session.upsert_event(
        "cal_sandbox_primary",
        {
            "event_id": "booking-42",
            "summary": "Call with Grace",
            "description": "über + & = % #",
            "start": start,
            "end": start + timedelta(hours=1),
            "location": {"description": "Room 7"},
        },
    )
    day = {"from_": start.date(), "to": start.date() + timedelta(days=1), "include_managed": True}
    found = [e for e in calbridge_session.events(**day) if e.event_id == "booking-42"]  # type: ignore[arg-type]
    assert len(found) == 1
    event = found[0]
    assert event.summary == "Call with Grace"
    assert event.description == "über + & = % #"
    assert event.location == "Room 7"
    assert event.start == start
    assert isinstance(event.start, datetime) and event.start.tzinfo is timezone.utc
    assert event.end == start + timedelta(hours=1)
    assert event.start_raw == start.isoformat().replace("+00:00", "Z")
    assert event.start_tzid == ""
    assert isinstance(event.created, datetime) and event.created.tzinfo is timezone.utc
    assert event.created_raw
    raw = event.raw
    assert isinstance(raw, dict) and raw["event_id"] == "booking-42"

    calbridge_session.delete_event("cal_sandbox_primary", "booking-42")
    assert not [e for e in calbridge_session.events(**day) if e.event_id == "booking-42"]  # type: ignore[arg-type]


def test_an_invalid_event_is_a_validation_error_with_fields(calbridge_session: calbridge.Session) -> None:
    with pytest.raises(calbridge.ValidationError) as caught:
        calbridge_session.upsert_event("cal_sandbox_primary", {"event_id": "e1", "summary": "no times"})
    assert caught.value.http_status == 422
    assert {f.field for f in caught.value.field_errors} >= {"start"}


def test_account_userinfo_and_profiles(calbridge_session: calbridge.Session) -> None:
    account = calbridge_session.account()
    assert (account.account_id, account.email, account.name) == ("acc_sandbox_ada", "ada@example.com", "Ada Lovelace")
    info = calbridge_session.userinfo()
    assert info.sub == "acc_sandbox_ada"
    assert info.email == "ada@example.com"
    profiles = calbridge_session.profiles()
    assert [p.profile_id for p in profiles] == ["pro_sandbox_google", "pro_sandbox_office365"]
    assert all(p.connected for p in profiles)


def test_revoking_a_profile_disconnects_it(calbridge_session: calbridge.Session) -> None:
    calbridge_session.revoke_profile("pro_sandbox_office365")
    connected = {p.profile_id: p.connected for p in calbridge_session.profiles()}
    assert connected.get("pro_sandbox_office365", False) is False


def test_a_link_token_goes_into_the_next_authorization_url(
    calbridge_client: calbridge.Client, calbridge_session: calbridge.Session, calbridge_sandbox: Sandbox
) -> None:
    link = calbridge_session.link_token()
    assert link
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, "read_events", link_token=link)
    credentials = calbridge_client.complete_authorization(calbridge_sandbox.consent(auth.url), auth)
    assert credentials.account_id == "acc_sandbox_ada"


def test_the_generic_request_returns_parsed_json(calbridge_session: calbridge.Session) -> None:
    reply = calbridge_session.request("GET", "/v1/calendars")
    assert isinstance(reply, dict)
    calendars = reply["calendars"]
    assert isinstance(calendars, list) and len(calendars) == 3
    today = date.today()
    events = calbridge_session.request(
        "get", "/v1/events", params={"tzid": "Etc/UTC", "from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat(), "calendar_ids[]": ["cal_sandbox_work", "cal_sandbox_primary"]}
    )
    assert isinstance(events, dict) and "events" in events


def test_the_token_never_goes_to_another_host(calbridge_session: calbridge.Session) -> None:
    with pytest.raises(calbridge.InvalidArgumentError):
        calbridge_session.request("GET", "https://evil.example.com/v1/calendars")


def test_a_missing_scope_is_an_authorization_error(calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client) -> None:
    credentials = calbridge_sandbox.authorize(calbridge_client, "read_account")
    with pytest.raises(calbridge.AuthorizationError) as caught:
        calbridge_client.session(credentials).calendars()
    assert caught.value.http_status == 403
