"""Push deliveries (docs/PROTOCOL.md §7): verification on create, change after every change to the
user's events (API and admin), profile_disconnected, filters, signatures (also with a previous
secret during rotation), retries with a delivery log, and requests that never wait for them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator

import pytest

from receiver import Receiver
from sandbox_client import Sandbox

SECRET = "sandbox-client-secret-change-me"
BOB = {
    "email": "bob@example.com", "account_id": "acc_bob",
    "calendars": [{"calendar_id": "cal_bob_a", "primary": True}, {"calendar_id": "cal_bob_b"}],
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def channel(sandbox: Sandbox, token: str, url: str, filters: dict | None = None) -> dict:
    body: dict = {"callback_url": url}
    if filters is not None:
        body["filters"] = filters
    r = sandbox.request("POST", "/v1/channels", json_body=body, token=token)
    assert r.status == 200, r.body
    return r.json()["channel"]


def deliveries(sandbox: Sandbox) -> list[dict]:
    return sandbox.admin_ok("GET", "/admin/deliveries")["deliveries"]


def settled(sandbox: Sandbox, n: int) -> list[dict]:
    """The log once n deliveries exist and none is pending: the sandbox answers when its sender
    has finished them (GET /admin/deliveries?settled=n), or after 10 s with the log as it is."""
    log = sandbox.admin_ok("GET", f"/admin/deliveries?settled={n}&wait_ms=10000")["deliveries"]
    assert len(log) >= n and all(d["status"] != "pending" for d in log), log
    return log


def upsert(sandbox: Sandbox, token: str, calendar: str, event_id: str, summary: str = "Meeting") -> None:
    r = sandbox.request("POST", f"/v1/calendars/{calendar}/events", token=token, json_body={
        "event_id": event_id, "summary": summary,
        "start": "2031-05-06T09:00:00Z", "end": "2031-05-06T10:00:00Z"})
    assert r.status == 202, r.body


def test_verification_is_signed_and_exact(sandbox: Sandbox, receiver: Receiver) -> None:
    token = sandbox.connect()["access_token"]
    ch = channel(sandbox, token, receiver.url)
    [push] = receiver.wait_for(1)
    assert push.path == "/push"
    assert json.loads(push.body) == {"notification": {"type": "verification"}, "channel": ch}
    assert push.headers["cronofy-hmac-sha256"] == sign(SECRET, push.body)
    assert push.headers["content-type"].startswith("application/json")
    [d] = settled(sandbox, 1)
    assert d["channel_id"] == ch["channel_id"] and d["url"] == receiver.url and d["type"] == "verification"
    assert d["status"] == "delivered" and d["attempts"] == 1 and d["response_status"] == 200
    assert d["body"].encode() == push.body


def test_change_after_upsert_leads_to_the_change(sandbox: Sandbox, receiver: Receiver) -> None:
    token = sandbox.connect()["access_token"]
    ch = channel(sandbox, token, receiver.url)
    upsert(sandbox, token, "cal_sandbox_primary", "push-1")
    pushes = receiver.wait_for(2)
    change = json.loads(pushes[1].body)
    assert change["notification"]["type"] == "change"
    assert change["channel"] == ch
    assert pushes[1].headers["cronofy-hmac-sha256"] == sign(SECRET, pushes[1].body)
    since = change["notification"]["changes_since"]
    q = urllib.parse.urlencode({"tzid": "Etc/UTC", "from": "2031-05-01", "to": "2031-05-10",
                                "last_modified": since, "include_managed": "true"})
    events = sandbox.get(f"/v1/events?{q}", token=token).json()["events"]
    assert [e["event_id"] for e in events] == ["push-1"]


def test_idempotent_upsert_sends_nothing_and_delete_sends_a_change(sandbox: Sandbox, receiver: Receiver) -> None:
    token = sandbox.connect()["access_token"]
    channel(sandbox, token, receiver.url)
    upsert(sandbox, token, "cal_sandbox_primary", "same")
    upsert(sandbox, token, "cal_sandbox_primary", "same")  # unchanged: no push
    r = sandbox.request("DELETE", "/v1/calendars/cal_sandbox_primary/events", token=token, json_body={"event_id": "same"})
    assert r.status == 202
    r = sandbox.request("DELETE", "/v1/calendars/cal_sandbox_primary/events", token=token, json_body={"event_id": "same"})
    assert r.status == 202  # already deleted: no push
    upsert(sandbox, token, "cal_sandbox_primary", "marker")
    log = settled(sandbox, 4)
    assert [d["type"] for d in log] == ["verification", "change", "change", "change"]
    assert len(receiver.wait_for(4)) == 4


def test_filters(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.admin_ok("POST", "/admin/users", BOB)
    token = sandbox.connect(user="bob@example.com")["access_token"]
    only_b = channel(sandbox, token, receiver.url, {"calendar_ids": ["cal_bob_b"]})
    managed = channel(sandbox, token, receiver.url, {"only_managed": True})
    everything = channel(sandbox, token, receiver.url)
    sandbox.admin_ok("DELETE", "/admin/deliveries")  # forget the verifications
    upsert(sandbox, token, "cal_bob_a", "a1")  # managed, calendar a: managed + everything
    # An admin edit is nobody's managed event and touches any calendar: only_b + everything.
    sandbox.admin_ok("PUT", "/admin/users/acc_bob", dict(BOB, name="Robert"))
    log = settled(sandbox, 4)
    got = sorted((d["channel_id"], d["type"]) for d in log)
    assert got == sorted([(managed["channel_id"], "change"), (everything["channel_id"], "change"),
                          (only_b["channel_id"], "change"), (everything["channel_id"], "change")])


def test_admin_edits_and_other_accounts(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.admin_ok("POST", "/admin/users", BOB)
    ada = sandbox.connect()["access_token"]
    bob = sandbox.connect(user="bob@example.com")["access_token"]
    ada_ch = channel(sandbox, ada, receiver.url)
    bob_ch = channel(sandbox, bob, receiver.url)
    sandbox.admin_ok("DELETE", "/admin/deliveries")
    sandbox.admin_ok("POST", "/admin/users", dict(BOB, name="Bob again"))
    upsert(sandbox, ada, "cal_sandbox_primary", "x")
    log = settled(sandbox, 2)
    assert sorted(d["channel_id"] for d in log) == sorted([ada_ch["channel_id"], bob_ch["channel_id"]])
    # A closed channel gets nothing more; a removed user's channels are gone.
    sandbox.request("DELETE", f"/v1/channels/{ada_ch['channel_id']}", token=ada)
    sandbox.admin_ok("DELETE", "/admin/users/acc_bob")
    sandbox.admin_ok("DELETE", "/admin/deliveries")
    upsert(sandbox, ada, "cal_sandbox_primary", "y")
    channel(sandbox, ada, receiver.url)  # an observable marker: its verification
    log = settled(sandbox, 1)
    assert [d["type"] for d in log] == ["verification"]


def test_profile_disconnected(sandbox: Sandbox, receiver: Receiver) -> None:
    token = sandbox.connect()["access_token"]
    ch = channel(sandbox, token, receiver.url)
    r = sandbox.admin("POST", "/admin/users/acc_sandbox_ada/profiles/pro_sandbox_office365/disconnect")
    assert r.status == 204
    pushes = receiver.wait_for(2)
    assert json.loads(pushes[1].body) == {"notification": {"type": "profile_disconnected"}, "channel": ch}
    assert pushes[1].headers["cronofy-hmac-sha256"] == sign(SECRET, pushes[1].body)
    profiles = sandbox.get("/v1/profiles", token=token).json()["profiles"]
    assert [p["profile_connected"] for p in profiles if p["profile_id"] == "pro_sandbox_office365"] == [False]
    assert sandbox.admin("POST", "/admin/users/acc_sandbox_ada/profiles/pro_sandbox_office365/reconnect").status == 204
    profiles = sandbox.get("/v1/profiles", token=token).json()["profiles"]
    assert all(p["profile_connected"] for p in profiles)
    assert sandbox.admin("POST", "/admin/users/acc_sandbox_ada/profiles/pro_nope/disconnect").status == 404
    assert sandbox.admin("POST", "/admin/users/acc_nope/profiles/pro_sandbox_office365/disconnect").status == 404
    assert sandbox.admin("GET", "/admin/users/acc_sandbox_ada/profiles/pro_sandbox_office365/disconnect").status == 405


def test_rotation_signs_with_both_secrets(sandbox: Sandbox, receiver: Receiver) -> None:
    app = sandbox.admin_ok("GET", "/admin/applications/sandbox-client-id")
    app["previous_client_secret"] = "the-old-secret-0123"
    sandbox.admin_ok("PUT", "/admin/applications/sandbox-client-id", app)
    token = sandbox.connect()["access_token"]
    channel(sandbox, token, receiver.url)
    [push] = receiver.wait_for(1)
    assert push.headers["cronofy-hmac-sha256"] == sign(SECRET, push.body) + "," + sign("the-old-secret-0123", push.body)


def test_retries_until_delivered(sandbox: Sandbox) -> None:
    rec = Receiver([500, 503])
    try:
        token = sandbox.connect()["access_token"]
        channel(sandbox, token, rec.url)
        pushes = rec.wait_for(3)
        assert pushes[0].body == pushes[1].body == pushes[2].body
        [d] = settled(sandbox, 1)
        assert d["status"] == "delivered" and d["attempts"] == 3 and d["response_status"] == 200
        assert [a["response_status"] for a in d["attempt_log"]] == [500, 503, 200]
        gaps = [b["at_ms"] - a["at_ms"] for a, b in zip(d["attempt_log"], d["attempt_log"][1:])]
        assert gaps[0] >= 200 and gaps[1] >= 400  # backoff, doubling
    finally:
        rec.close()


def test_unreachable_callback_fails_after_retries(sandbox: Sandbox) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    token = sandbox.connect()["access_token"]
    channel(sandbox, token, f"http://127.0.0.1:{port}/push")
    channel(sandbox, token, "https://app.example.com/push")
    log = settled(sandbox, 2)
    by_url = {d["url"]: d for d in log}
    refused = by_url[f"http://127.0.0.1:{port}/push"]
    assert refused["status"] == "failed" and refused["attempts"] == 4
    assert all(a["response_status"] == 0 and a["error"] for a in refused["attempt_log"])
    https = by_url["https://app.example.com/push"]
    assert https["status"] == "failed" and https["attempts"] == 1
    assert "http" in https["attempt_log"][0]["error"]


def test_a_slow_callback_never_blocks_the_request(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.hold = threading.Event()  # the receiver answers nothing until released
    token = sandbox.connect()["access_token"]
    channel(sandbox, token, receiver.url)
    receiver.wait_for(1)  # the sender is now stuck on this callback
    upsert(sandbox, token, "cal_sandbox_primary", "fast")  # answered regardless
    assert deliveries(sandbox)[0]["status"] == "pending"
    receiver.hold.set()
    log = settled(sandbox, 2)
    assert [d["status"] for d in log] == ["delivered", "delivered"]


def test_clear_and_reset(sandbox: Sandbox, receiver: Receiver) -> None:
    token = sandbox.connect()["access_token"]
    channel(sandbox, token, receiver.url)
    settled(sandbox, 1)
    assert sandbox.admin("DELETE", "/admin/deliveries").status == 204
    assert deliveries(sandbox) == []
    assert sandbox.admin("PUT", "/admin/deliveries").status == 405
    sandbox.admin_ok("POST", "/admin/reset")
    token = sandbox.connect()["access_token"]
    assert sandbox.get("/v1/channels", token=token).json()["channels"] == []


def test_waiting_for_settled_deliveries_checks_its_parameters(sandbox: Sandbox) -> None:
    for query in ("settled=-1", "settled=1&wait_ms=60001", "settled=1&wait_ms=-5"):
        assert sandbox.admin("GET", f"/admin/deliveries?{query}").status == 400, query
    # Nothing to wait for: an empty log answers at once with what there is.
    assert sandbox.admin_ok("GET", "/admin/deliveries?settled=0&wait_ms=0") == {"deliveries": []}
