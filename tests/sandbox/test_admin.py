"""The admin API: authentication, provisioning (bulk), reset, settings, the clock, counters,
grants, forced expiry."""

from __future__ import annotations

import threading
import time

import pytest

from sandbox_client import Sandbox


def test_the_admin_api_needs_the_admin_token(sandbox: Sandbox) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {sandbox.admin_token}x"},
                    {"Authorization": sandbox.admin_token}):
        r = sandbox.request("GET", "/admin/status", headers=headers)
        assert r.status == 401
        assert r.json()["error"] == "unauthorized"
    user_token = sandbox.connect()["access_token"]
    assert sandbox.get("/admin/status", token=user_token).status == 401


def test_a_large_admin_body_without_the_token_is_refused_from_its_header_before_any_body(sandbox: Sandbox) -> None:
    """The 401 comes back while the client still owes all 10 MB: the server read none of it
    (before, it waited for the body, and the connection timed out without an answer)."""
    for authorization in ("", "Authorization: Bearer wrong\r\n"):
        with sandbox.tls_socket(timeout=10.0) as s:
            s.sendall(f"POST /admin/users HTTP/1.1\r\nHost: {sandbox.host}\r\n{authorization}"
                      "Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n".encode())
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = s.recv(65536)  # the socket's 10 s timeout is the deadline
                assert chunk, f"the connection closed without an answer: {answer!r}"
                answer += chunk
        head = answer.split(b"\r\n\r\n", 1)[0].decode()
        assert head.startswith("HTTP/1.1 401"), head
        assert "www-authenticate: bearer" in head.lower()
    # With the token a large body is read as before (the bulk provisioning test below).


def test_status(sandbox: Sandbox) -> None:
    s = sandbox.admin_ok("GET", "/admin/status")
    assert (s["name"], s["applications"], s["users"], s["api_url"]) == ("calbridge-sandbox", 1, 1, sandbox.url)


def test_bulk_provisioning_of_10000_users_in_one_call(sandbox: Sandbox) -> None:
    users = [{"email": f"user{i}@bulk.example.com", "name": f"User {i}"} for i in range(10_000)]
    started = time.monotonic()
    r = sandbox.admin("POST", "/admin/users", {"users": users}, timeout=120)
    elapsed = time.monotonic() - started
    assert r.status == 201, r.body[:300]
    out = r.json()
    assert out["count"] == 10_000
    assert len({u["account_id"] for u in out["users"]}) == 10_000
    assert out["users"][1234]["email"] == "user1234@bulk.example.com"
    assert sandbox.admin_ok("GET", "/admin/users?limit=5")["count"] == 10_001
    assert elapsed < 60
    # Any of them can connect and has a calendar.
    t = sandbox.connect(user="user9999@bulk.example.com")["access_token"]
    cals = sandbox.get("/v1/calendars", token=t).json()["calendars"]
    assert [(c["calendar_name"], c["calendar_primary"]) for c in cals] == [("User 9999", True)]


def test_a_bulk_call_with_one_bad_user_changes_nothing_and_names_it(sandbox: Sandbox) -> None:
    users = [{"email": "a@example.com"}, {"email": "b@example.com"}, {"email": "not-an-email"}]
    r = sandbox.admin("POST", "/admin/users", {"users": users})
    assert r.status == 422
    assert r.json() == {"errors": {"users[2].email": [{"key": "errors.invalid", "description": "must be an e-mail address"}]}}
    assert sandbox.admin_ok("GET", "/admin/users")["count"] == 1


def test_an_email_address_belongs_to_one_user(sandbox: Sandbox) -> None:
    r = sandbox.admin("POST", "/admin/users", {"email": "ada@example.com"})
    assert r.status == 422 and r.json()["errors"]["users[0].email"][0]["key"] == "errors.taken"


