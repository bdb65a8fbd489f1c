"""The remaining account calls (docs/PROTOCOL.md §8): participation status, DELETE /v1/events,
availability rules, elevated permissions; their scopes, 404s and 422 field errors."""

from __future__ import annotations

import urllib.parse

import pytest

from receiver import Receiver
from sandbox_client import Sandbox

WIDE = urllib.parse.urlencode({"tzid": "Etc/UTC", "from": "2000-01-01", "to": "2100-01-01"})


def events(sandbox: Sandbox, token: str, extra: str = "") -> list[dict]:
    out: list[dict] = []
    r = sandbox.get(f"/v1/events?{WIDE}{extra}", token=token).json()
    out += r["events"]
    while r["pages"].get("next_page"):
        r = sandbox.get(urllib.parse.urlsplit(r["pages"]["next_page"]).path, token=token).json()
        out += r["events"]
    return out


def upsert(sandbox: Sandbox, token: str, calendar: str, event_id: str) -> None:
    r = sandbox.request("POST", f"/v1/calendars/{calendar}/events", token=token, json_body={
        "event_id": event_id, "summary": event_id, "start": "2031-05-06T09:00:00Z", "end": "2031-05-06T10:00:00Z"})
    assert r.status == 202, r.body


def test_participation_status(sandbox: Sandbox) -> None:
    token = sandbox.connect()["access_token"]
    ev = [e for e in events(sandbox, token) if e["calendar_id"] == "cal_sandbox_primary"][0]
    assert ev["participation_status"] == "accepted"
    path = f"/v1/calendars/cal_sandbox_primary/events/{ev['event_uid']}/participation_status"
    rec = Receiver()
    try:
        sandbox.request("POST", "/v1/channels", token=token, json_body={"callback_url": rec.url})
        r = sandbox.request("POST", path, token=token, json_body={"status": "declined"})
        assert r.status == 202, r.body
        after = [e for e in events(sandbox, token) if e["event_uid"] == ev["event_uid"]][0]
        assert after["participation_status"] == "declined" and after["updated"] >= ev["updated"]
        rec.wait_for(2)  # verification, then the change
        settled = sandbox.admin_ok("GET", "/admin/deliveries?settled=2&wait_ms=10000")["deliveries"]
        assert [d["status"] for d in settled] == ["delivered", "delivered"], settled
        assert len([d for d in settled if d["type"] == "change"]) == 1
    finally:
        rec.close()
    for body in ({}, {"status": "maybe"}, {"status": 1}):
        r = sandbox.request("POST", path, token=token, json_body=body)
        assert r.status == 422 and list(r.json()["errors"]) == ["status"]
    assert sandbox.request("POST", "/v1/calendars/cal_sandbox_primary/events/evt_nope/participation_status",
                           token=token, json_body={"status": "accepted"}).status == 404
    assert sandbox.request("POST", f"/v1/calendars/cal_nope/events/{ev['event_uid']}/participation_status",
                           token=token, json_body={"status": "accepted"}).status == 404
    assert sandbox.get(path, token=token).status == 405
    narrow = sandbox.connect(scope="read_events")["access_token"]
    r = sandbox.request("POST", path, token=narrow, json_body={"status": "accepted"})
    assert r.status == 403 and "change_participation_status" in r.header("WWW-Authenticate")


def test_delete_managed_events(sandbox: Sandbox) -> None:
    token = sandbox.connect()["access_token"]
    before = len(events(sandbox, token))
    upsert(sandbox, token, "cal_sandbox_primary", "p1")
    upsert(sandbox, token, "cal_sandbox_primary", "p2")
    upsert(sandbox, token, "cal_sandbox_work", "w1")
    managed = lambda: sorted(e["event_id"] for e in events(sandbox, token, "&only_managed=true"))  # noqa: E731
    assert managed() == ["p1", "p2", "w1"]
    r = sandbox.request("DELETE", "/v1/events", token=token, json_body={"calendar_ids": ["cal_sandbox_work"]})
    assert r.status == 202
    assert managed() == ["p1", "p2"]
    r = sandbox.request("DELETE", "/v1/events", token=token, json_body={"delete_all": True})
    assert r.status == 202
    assert managed() == []
    assert len(events(sandbox, token)) == before  # other events untouched
    deleted = [e for e in events(sandbox, token, "&only_managed=true&include_deleted=true")]
    assert sorted(e["event_id"] for e in deleted) == ["p1", "p2", "w1"] and all(e["deleted"] for e in deleted)


@pytest.mark.parametrize(("body", "field"), [
    ({}, "delete_all"),
    ({"delete_all": False}, "delete_all"),
    ({"delete_all": "yes"}, "delete_all"),
    ({"calendar_ids": []}, "calendar_ids"),
    ({"calendar_ids": "cal_sandbox_work"}, "calendar_ids"),
    ({"delete_all": True, "calendar_ids": ["cal_sandbox_work"]}, "delete_all"),
])
def test_delete_managed_events_validation(sandbox: Sandbox, body: dict, field: str) -> None:
    token = sandbox.connect()["access_token"]
    r = sandbox.request("DELETE", "/v1/events", token=token, json_body=body)
    assert r.status == 422 and list(r.json()["errors"]) == [field]


