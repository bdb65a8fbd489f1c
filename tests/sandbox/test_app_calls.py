"""The calls authenticated with the application's client secret (docs/PROTOCOL.md §8): application
calendars (tokens that refresh and work like any account's), real-time scheduling and smart
invites (validated and echoed)."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

from sandbox_client import Sandbox

CLIENT_ID = "sandbox-client-id"
SECRET = "sandbox-client-secret-change-me"
OTHER = {"client_id": "other-app", "client_secret": "other-secret-0123456789"}


def app_calendar(sandbox: Sandbox, cal_id: str, client_id: str = CLIENT_ID, secret: str = SECRET,
                 bearer: str | None = None):
    return sandbox.request("POST", "/v1/application_calendars", token=bearer, json_body={
        "client_id": client_id, "client_secret": secret, "application_calendar_id": cal_id})


def test_application_calendar_is_an_account(sandbox: Sandbox) -> None:
    r = app_calendar(sandbox, "room-42", bearer=SECRET)
    assert r.status == 200, r.body
    assert r.header("Cache-Control") == "no-store"
    t = r.json()
    assert t["token_type"] == "bearer" and t["expires_in"] == 3600
    assert t["application_calendar_id"] == "room-42"
    assert t["sub"] == t["account_id"] and t["sub"].startswith("acc_")
    assert "create_event" in t["scope"].split()

    cals = sandbox.get("/v1/calendars", token=t["access_token"]).json()["calendars"]
    assert len(cals) == 1 and cals[0]["calendar_primary"] and cals[0]["calendar_name"] == "room-42"
    cal = cals[0]["calendar_id"]

    # Refreshed like any account's tokens; the new access token writes and reads events.
    refreshed = sandbox.refresh(t["refresh_token"])
    assert refreshed.status == 200, refreshed.body
    access = refreshed.json()["access_token"]
    assert access != t["access_token"] and refreshed.json()["sub"] == t["sub"]
    r = sandbox.request("POST", f"/v1/calendars/{cal}/events", token=access, json_body={
        "event_id": "e1", "summary": "Booked", "start": "2031-01-02T10:00:00Z", "end": "2031-01-02T11:00:00Z"})
    assert r.status == 202
    q = urllib.parse.urlencode({"tzid": "Etc/UTC", "from": "2031-01-01", "to": "2031-01-05", "include_managed": "true"})
    events = sandbox.get(f"/v1/events?{q}", token=access).json()["events"]
    assert [e["event_id"] for e in events] == ["e1"]

    # The same id again: the same account (its event still there); another application: another one.
    again = app_calendar(sandbox, "room-42").json()
    assert again["sub"] == t["sub"] and again["access_token"] != t["access_token"]
    assert len(sandbox.get(f"/v1/events?{q}", token=again["access_token"]).json()["events"]) == 1
    sandbox.admin_ok("POST", "/admin/applications", OTHER)
    other = app_calendar(sandbox, "room-42", OTHER["client_id"], OTHER["client_secret"]).json()
    assert other["sub"] != t["sub"]
    assert app_calendar(sandbox, "room-43").json()["sub"] != t["sub"]


@pytest.mark.parametrize(("client_id", "secret", "bearer"), [
    (CLIENT_ID, "wrong-secret", None),
    ("nobody", SECRET, None),
    (CLIENT_ID, SECRET, "another-bearer"),  # a bearer must be this application's secret
    (CLIENT_ID, SECRET[:-1], None),
])
def test_application_calendar_needs_the_client(sandbox: Sandbox, client_id: str, secret: str, bearer: str | None) -> None:
    r = app_calendar(sandbox, "room", client_id, secret, bearer)
    assert r.status == 401
    assert r.json()["error"] == "invalid_client"
    assert SECRET not in r.text


def test_application_calendar_validation(sandbox: Sandbox) -> None:
    r = sandbox.request("POST", "/v1/application_calendars", json_body={"client_id": CLIENT_ID, "client_secret": SECRET})
    assert r.status == 422 and list(r.json()["errors"]) == ["application_calendar_id"]
    assert app_calendar(sandbox, "x" * 129).status == 422
    assert app_calendar(sandbox, "").status == 422
    r = sandbox.request("POST", "/v1/application_calendars", body="[", token=SECRET)
    assert r.status == 422
    assert sandbox.get("/v1/application_calendars", token=SECRET).status == 405
    # Only the bearer: it identifies the application.
    r = sandbox.request("POST", "/v1/application_calendars", json_body={"application_calendar_id": "b"}, token=SECRET)
    assert r.status == 200 and r.json()["application_calendar_id"] == "b"


def test_application_calendar_answers_availability(sandbox: Sandbox) -> None:
    t = app_calendar(sandbox, "room-7").json()
    now = sandbox.admin_ok("GET", "/admin/clock")["now"]
    day = (now // 86400 + 2) * 86400
    r = sandbox.request("POST", "/v1/availability", token=SECRET, json_body={
        "participants": [{"members": [{"sub": t["sub"]}], "required": "all"}],
        "required_duration": {"minutes": 60},
        "available_periods": [{"start": iso(day + 9 * 3600), "end": iso(day + 17 * 3600)}]})
    assert r.status == 200, r.body
    assert r.json()["available_periods"] == [
        {"start": iso(day + 9 * 3600), "end": iso(day + 17 * 3600), "participants": [{"sub": t["sub"]}]}]


def iso(t: int) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


RTS = {
    "oauth": {"redirect_uri": "https://app.example.com/booked"},
    "event": {"event_id": "booking-1", "summary": "Demo"},
    "availability": {"participants": [{"members": [{"sub": "acc_sandbox_ada"}]}],
                     "required_duration": {"minutes": 30}},
    "target_calendars": [{"sub": "acc_sandbox_ada", "calendar_id": "cal_sandbox_primary"}],
    "tzid": "Europe/London",
}


def test_real_time_scheduling(sandbox: Sandbox) -> None:
    r = sandbox.request("POST", "/v1/real_time_scheduling", json_body=RTS, token=SECRET)
    assert r.status == 200, r.body
    body = r.json()
    rts = body["real_time_scheduling"]
    assert rts["real_time_scheduling_id"].startswith("sch_")
    assert body["url"] == rts["url"] and rts["url"].endswith("/real_time_scheduling/" + rts["real_time_scheduling_id"])
    assert rts["event"] == RTS["event"] and rts["status"] == "open"


@pytest.mark.parametrize(("change", "field"), [
    ({"oauth": None}, "oauth.redirect_uri"),
    ({"oauth": {"redirect_uri": "not a url"}}, "oauth.redirect_uri"),
    ({"event": None}, "event"),
    ({"event": {"summary": "x"}}, "event.event_id"),
    ({"event": {"event_id": "x"}}, "event.summary"),
    ({"availability": None}, "availability"),
    ({"target_calendars": []}, "target_calendars"),
    ({"tzid": "Mars/Olympus"}, "tzid"),
])
def test_real_time_scheduling_validation(sandbox: Sandbox, change: dict, field: str) -> None:
    body = {k: v for k, v in RTS.items() if change.get(k, v) is not None}
    body.update({k: v for k, v in change.items() if v is not None})
    r = sandbox.request("POST", "/v1/real_time_scheduling", json_body=body, token=SECRET)
    assert r.status == 422, r.body
    assert list(r.json()["errors"]) == [field]


def test_secret_calls_refuse_other_bearers(sandbox: Sandbox) -> None:
    token = sandbox.connect()["access_token"]
    for path in ("/v1/real_time_scheduling", "/v1/smart_invites"):
        assert sandbox.request("POST", path, json_body={}).status == 401
        assert sandbox.request("POST", path, json_body={}, token=token).status == 401  # a user's token is not enough
        r = sandbox.request("POST", path, json_body={}, token=SECRET + "x")
        assert r.status == 401 and SECRET not in r.text
    assert sandbox.get("/v1/real_time_scheduling", token=SECRET).status == 405
    assert sandbox.request("DELETE", "/v1/smart_invites", token=SECRET).status == 405


INVITE = {
    "smart_invite_id": "inv-1",
    "callback_url": "https://app.example.com/invites",
    "recipient": {"email": "guest@example.com"},
    "event": {"summary": "Interview", "start": "2031-03-04T09:00:00Z", "end": "2031-03-04T10:00:00Z"},
}


def test_smart_invites(sandbox: Sandbox) -> None:
    r = sandbox.request("POST", "/v1/smart_invites", json_body=INVITE, token=SECRET)
    assert r.status == 200, r.body
    body = r.json()
    assert body["smart_invite_id"] == "inv-1" and body["callback_url"] == INVITE["callback_url"]
    assert body["recipient"] == {"email": "guest@example.com", "status": "pending"}
    assert body["event"] == INVITE["event"]
    ics = body["attachments"]["icalendar"]
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and "DTSTART:20310304T090000Z" in ics and "METHOD:REQUEST" in ics
    q = urllib.parse.urlencode({"smart_invite_id": "inv-1", "recipient_email": "guest@example.com"})
    got = sandbox.get(f"/v1/smart_invites?{q}", token=SECRET)
    assert got.status == 200 and got.json() == body
    # Another application does not see it; unknown ids are 404; missing parameters 422.
    sandbox.admin_ok("POST", "/admin/applications", OTHER)
    assert sandbox.get(f"/v1/smart_invites?{q}", token=OTHER["client_secret"]).status == 404
    q2 = urllib.parse.urlencode({"smart_invite_id": "inv-2", "recipient_email": "guest@example.com"})
    assert sandbox.get(f"/v1/smart_invites?{q2}", token=SECRET).status == 404
    r = sandbox.get("/v1/smart_invites", token=SECRET)
    assert r.status == 422 and set(r.json()["errors"]) == {"smart_invite_id", "recipient_email"}


@pytest.mark.parametrize(("change", "fields"), [
    ({"smart_invite_id": ""}, {"smart_invite_id"}),
    ({"callback_url": "nope"}, {"callback_url"}),
    ({"recipient": {"email": "no-at-sign"}}, {"recipient.email"}),
    ({"event": {"summary": "x", "start": "2031-03-04T10:00:00Z", "end": "2031-03-04T09:00:00Z"}}, {"event.end"}),
    ({"event": {"start": "soon"}}, {"event.summary", "event.start", "event.end"}),
])
def test_smart_invite_validation(sandbox: Sandbox, change: dict, fields: set[str]) -> None:
    r = sandbox.request("POST", "/v1/smart_invites", json_body=dict(INVITE, **change), token=SECRET)
    assert r.status == 422, r.body
    assert set(r.json()["errors"]) == fields
