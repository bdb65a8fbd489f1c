"""Fault injection: for the next N requests matching a method and path, each kind of
misbehaviour a real intermediary or a proxy in front of it shows."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from sandbox_client import Sandbox


def fault(sandbox: Sandbox, **spec) -> dict:
    r = sandbox.admin("POST", "/admin/faults", spec)
    assert r.status == 201, r.body
    return r.json()


@pytest.fixture
def tokens(sandbox: Sandbox) -> dict:
    return sandbox.connect()


def test_status_fault_replies_with_the_status_body_and_headers_for_the_next_n(sandbox: Sandbox, tokens) -> None:
    f = fault(sandbox, method="GET", path="/v1/account", kind="status", status=503, count=2,
              body={"error": "unavailable"}, headers={"Retry-After": "7"})
    assert (f["kind"], f["remaining"], f["process"]) == ("status", 2, False)
    for _ in range(2):
        r = sandbox.get("/v1/account", token=tokens["access_token"])
        assert r.status == 503
        assert r.json() == {"error": "unavailable"}
        assert r.header("Retry-After") == "7"
        assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert sandbox.get("/v1/account", token=tokens["access_token"]).status == 200
    assert sandbox.admin_ok("GET", "/admin/faults") == {"faults": []}


def test_status_fault_with_a_text_body(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/v1/calendars", kind="status", status=429, body="slow down", content_type="text/plain")
    r = sandbox.get("/v1/calendars", token=tokens["access_token"])
    assert (r.status, r.text, r.header("Content-Type")) == (429, "slow down", "text/plain")


def test_faults_match_the_method_and_the_path_or_a_prefix(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, method="POST", path="/v1/calendars", kind="status", status=500)
    fault(sandbox, path="/v1/free_busy*", kind="status", status=502, count=1)
    t = tokens["access_token"]
    assert sandbox.get("/v1/calendars", token=t).status == 200  # GET does not match the POST fault
    assert sandbox.get("/v1/free_busy/pages/abc", token=t).status == 502
    assert sandbox.get("/v1/free_busy/pages/abc", token=t).status == 404
    assert [f["method"] for f in sandbox.admin_ok("GET", "/admin/faults")["faults"]] == ["POST"]


def test_delay_fault_waits_without_blocking_other_requests(sandbox: Sandbox, tokens) -> None:
    # Long enough that the quick requests, a new TLS connection included, finish well inside it
    # even on a loaded machine under a sanitizer.
    fault(sandbox, method="GET", path="/v1/account", kind="delay", delay_ms=3000)
    t = tokens["access_token"]
    slow: dict = {}

    def call_slow() -> None:
        started = time.monotonic()
        slow["status"] = sandbox.get("/v1/account", token=t).status
        slow["elapsed"] = time.monotonic() - started

    applied = sandbox.admin_ok("GET", "/admin/counters")["faults_applied"]
    th = threading.Thread(target=call_slow)
    th.start()
    # The slow request has arrived once the sandbox has applied its rule: one admin request that
    # the sandbox answers then.
    counters = sandbox.admin_ok("GET", f"/admin/counters?faults_applied={applied + 1}&wait_ms=20000")
    assert counters["faults_applied"] == applied + 1, "the delayed request never reached the sandbox"
    # Meanwhile, many quick requests are served (more than the sandbox has threads).
    quick_started = time.monotonic()
    conn = sandbox.connection()
    try:
        for _ in range(5):
            assert sandbox.request("GET", "/v1/calendars", token=t, conn=conn).status == 200
    finally:
        conn.close()
    quick = time.monotonic() - quick_started
    th.join()
    assert slow["status"] == 200
    assert slow["elapsed"] >= 3.0
    assert quick < 2.5


def test_close_fault_drops_the_connection_without_a_response(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/v1/account", kind="close")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        sandbox.get("/v1/account", token=tokens["access_token"])
    assert sandbox.get("/v1/account", token=tokens["access_token"]).status == 200


def test_close_before_processing_leaves_the_code_unspent(sandbox: Sandbox) -> None:
    code = sandbox.code_for()
    fault(sandbox, method="POST", path="/oauth/token", kind="close")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        sandbox.exchange(code)
    assert sandbox.exchange(code).status == 200


def test_close_after_processing_loses_a_rotated_refresh_token(sandbox: Sandbox, tokens) -> None:
    # The refresh happened, the response was lost: retrying with the old token is reuse.
    fault(sandbox, method="POST", path="/oauth/token", kind="close", process=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        sandbox.refresh(tokens["refresh_token"])
    r = sandbox.refresh(tokens["refresh_token"])
    assert r.status == 400 and r.json()["error"] == "invalid_grant"


def test_truncate_fault_cuts_the_body_in_half(sandbox: Sandbox, tokens) -> None:
    full = sandbox.get("/v1/calendars", token=tokens["access_token"])
    fault(sandbox, path="/v1/calendars", kind="truncate")
    conn = sandbox.connection()
    try:
        conn.request("GET", "/v1/calendars", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("Content-Length") == str(len(full.body))
        with pytest.raises(http.client.IncompleteRead) as e:
            resp.read()
        assert e.value.partial == full.body[: len(full.body) // 2]
    finally:
        conn.close()


def test_truncating_a_token_response(sandbox: Sandbox) -> None:
    code = sandbox.code_for()
    fault(sandbox, method="POST", path="/oauth/token", kind="truncate")
    with pytest.raises(http.client.IncompleteRead):
        sandbox.exchange(code)


def test_malformed_json_fault(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/v1/account", kind="malformed_json")
    r = sandbox.get("/v1/account", token=tokens["access_token"])
    assert r.status == 200
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert r.text.startswith('{"account":')


def test_json_labelled_text_plain(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, method="POST", path="/oauth/token", kind="json_as_text_plain")
    r = sandbox.refresh(tokens["refresh_token"])
    assert r.status == 200
    assert r.header("Content-Type") == "text/plain; charset=utf-8"
    assert r.json()["token_type"] == "bearer"


def test_html_error_page_from_a_proxy(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/oauth/token", kind="html_error")
    r = sandbox.refresh(tokens["refresh_token"])
    assert r.status == 502
    assert r.header("Content-Type") == "text/html"
    assert "<title>502 Bad Gateway</title>" in r.text
    assert sandbox.refresh(tokens["refresh_token"]).status == 200  # not processed: the token still works


def test_html_error_page_with_another_status(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/v1/calendars", kind="html_error", status=504)
    r = sandbox.get("/v1/calendars", token=tokens["access_token"])
    assert r.status == 504 and "504" in r.text


def test_200_with_an_error_field(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/oauth/token", kind="error_in_200")
    r = sandbox.refresh(tokens["refresh_token"])
    assert r.status == 200
    assert r.json()["error"] == "server_error"
    assert "access_token" not in r.json()


def test_200_with_an_error_field_added_to_a_real_response(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/oauth/token", kind="error_in_200", process=True)
    body = sandbox.refresh(tokens["refresh_token"]).json()
    assert body["error"] == "server_error" and "access_token" in body


def test_expires_in_as_a_string(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/oauth/token", kind="expires_in_string")
    body = sandbox.refresh(tokens["refresh_token"]).json()
    assert body["expires_in"] == "3600"


def test_omitting_expires_in(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/oauth/token", kind="omit_expires_in")
    body = sandbox.refresh(tokens["refresh_token"]).json()
    assert "expires_in" not in body and "access_token" in body


def test_omitting_the_refresh_token(sandbox: Sandbox, tokens) -> None:
    fault(sandbox, path="/oauth/token", kind="omit_refresh_token")
    body = sandbox.refresh(tokens["refresh_token"]).json()
    assert "refresh_token" not in body and "access_token" in body


def test_faults_are_listed_and_removed(sandbox: Sandbox) -> None:
    a = fault(sandbox, path="/a", kind="status", status=500, count=3)
    b = fault(sandbox, path="/b", kind="close")
    assert [f["id"] for f in sandbox.admin_ok("GET", "/admin/faults")["faults"]] == [a["id"], b["id"]]
    assert sandbox.admin("DELETE", f"/admin/faults/{a['id']}").status == 204
    assert sandbox.admin("DELETE", f"/admin/faults/{a['id']}").status == 404
    assert sandbox.admin("DELETE", "/admin/faults").status == 204
    assert sandbox.admin_ok("GET", "/admin/faults") == {"faults": []}


@pytest.mark.parametrize(("spec", "field"), [
    ({"path": "/x", "kind": "explode"}, "kind"),
    ({"kind": "close"}, "path"),
    ({"path": "x", "kind": "close"}, "path"),
    ({"path": "/admin/status", "kind": "close"}, "path"),
    ({"path": "/x", "kind": "status"}, "status"),
    ({"path": "/x", "kind": "delay"}, "delay_ms"),
    ({"path": "/x", "kind": "close", "count": 0}, "count"),
    ({"path": "/x", "kind": "status", "status": 700}, "status"),
])
def test_invalid_faults_are_422(sandbox: Sandbox, spec, field) -> None:
    r = sandbox.admin("POST", "/admin/faults", spec)
    assert r.status == 422
    assert field in r.json()["errors"]


def test_the_admin_api_is_never_faulted(sandbox: Sandbox) -> None:
    fault(sandbox, path="/*", kind="close", count=100)
    assert sandbox.admin("GET", "/admin/status").status == 200
    assert sandbox.admin("DELETE", "/admin/faults").status == 204


def test_waiting_for_applied_faults_checks_its_parameters(sandbox: Sandbox) -> None:
    for query in ("faults_applied=-1", "faults_applied=1&wait_ms=60001", "faults_applied=1&wait_ms=-5"):
        r = sandbox.admin("GET", f"/admin/counters?{query}")
        assert r.status == 400, query
        assert r.json()["error"] == "invalid_request"
    # Reached already: answers at once with the counters.
    applied = sandbox.admin_ok("GET", "/admin/counters")["faults_applied"]
    assert sandbox.admin_ok("GET", f"/admin/counters?faults_applied={applied}&wait_ms=0")["faults_applied"] == applied


def test_waiting_for_applied_faults_answers_when_a_request_meets_a_rule(sandbox: Sandbox, tokens) -> None:
    applied = sandbox.admin_ok("GET", "/admin/counters")["faults_applied"]
    fault(sandbox, method="GET", path="/v1/account", kind="status", status=503)
    answer: dict = {}

    def wait() -> None:
        answer["counters"] = sandbox.admin_ok("GET", f"/admin/counters?faults_applied={applied + 1}&wait_ms=60000")

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert sandbox.get("/v1/account", token=tokens["access_token"]).status == 503
    waiter.join(timeout=30)
    assert not waiter.is_alive(), "the waiting admin request was not answered when the rule was applied"
    assert answer["counters"]["faults_applied"] == applied + 1
    # Not reached: answers after wait_ms with the count as it is.
    assert sandbox.admin_ok("GET", f"/admin/counters?faults_applied={applied + 2}&wait_ms=50")["faults_applied"] == applied + 1


def test_a_delayed_reply_whose_client_hangs_up_ends_at_once(sandbox: Sandbox, tokens) -> None:
    """The request stops counting as in flight when the client goes, not when the delay is over."""
    fault(sandbox, method="GET", path="/v1/account", kind="delay", delay_ms=60000)
    applied = sandbox.admin_ok("GET", "/admin/counters")["faults_applied"]
    with sandbox.tls_socket(timeout=30) as s:
        s.sendall(f"GET /v1/account HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {tokens['access_token']}\r\n\r\n"
                  .encode())  # fmt: skip
        counters = sandbox.admin_ok("GET", f"/admin/counters?faults_applied={applied + 1}&wait_ms=20000")
        assert counters["faults_applied"] == applied + 1 and counters["in_flight"] == 2  # it, and this call
        s.shutdown(socket.SHUT_WR)  # the client hangs up
        # The sandbox closes the connection in answer, long before the 60 s delay ends (what
        # comes before the end is TLS records the client never read, such as session tickets).
        try:
            while s.recv(4096):
                pass
        except ConnectionResetError:
            pass
    # The close can reach the client before the sandbox has counted the request done.
    assert sandbox.admin_ok("GET", "/admin/counters?in_flight_at_most=1&wait_ms=20000")["in_flight"] == 1  # only this call