def test_a_user_with_profiles_calendars_and_events(sandbox: Sandbox) -> None:
    body = {
        "account_id": "acc_carol", "email": "carol@example.com", "name": "Carol", "default_tzid": "Europe/London",
        "profiles": [{"profile_id": "pro_c1", "provider_name": "office365"},
                     {"profile_id": "pro_c2", "provider_name": "apple", "connected": False}],
        "calendars": [{"calendar_id": "cal_c1", "profile_id": "pro_c1", "calendar_name": "Work", "primary": True},
                      {"calendar_id": "cal_c2", "profile_id": "pro_c2", "calendar_name": "Home"}],
        "events": [{"summary": "Standup", "start": "2030-03-01T09:00:00Z", "end": "2030-03-01T09:15:00Z"}],
        "generate_events": 3,
    }
    created = sandbox.admin("POST", "/admin/users", body)
    assert created.status == 201
    u = created.json()
    assert u["event_count"] == 4 and u["default_tzid"] == "Europe/London"
    assert sandbox.admin_ok("GET", "/admin/users/acc_carol") == u
    t = sandbox.connect(user="carol@example.com")["access_token"]
    profiles = sandbox.get("/v1/profiles", token=t).json()["profiles"]
    assert [p["profile_connected"] for p in profiles] == [True, False]
    assert [c["calendar_id"] for c in sandbox.get("/v1/calendars", token=t).json()["calendars"]] == ["cal_c1"]


def test_put_replaces_a_user_and_delete_removes_it(sandbox: Sandbox) -> None:
    r = sandbox.admin("PUT", "/admin/users/acc_dave", {"email": "dave@example.com"})
    assert r.status == 201 and r.json()["account_id"] == "acc_dave"
    r = sandbox.admin("PUT", "/admin/users/acc_dave", {"email": "david@example.com", "name": "David"})
    assert r.status == 200 and r.json()["name"] == "David"
    assert sandbox.admin("DELETE", "/admin/users/acc_dave").status == 204
    assert sandbox.admin("GET", "/admin/users/acc_dave").status == 404
    assert sandbox.admin("DELETE", "/admin/users/acc_dave").status == 404


def test_delete_all_users(sandbox: Sandbox) -> None:
    assert sandbox.admin("DELETE", "/admin/users").status == 204
    assert sandbox.admin_ok("GET", "/admin/users") == {"count": 0, "users": []}


def test_applications_are_created_read_replaced_and_deleted(sandbox: Sandbox) -> None:
    app = {"client_id": "app-2", "client_secret": "s2", "name": "Two", "verified": True,
           "redirect_uris": ["https://*.two.example/cb"], "settings": {"pkce_required": True}}
    r = sandbox.admin("POST", "/admin/applications", app)
    assert r.status == 201 and r.json() == app
    assert sandbox.admin_ok("GET", "/admin/applications/app-2") == app
    r = sandbox.admin("PUT", "/admin/applications/app-2", {"name": "Two, renamed", "client_secret": "s3"})
    assert r.status == 200 and r.json()["verified"] is False and r.json()["client_secret"] == "s3"
    assert sandbox.admin("DELETE", "/admin/applications/app-2").status == 204
    assert sandbox.admin("GET", "/admin/applications/app-2").status == 404


def test_generated_application_credentials(sandbox: Sandbox) -> None:
    r = sandbox.admin("POST", "/admin/applications", {"name": "Generated"})
    app = r.json()
    assert app["client_id"].startswith("cli_") and app["client_secret"].startswith("sec_")
    tokens = sandbox.connect(client_id=app["client_id"], client_secret=app["client_secret"])
    assert tokens["token_type"] == "bearer"


def test_several_applications_in_one_call(sandbox: Sandbox) -> None:
    r = sandbox.admin("POST", "/admin/applications", {"applications": [{"name": "A"}, {"name": "B"}]})
    assert r.status == 201 and len(r.json()["applications"]) == 2
    assert len(sandbox.admin_ok("GET", "/admin/applications")["applications"]) == 3


