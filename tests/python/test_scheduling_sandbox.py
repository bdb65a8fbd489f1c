"""End to end against calbridge-sandbox (needs the sandbox's availability, application
calendar and client-secret endpoints, issue 12 item 5): availability answers checked against an
independent computation from the user's own events, a 422 for an invalid query, an application
calendar created, refreshed through the store and written to."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import calbridge
from calbridge import AvailabilityQuery, Participants, Period
from calbridge.sandbox import Sandbox

UTC = timezone.utc
DAY = datetime(2026, 12, 7, tzinfo=UTC)


def _busy(session: calbridge.Session, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The user's busy intervals in [start, end), from the events the API returns."""
    out = []
    for event in session.events(from_=start.date(), to=(end + timedelta(days=1)).date(), include_managed=True):
        s, e = event.start, event.end
        if event.deleted or event.transparency == "transparent" or not isinstance(s, datetime):
            continue
        assert isinstance(e, datetime)
        if e > start and s < end:
            out.append((max(s, start), min(e, end)))
    return sorted(out)


def _free(window: tuple[datetime, datetime], busy: list[tuple[datetime, datetime]],
          duration: timedelta) -> list[tuple[datetime, datetime]]:  # fmt: skip
    free, cursor = [], window[0]
    for s, e in busy:
        if s > cursor:
            free.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < window[1]:
        free.append((cursor, window[1]))
    return [(s, e) for s, e in free if e - s >= duration]


def test_availability_is_the_window_minus_the_users_events(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_session: calbridge.Session
) -> None:
    calendar = calbridge_session.calendars()[0].calendar_id
    for i, (h, m, length) in enumerate([(10, 0, 60), (13, 30, 30), (14, 15, 45)]):
        start = DAY.replace(hour=h, minute=m)
        calbridge_session.upsert_event(calendar, {"event_id": f"busy-{i}", "summary": "busy", "description": "",
                                                  "start": start, "end": start + timedelta(minutes=length)})  # fmt: skip
    window = (DAY.replace(hour=9), DAY.replace(hour=17))
    sub = calbridge_session.credentials().sub or calbridge_session.account_key
    query = AvailabilityQuery([Participants([sub])], timedelta(minutes=30), [Period(*window)])

    expected = _free(window, _busy(calbridge_session, *window), timedelta(minutes=30))
    by_client = calbridge_client.availability(query)
    by_session = calbridge_session.availability(query)

    assert [(p.start, p.end) for p in by_client.available_periods] == expected
    assert [(p.start, p.end) for p in by_session.available_periods] == expected
    assert all(p.participants == (sub,) for p in by_client.available_periods)


def test_an_invalid_query_is_a_422_with_field_errors(calbridge_client: calbridge.Client) -> None:
    with pytest.raises(calbridge.ValidationError) as caught:
        calbridge_client.request("POST", "/v1/availability", json={"participants": []})
    assert caught.value.field_errors


def test_application_calendar_refreshed_through_the_store_and_written_to(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client
) -> None:
    credentials = calbridge_client.create_application_calendar("bookings")
    session = calbridge_client.session(credentials.account_key)
    calbridge_sandbox.expire_access_tokens(access_token=credentials.access_token)

    calendar = session.calendars()[0].calendar_id  # refreshes first
    session.upsert_event(calendar, {"event_id": "b-1", "summary": "Booked", "description": "",
                                    "start": DAY.replace(hour=9), "end": DAY.replace(hour=10)})  # fmt: skip

    stored = calbridge_client.store.load(credentials.account_key)
    assert stored is not None and stored[0].access_token != credentials.access_token
    written = session.events(from_=DAY, to=DAY + timedelta(days=1), include_managed=True)  # ours: "managed"
    assert [e.event_id for e in written] == ["b-1"]


def test_a_wrong_client_secret_is_refused(calbridge_sandbox: Sandbox) -> None:
    client = calbridge_sandbox.client(client_secret="wrong-secret-wrong-secret")
    with pytest.raises(calbridge.InvalidClientError) as caught:
        client.create_application_calendar("bookings")
    assert "wrong-secret-wrong-secret" not in str(caught.value)
