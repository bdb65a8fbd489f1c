"""calbridge.CancelToken: cancelling a blocking call from another thread ends it at once with
CancelledError; a token cancelled already stops every blocking method before it sends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

import calbridge
from calbridge import AvailabilityQuery, AvailabilityRule, Participants, Period, WeeklyPeriod
from calbridge.sandbox import Sandbox

from aio_support import wait_for_faults_applied
from helpers import token_requests

#: How long the sandbox holds a delayed reply: far longer than a cancellation may take, short
#: enough that the reply it still owes does not hold up later tests.
HELD = 3.0


def _blocked_then_cancelled(
    sandbox: Sandbox, path: str, method: str, call: Callable[[calbridge.CancelToken], object]
) -> tuple[BaseException | None, float]:
    """Runs ``call(token)`` in a thread while the sandbox holds its request to ``path``,
    cancels the token once the request is there, and gives what the call raised and how long
    after the cancel it returned."""
    sandbox.fault(path, "delay", method=method, delay=HELD)
    token = calbridge.CancelToken()
    outcome: list[BaseException | None] = []
    returned_at: list[float] = []

    def run() -> None:
        try:
            call(token)
            outcome.append(None)
        except BaseException as e:
            outcome.append(e)
        returned_at.append(time.monotonic())

    thread = threading.Thread(target=run)
    thread.start()
    wait_for_faults_applied(sandbox, 1)
    assert not token.cancelled
    cancelled_at = time.monotonic()
    token.cancel()
    thread.join(10)
    assert not thread.is_alive()
    assert token.cancelled
    return outcome[0], returned_at[0] - cancelled_at


def test_cancelling_from_another_thread_ends_a_blocked_session_call_at_once(
    calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session
) -> None:
    error, after = _blocked_then_cancelled(
        calbridge_sandbox, "/v1/calendars", "GET", lambda t: calbridge_session.calendars(timeout=30, cancel=t)
    )
    assert isinstance(error, calbridge.CancelledError), error
    assert after < 0.1
    # The session carries on; a token is spent once cancelled.
    assert calbridge_session.calendars(cancel=calbridge.CancelToken())


def test_cancelling_ends_a_blocked_token_request(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials
) -> None:
    error, after = _blocked_then_cancelled(
        calbridge_sandbox,
        "/oauth/token",
        "POST",
        lambda t: calbridge_client.refresh(calbridge_credentials, timeout=30, cancel=t),
    )
    assert isinstance(error, calbridge.CancelledError), error
    assert after < 0.1


def test_cancelling_ends_a_page_fetch_and_the_listing_stays_cancelled(
    calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session
) -> None:
    def iterate(token: calbridge.CancelToken) -> None:
        listing = calbridge_session.events(timeout=30, cancel=token)
        try:
            next(iter(listing))
        finally:
            with pytest.raises(calbridge.CancelledError):
                listing.all()  # every later fetch is refused too

    error, after = _blocked_then_cancelled(calbridge_sandbox, "/v1/events", "GET", iterate)
    assert isinstance(error, calbridge.CancelledError), error
    assert after < 0.1


def _every_blocking_call(
    client: calbridge.Client, session: calbridge.Session, credentials: calbridge.Credentials
) -> dict[str, Callable[[calbridge.CancelToken], object]]:
    day = datetime(2026, 12, 1, tzinfo=timezone.utc)
    query = AvailabilityQuery([Participants(["acc"])], timedelta(minutes=30), [Period(day, day + timedelta(hours=8))])
    rule = AvailabilityRule("rule", "Etc/UTC", [WeeklyPeriod("monday", "09:00", "17:00")])
    event: dict[str, calbridge.session.EventValue] = {"event_id": "e1", "summary": "s", "start": day, "end": day + timedelta(hours=1)}
    return {
        "Client.complete_authorization": lambda t: client.complete_authorization(
            "?code=c&state=s", expected_state="s", redirect_uri="http://127.0.0.1/cb", cancel=t
        ),
        "Client.exchange_code": lambda t: client.exchange_code("c", "http://127.0.0.1/cb", cancel=t),
        "Client.refresh": lambda t: client.refresh(credentials, cancel=t),
        "Client.revoke": lambda t: client.revoke(credentials, cancel=t),
        "Client.revoke(sub)": lambda t: client.revoke("acc_nobody", cancel=t),
        "Client.request": lambda t: client.request("GET", "/v1/calendars", cancel=t),
        "Client.availability": lambda t: client.availability(query, cancel=t),
        "Client.create_application_calendar": lambda t: client.create_application_calendar("app-cal", cancel=t),
        "Session.credentials": lambda t: session.credentials(cancel=t),
        "Session.calendars": lambda t: session.calendars(cancel=t),
        "Session.events": lambda t: session.events(cancel=t).all(),
        "Session.free_busy": lambda t: session.free_busy(cancel=t).all(),
        "Session.upsert_event": lambda t: session.upsert_event("cal", event, cancel=t),
        "Session.delete_event": lambda t: session.delete_event("cal", "e1", cancel=t),
        "Session.delete_external_event": lambda t: session.delete_external_event("cal", "evt", cancel=t),
        "Session.account": lambda t: session.account(cancel=t),
        "Session.userinfo": lambda t: session.userinfo(cancel=t),
        "Session.profiles": lambda t: session.profiles(cancel=t),
        "Session.revoke_profile": lambda t: session.revoke_profile("pro", cancel=t),
        "Session.link_token": lambda t: session.link_token(cancel=t),
        "Session.create_channel": lambda t: session.create_channel("http://127.0.0.1:9/push", cancel=t),
        "Session.list_channels": lambda t: session.list_channels(cancel=t),
        "Session.close_channel": lambda t: session.close_channel("chn", cancel=t),
        "Session.request": lambda t: session.request("GET", "/v1/calendars", cancel=t),
        "Session.availability": lambda t: session.availability(query, cancel=t),
        "Session.change_participation_status": lambda t: session.change_participation_status(
            "cal", "evt", "accepted", cancel=t
        ),
        "Session.create_calendar": lambda t: session.create_calendar("pro", "name", cancel=t),
        "Session.delete_all_events": lambda t: session.delete_all_events(cancel=t),
        "Session.upsert_availability_rule": lambda t: session.upsert_availability_rule(rule, cancel=t),
        "Session.availability_rules": lambda t: session.availability_rules(cancel=t),
        "Session.availability_rule": lambda t: session.availability_rule("rule", cancel=t),
        "Session.delete_availability_rule": lambda t: session.delete_availability_rule("rule", cancel=t),
        "Session.request_elevated_permissions": lambda t: session.request_elevated_permissions(
            {"cal": "unrestricted"}, cancel=t
        ),
    }


def test_a_cancelled_token_stops_every_blocking_method_before_it_sends(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials
) -> None:
    session = calbridge_client.session(calbridge_credentials)
    session.credentials()  # loaded from the store: what a call needs before it sends
    calls = _every_blocking_call(calbridge_client, session, calbridge_credentials)
    # Every method taking cancel= is in the table.
    for cls, name in ((calbridge.Client, "Client"), (calbridge.Session, "Session")):
        import inspect

        for method, fn in inspect.getmembers(cls, inspect.isfunction):
            if "cancel" in inspect.signature(fn).parameters:
                assert f"{name}.{method}" in calls, f"{name}.{method} is missing from the table"
    # Anything that reached the sandbox would be matched (and counted) by this rule.
    calbridge_sandbox.fault("/*", "status", status=500, count=1000)
    token = calbridge.CancelToken()
    token.cancel()
    for name, call in calls.items():
        with pytest.raises(calbridge.CancelledError):
            call(token)
            pytest.fail(f"{name} was not refused")
        assert calbridge_sandbox.counters()["faults_applied"] == 0, f"{name} sent a request"


def test_a_token_is_a_plain_handle(calbridge_session: calbridge.Session) -> None:
    token = calbridge.CancelToken()
    assert repr(token) == "<CancelToken>" and not token.cancelled
    # An uncancelled token changes nothing; one token may serve several calls.
    assert calbridge_session.calendars(cancel=token)
    assert calbridge_session.account(cancel=token)
    token.cancel()
    token.cancel()  # idempotent
    assert repr(token) == "<CancelToken cancelled>" and token.cancelled
    with pytest.raises(TypeError):
        calbridge_session.calendars(cancel="yes")  # type: ignore[arg-type,unused-ignore]


def test_cancelling_a_call_during_its_refresh_keeps_the_grant(
    calbridge_sandbox: Sandbox, calbridge_credentials: calbridge.Credentials
) -> None:
    client = calbridge_sandbox.client()
    expired = calbridge_credentials.replace(expires_at=datetime.now(timezone.utc) - timedelta(minutes=5))
    session = client.session(expired)
    calbridge_sandbox.fault("/oauth/token", "delay", method="POST", delay=HELD)  # processed, then held
    token = calbridge.CancelToken()
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            session.calendars(cancel=token)
            outcome.append(None)
        except BaseException as e:
            outcome.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    wait_for_faults_applied(calbridge_sandbox, 1)  # the server has rotated the refresh token
    token.cancel()
    thread.join(10)
    assert not thread.is_alive()
    # The refresh was seen through and stored; the call itself reports its cancellation.
    assert isinstance(outcome[0], calbridge.CancelledError), outcome[0]
    stored = client.store.load(expired.account_key)
    assert stored is not None and stored[0].refresh_token != expired.refresh_token
    # Without that, the next refresh would send the retired token: InvalidGrantError, and the
    # grant revoked by the server's reuse detection.
    calbridge_sandbox.expire_access_tokens(account_id=expired.account_key)
    assert session.calendars()
    assert token_requests(calbridge_sandbox, "refresh_token") == 2