@pytest.mark.parametrize(("body", "field"), [
    ({"redirect_uris": ["https://a*.example.com/cb"]}, "redirect_uris[0]"),
    ({"redirect_uris": ["not a uri"]}, "redirect_uris[0]"),
    ({"verified": "yes"}, "verified"),
    ({"settings": {"access_token_lifetime": 0}}, "access_token_lifetime"),
    ({"colour": "blue"}, "application.colour"),
])
def test_invalid_applications_are_422(sandbox: Sandbox, body, field) -> None:
    r = sandbox.admin("POST", "/admin/applications", body)
    assert r.status == 422
    assert field in r.json()["errors"]


def test_settings_are_read_and_patched(sandbox: Sandbox) -> None:
    assert sandbox.admin_ok("GET", "/admin/settings") == {
        "access_token_lifetime": 3600, "code_lifetime": 60, "refresh_rotation": True, "refresh_reuse_detection": True,
        "pkce_required": False, "rate_limit": "off", "page_size": 100, "page_lifetime": 3600,
        "last_page_next_page": "omit"}
    out = sandbox.admin_ok("PATCH", "/admin/settings", {"access_token_lifetime": 42, "refresh_rotation": False})
    assert (out["access_token_lifetime"], out["refresh_rotation"], out["code_lifetime"]) == (42, False, 60)


@pytest.mark.parametrize("body", [{"access_token_lifetime": "3600"}, {"page_size": 0}, {"rate_limit": "fast"},
                                  {"rate_limit": {"per_hour": 1}}, {"tokens": 1},
                                  {"last_page_next_page": "null"}])
def test_a_bad_setting_is_422_and_changes_nothing(sandbox: Sandbox, body) -> None:
    before = sandbox.admin_ok("GET", "/admin/settings")
    assert sandbox.admin("PATCH", "/admin/settings", {"code_lifetime": 5, **body}).status == 422
    assert sandbox.admin_ok("GET", "/admin/settings") == before


# Written as JSON text: Python's json module cannot spell 1e3081 (it reads it as infinity and
# writes that back as "Infinity", which is not JSON).
@pytest.mark.parametrize("count, description", [
    ("1e3081", "must be between 1 and 1000000"),  # infinity once parsed
    ("-1e3081", "must be between 1 and 1000000"),
    ("1e19", "must be between 1 and 1000000"),  # past int64, as a double
    ("-9.3e18", "must be between 1 and 1000000"),
    ("18446744073709551615", "must be between 1 and 1000000"),  # past int64, as uint64
    ("1e7", "must be between 1 and 1000000"),
    ("2.5", "must be an integer"),
    ('"2"', "must be an integer"),
])
def test_an_integer_field_out_of_range_or_not_whole_is_422(sandbox: Sandbox, count: str, description: str) -> None:
    body = '{"method": "GET", "path": "/v1/*", "kind": "status", "status": 503, "count": %s}' % count
    r = sandbox.request("POST", "/admin/faults", body=body, token=sandbox.admin_token,
                        headers={"Content-Type": "application/json"})
    assert r.status == 422, r.body
    assert r.json()["errors"]["count"][0]["description"] == description
    assert sandbox.admin_ok("GET", "/admin/faults") == {"faults": []}


@pytest.mark.parametrize("count, remaining", [("1e2", 100), ("3.0", 3), ("1000000", 1000000)])
def test_a_whole_number_in_any_json_spelling_is_an_integer(sandbox: Sandbox, count: str, remaining: int) -> None:
    body = '{"method": "GET", "path": "/v1/*", "kind": "status", "status": 503, "count": %s}' % count
    r = sandbox.request("POST", "/admin/faults", body=body, token=sandbox.admin_token,
                        headers={"Content-Type": "application/json"})
    assert r.status == 201, r.body
    assert r.json()["remaining"] == remaining


def test_reset_returns_to_the_initial_state(sandbox: Sandbox) -> None:
    t = sandbox.connect()
    sandbox.admin_ok("DELETE", "/admin/users/acc_sandbox_ada")
    sandbox.admin_ok("POST", "/admin/applications", {"name": "Extra"})
    sandbox.admin_ok("PATCH", "/admin/settings", {"page_size": 7})
    sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 100})
    sandbox.admin_ok("POST", "/admin/faults", {"path": "/v1/account", "kind": "status", "status": 500, "count": 5})
    status = sandbox.admin_ok("POST", "/admin/reset")
    assert (status["users"], status["applications"], status["clock_offset"]) == (1, 1, 0)
    assert status["settings"]["page_size"] == 100
    assert sandbox.admin_ok("GET", "/admin/faults") == {"faults": []}
    assert sandbox.get("/v1/account", token=t["access_token"]).status == 401  # tokens are gone
    assert sandbox.connect()["token_type"] == "bearer"