def test_delete_managed_events_needs_delete_event(sandbox: Sandbox) -> None:
    token = sandbox.connect(scope="read_events create_event")["access_token"]
    assert sandbox.request("DELETE", "/v1/events", token=token, json_body={"delete_all": True}).status == 403


RULE = {"availability_rule_id": "work_hours", "tzid": "America/Chicago", "calendar_ids": ["cal_sandbox_primary"],
        "weekly_periods": [{"day": "monday", "start_time": "09:30", "end_time": "12:30"},
                           {"day": "wednesday", "start_time": "09:30", "end_time": "17:00"}]}


def test_availability_rules(sandbox: Sandbox) -> None:
    token = sandbox.connect(scope="read_account")["access_token"]
    r = sandbox.request("POST", "/v1/availability_rules", token=token, json_body=RULE)
    assert r.status == 200 and r.json() == {"availability_rule": RULE}
    other = dict(RULE, availability_rule_id="evenings", weekly_periods=[{"day": "friday", "start_time": "18:00", "end_time": "21:00"}])
    sandbox.request("POST", "/v1/availability_rules", token=token, json_body=other)
    changed = dict(RULE, tzid="Europe/London")
    sandbox.request("POST", "/v1/availability_rules", token=token, json_body=changed)  # upsert
    assert sandbox.get("/v1/availability_rules", token=token).json() == {"availability_rules": [other, changed]}
    assert sandbox.get("/v1/availability_rules/work_hours", token=token).json() == {"availability_rule": changed}
    # Per grant: another user does not see them.
    sandbox.admin_ok("POST", "/admin/users", {"email": "bob@example.com"})
    bob = sandbox.connect(user="bob@example.com")["access_token"]
    assert sandbox.get("/v1/availability_rules", token=bob).json() == {"availability_rules": []}
    assert sandbox.get("/v1/availability_rules/work_hours", token=bob).status == 404
    assert sandbox.request("DELETE", "/v1/availability_rules/work_hours", token=token).status == 202
    assert sandbox.get("/v1/availability_rules/work_hours", token=token).status == 404
    assert sandbox.request("DELETE", "/v1/availability_rules/work_hours", token=token).status == 404
    assert sandbox.request("PUT", "/v1/availability_rules", token=token).status == 405
    assert sandbox.get("/v1/availability_rules").status == 401


@pytest.mark.parametrize(("change", "fields"), [
    ({"availability_rule_id": ""}, {"availability_rule_id"}),
    ({"tzid": "Nowhere/Else"}, {"tzid"}),
    ({"calendar_ids": "x"}, {"calendar_ids"}),
    ({"weekly_periods": []}, {"weekly_periods"}),
    ({"weekly_periods": [{"day": "funday", "start_time": "9:00", "end_time": "25:00"}]},
     {"weekly_periods[0].day", "weekly_periods[0].start_time", "weekly_periods[0].end_time"}),
    ({"weekly_periods": [{"day": "monday", "start_time": "10:00", "end_time": "09:00"}]}, {"weekly_periods[0].end_time"}),
])
def test_availability_rule_validation(sandbox: Sandbox, change: dict, fields: set[str]) -> None:
    token = sandbox.connect()["access_token"]
    r = sandbox.request("POST", "/v1/availability_rules", token=token, json_body=dict(RULE, **change))
    assert r.status == 422, r.body
    assert set(r.json()["errors"]) == fields
    assert sandbox.get("/v1/availability_rules", token=token).json() == {"availability_rules": []}


def test_permissions(sandbox: Sandbox) -> None:
    token = sandbox.connect(scope="read_account")["access_token"]
    body = {"permissions": [{"calendar_id": "cal_sandbox_primary", "permission_level": "unrestricted"}],
            "redirect_uri": "https://app.example.com/permissions"}
    r = sandbox.request("POST", "/v1/permissions", token=token, json_body=body)
    assert r.status == 202, r.body
    url = r.json()["permissions_request"]["url"]
    assert url.startswith(sandbox.url + "/permissions/prq_")
    for bad, fields in [
        ({}, {"permissions"}),
        ({"permissions": []}, {"permissions"}),
        ({"permissions": [{"calendar_id": "cal_nope", "permission_level": "sandbox"}]},
         {"permissions[0].calendar_id", "permissions[0].permission_level"}),
        (dict(body, redirect_uri=""), {"redirect_uri"}),
    ]:
        r = sandbox.request("POST", "/v1/permissions", token=token, json_body=bad)
        assert r.status == 422, (bad, r.body)
        assert set(r.json()["errors"]) == fields
    assert sandbox.get("/v1/permissions", token=token).status == 405