def test_the_clock_moves_forward_on_request(sandbox: Sandbox) -> None:
    before = sandbox.admin_ok("GET", "/admin/clock")
    after = sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 86400})
    assert after["offset"] == 86400
    assert 86400 <= after["now"] - before["now"] <= 86400 + 30
    assert sandbox.admin("POST", "/admin/clock", {}).status == 422
    assert sandbox.admin("POST", "/admin/clock", {"stopped": "yes"}).status == 422
    assert sandbox.admin("POST", "/admin/clock", {"advance_seconds": 1, "speed": 2}).status == 422


def test_a_stopped_clock_moves_only_on_request(sandbox: Sandbox) -> None:
    stopped = sandbox.admin_ok("POST", "/admin/clock", {"stopped": True})
    assert stopped["stopped"] is True and sandbox.admin_ok("GET", "/admin/status")["clock_stopped"] is True
    # A second ticking over between requests changes nothing: the reading is the same
    # however long this test takes, until it asks for a move.
    code = sandbox.code_for()
    assert sandbox.admin_ok("GET", "/admin/clock")["now"] == stopped["now"]
    moved = sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 59})
    assert moved["now"] == stopped["now"] + 59 and moved["stopped"] is True
    assert sandbox.exchange(code).status == 200  # the default code lifetime is 60 s
    again = sandbox.admin_ok("POST", "/admin/clock", {"stopped": True})  # stopping twice is harmless
    assert again["now"] == moved["now"]


def test_a_started_clock_runs_on_from_where_it_stopped(sandbox: Sandbox) -> None:
    stopped = sandbox.admin_ok("POST", "/admin/clock", {"stopped": True, "advance_seconds": 3600})
    started = sandbox.admin_ok("POST", "/admin/clock", {"stopped": False})
    assert started["stopped"] is False
    assert stopped["now"] <= started["now"] <= stopped["now"] + 30  # no jump back to real time, nor ahead
    assert sandbox.admin_ok("POST", "/admin/clock", {"stopped": False})["stopped"] is False  # already running
    sandbox.admin_ok("POST", "/admin/clock", {"stopped": True})
    reset = sandbox.admin_ok("POST", "/admin/reset")
    assert (reset["clock_offset"], reset["clock_stopped"]) == (0, False)


def test_grants_are_listed(sandbox: Sandbox) -> None:
    t = sandbox.connect(scope="read_account")
    sandbox.refresh(t["refresh_token"])
    [g] = sandbox.admin_ok("GET", "/admin/grants")["grants"]
    assert (g["client_id"], g["account_id"], g["scopes"], g["revoked"]) == (sandbox.client_id, "acc_sandbox_ada",
                                                                          ["read_account"], False)
    assert (g["live_access_tokens"], g["current_refresh_tokens"]) == (2, 1)


def test_expire_every_token_of_an_account(sandbox: Sandbox) -> None:
    a, b = sandbox.connect(), sandbox.connect()
    assert sandbox.admin_ok("POST", "/admin/tokens/expire", {"account_id": "acc_sandbox_ada"}) == {"expired": 2}
    assert sandbox.get("/v1/account", token=a["access_token"]).status == 401
    assert sandbox.get("/v1/account", token=b["access_token"]).status == 401


def test_counters_count_requests_responses_and_the_in_flight_peak(sandbox: Sandbox) -> None:
    t = sandbox.connect()["access_token"]
    sandbox.admin_ok("POST", "/admin/counters/reset")
    sandbox.admin_ok("POST", "/admin/faults", {"method": "GET", "path": "/v1/account", "kind": "delay",
                                               "delay_ms": 5000, "count": 4})
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(sandbox.get("/v1/account", token=t).status))
               for _ in range(4)]
    for th in threads:
        th.start()
    # Answered once the four delayed ones and this admin request are in flight together (or
    # after 30 s: the four overlap even if their connections open slowly).
    r = sandbox.admin("GET", "/admin/counters?in_flight_at_least=5&wait_ms=30000", timeout=45)
    assert r.status == 200
    peak_seen = r.json()["in_flight"]
    for th in threads:
        th.join()
    assert results == [200] * 4
    # The client can read a reply before the sandbox has finished writing it and counted it
    # done: wait until only this request is in flight.
    c = sandbox.admin_ok("GET", "/admin/counters?in_flight_at_most=1&wait_ms=30000")
    assert peak_seen == 5  # delays wait on timers: four at once on a server with fewer threads
    assert c["in_flight_peak"] >= 5
    assert c["in_flight"] == 1  # this very request
    assert c["faults_applied"] == 4
    assert c["responses"]["2xx"] >= 4
    assert c["requests"] >= 5


def test_admin_bodies_must_be_json_objects(sandbox: Sandbox) -> None:
    r = sandbox.request("POST", "/admin/users", body="{not json", token=sandbox.admin_token)
    assert r.status == 400 and r.json()["error"] == "invalid_request"
    r = sandbox.request("POST", "/admin/users", body="[1, 2]", token=sandbox.admin_token)
    assert r.status == 400


def test_unknown_admin_paths_are_404_and_wrong_methods_405(sandbox: Sandbox) -> None:
    assert sandbox.admin("GET", "/admin/nothing").status == 404
    r = sandbox.admin("DELETE", "/admin/status")
    assert r.status == 405 and r.header("Allow") == "GET"


def test_counters_answer_once_a_held_request_has_ended(sandbox: Sandbox) -> None:
    """in_flight_at_least and in_flight_at_most: each long poll answers on the change it waits
    for; a held (delayed) request ends when its client hangs up."""
    sandbox.admin_ok("POST", "/admin/faults", {"method": "GET", "path": "/", "kind": "delay", "delay_ms": 60000,
                                               "count": 1})
    s = sandbox.tls_socket(timeout=60)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        held = sandbox.admin("GET", "/admin/counters?in_flight_at_least=2&wait_ms=30000", timeout=45)
        assert held.status == 200 and held.json()["in_flight"] == 2  # the held request and this one
    finally:
        s.close()
    idle = sandbox.admin("GET", "/admin/counters?in_flight_at_most=1&wait_ms=30000", timeout=45)
    assert idle.status == 200 and idle.json()["in_flight"] == 1


def test_counters_answer_once_a_connection_has_closed(sandbox: Sandbox) -> None:
    s = sandbox.tls_socket()
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(1)  # served: the connection is counted open
        open_now = sandbox.admin_ok("GET", "/admin/counters")["connections_open"]
        assert open_now >= 2  # this one and the admin request's
    finally:
        s.close()
    r = sandbox.admin("GET", f"/admin/counters?connections_open_at_most={open_now - 1}&wait_ms=30000", timeout=45)
    assert r.status == 200 and r.json()["connections_open"] <= open_now - 1


def test_a_counters_wait_that_is_not_met_answers_after_wait_ms_with_the_counters(sandbox: Sandbox) -> None:
    started = time.monotonic()
    r = sandbox.admin("GET", "/admin/counters?in_flight_at_least=50&wait_ms=300")
    assert time.monotonic() - started >= 0.3  # it waited the whole wait_ms
    assert r.status == 200 and r.json()["in_flight"] == 1  # the caller compares


@pytest.mark.parametrize("query", ["in_flight_at_most=-1", "in_flight_at_least=3&wait_ms=60001",
                                   "connections_open_at_most=1&wait_ms=-5"])
def test_a_malformed_counters_wait_is_refused(sandbox: Sandbox, query: str) -> None:
    assert sandbox.admin("GET", "/admin/counters?" + query).status == 400
