#!/usr/bin/env python3
"""The C API's client-secret and scheduling calls, driven through ctypes against a scripted
loopback API in this process (standard library only): the exact requests (method, path, bearer,
JSON body), the JSON results, the application calendar's credentials stored and used by a
session, a 422's field errors, and the client secret absent from every error record.

    test_ctypes_scheduling.py /path/to/libcalbridge.so.0
"""

from __future__ import annotations

import ctypes
import json
import sys
import threading
from ctypes import POINTER, Structure, byref, c_char_p, c_int, c_int64, c_size_t, c_uint, c_void_p
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OK, EINVALID_ARGUMENT, EINVALID_CLIENT, EVALIDATION = 0, -1, -3, -12
SECRET = "c-client-secret-0123456789abcdef"


class Error(Structure):
    _fields_ = [("code", c_int), ("code_name", c_char_p), ("message", c_char_p), ("http_status", c_int),
                ("oauth_error", c_char_p), ("oauth_error_description", c_char_p), ("oauth_error_uri", c_char_p),
                ("retry_after_seconds", c_int64), ("field_errors_json", c_char_p)]


class ClientOptions(Structure):  # version 1's first fields; the rest stay zero (init sizes it)
    _fields_ = [("version", c_uint), ("data_center", c_char_p), ("api_url", c_char_p), ("app_url", c_char_p),
                ("pad", ctypes.c_byte * 512)]


class QueryParam(Structure):
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class Permission(Structure):
    _fields_ = [("calendar_id", c_char_p), ("permission_level", c_char_p)]


class Api:
    def __init__(self) -> None:
        self.replies: list[tuple[int, str]] = []
        self.seen: list[tuple[str, str, str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode() if n else ""
                api.seen.append((self.command, self.path, self.headers.get("Authorization", ""), body))
                status, text = api.replies.pop(0) if api.replies else (599, "{}")
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def reply(self, status: int, body: Any = None) -> None:
        self.replies.append((status, "" if body is None else json.dumps(body)))


def main() -> int:
    lib = ctypes.CDLL(sys.argv[1])
    p = c_void_p
    for name, restype, argtypes in [
        ("calbridge_error_last", POINTER(Error), []),
        ("calbridge_free", None, [p]),
        ("calbridge_client_options_init", c_int, [POINTER(ClientOptions), c_uint]),
        ("calbridge_client_new", c_int, [POINTER(p), c_char_p, c_char_p, POINTER(ClientOptions)]),
        ("calbridge_client_free", None, [p]),
        ("calbridge_client_request", c_int, [POINTER(p), p, c_char_p, c_char_p, POINTER(QueryParam), c_size_t,
                                             c_char_p, p]),
        ("calbridge_client_availability", c_int, [POINTER(p), p, c_char_p, p]),
        ("calbridge_client_create_application_calendar", c_int, [POINTER(p), p, c_char_p, p]),
        ("calbridge_credentials_account_key", c_char_p, [p]),
        ("calbridge_credentials_free", None, [p]),
        ("calbridge_session_new", c_int, [POINTER(p), p, c_char_p]),
        ("calbridge_session_free", None, [p]),
        ("calbridge_session_availability", c_int, [POINTER(p), p, c_char_p, p]),
        ("calbridge_session_change_participation_status", c_int, [p, c_char_p, c_char_p, c_int, p]),
        ("calbridge_session_create_calendar", c_int, [POINTER(p), p, c_char_p, c_char_p, p]),
        ("calbridge_session_delete_all_events", c_int, [p, p]),
        ("calbridge_session_delete_events_in_calendars", c_int, [p, POINTER(c_char_p), c_size_t, p]),
        ("calbridge_session_upsert_availability_rule", c_int, [POINTER(p), p, c_char_p, p]),
        ("calbridge_session_availability_rules", c_int, [POINTER(p), p, p]),
        ("calbridge_session_availability_rule", c_int, [POINTER(p), p, c_char_p, p]),
        ("calbridge_session_delete_availability_rule", c_int, [p, c_char_p, p]),
        ("calbridge_session_request_elevated_permissions", c_int, [POINTER(p), p, POINTER(Permission), c_size_t,
                                                                   c_char_p, p]),
    ]:  # fmt: skip
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes

    def last() -> Error:
        return lib.calbridge_error_last().contents

    def check(rc: int, what: str) -> None:
        if rc != OK:
            raise AssertionError(f"{what}: {rc} {last().message.decode()}")

    def take(out: c_void_p) -> Any:
        try:
            text = ctypes.string_at(out.value).decode()
        finally:
            lib.calbridge_free(out)
        return json.loads(text) if text else None

    def no_secret() -> None:
        e = last()
        for field in (e.message, e.field_errors_json, e.oauth_error_description):
            assert field is None or SECRET.encode() not in field, field

    api = Api()
    options = ClientOptions()
    check(lib.calbridge_client_options_init(byref(options), 1), "options")
    options.api_url = api.url.encode()
    options.app_url = api.url.encode()
    client = c_void_p()
    check(lib.calbridge_client_new(byref(client), b"client-id", SECRET.encode(), byref(options)), "client_new")
    bearer = f"Bearer {SECRET}"

    # The generic call with the secret as bearer.
    out = c_void_p()
    api.reply(200, {"url": "https://app.test/rts/1"})
    params = (QueryParam * 1)(QueryParam(b"x", b"a b"))
    check(lib.calbridge_client_request(byref(out), client, b"POST", b"/v1/real_time_scheduling", params, 1,
                                       b'{"oauth": {}}', None), "client_request")
    assert take(out) == {"url": "https://app.test/rts/1"}
    assert api.seen.pop() == ("POST", "/v1/real_time_scheduling?x=a%20b", bearer, '{"oauth": {}}')
    assert lib.calbridge_client_request(byref(out), client, b"GET", b"https://evil.test/v1/x", None, 0, None,
                                        None) == EINVALID_ARGUMENT
    assert out.value is None and api.seen == []
    no_secret()
    api.reply(401, {"echo": SECRET})
    assert lib.calbridge_client_request(byref(out), client, b"GET", b"/v1/smart_invites", None, 0, None,
                                        None) == EINVALID_CLIENT
    no_secret()
    api.seen.clear()

    # Availability with the secret: the query as given, the reply as JSON.
    query = {"participants": [{"members": [{"sub": "acc_1"}], "required": "all"}],
             "required_duration": {"minutes": 60},
             "available_periods": [{"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T17:00:00Z"}],
             "response_format": "periods"}  # fmt: skip
    reply = {"available_periods": [{"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T10:00:00Z",
                                    "participants": [{"sub": "acc_1"}]}]}  # fmt: skip
    api.reply(200, reply)
    check(lib.calbridge_client_availability(byref(out), client, json.dumps(query).encode(), None), "availability")
    assert take(out) == reply
    method, path, auth, body = api.seen.pop()
    assert (method, path, auth, json.loads(body)) == ("POST", "/v1/availability", bearer, query)
    api.reply(422, {"errors": {"required_duration": [{"key": "errors.invalid", "description": SECRET}]}})
    assert lib.calbridge_client_availability(byref(out), client, json.dumps(query).encode(), None) == EVALIDATION
    assert b"required_duration" in last().field_errors_json
    no_secret()
    api.seen.clear()

    # An application calendar: stored, then a session over it with its own token.
    credentials = c_void_p()
    api.reply(200, {"token_type": "bearer", "access_token": "at-app", "refresh_token": "rt-app", "expires_in": 3600,
                    "sub": "apc_1", "application_calendar_id": "bookings"})  # fmt: skip
    check(lib.calbridge_client_create_application_calendar(byref(credentials), client, b"bookings", None), "app cal")
    assert lib.calbridge_credentials_account_key(credentials) == b"apc_1"
    method, path, auth, body = api.seen.pop()
    assert (method, path, auth) == ("POST", "/v1/application_calendars", bearer)
    assert json.loads(body) == {"client_id": "client-id", "client_secret": SECRET, "application_calendar_id": "bookings"}
    session = c_void_p()
    check(lib.calbridge_session_new(byref(session), client, b"apc_1"), "session")
    lib.calbridge_credentials_free(credentials)

    user = "Bearer at-app"
    api.reply(200, reply)
    check(lib.calbridge_session_availability(byref(out), session, json.dumps(query).encode(), None), "availability")
    assert take(out) == reply and api.seen.pop()[2] == user

    api.reply(202)
    check(lib.calbridge_session_change_participation_status(session, b"cal_1", b"evt 1", 2, None), "status")
    assert api.seen.pop() == ("POST", "/v1/calendars/cal_1/events/evt%201/participation_status", user,
                              '{"status":"tentative"}')

    api.reply(200, {"calendar": {"calendar_id": "cal_new", "calendar_name": "Bookings"}})
    check(lib.calbridge_session_create_calendar(byref(out), session, b"pro_1", b"Bookings", None), "create calendar")
    assert take(out)["calendar_id"] == "cal_new"
    assert api.seen.pop() == ("POST", "/v1/calendars", user, '{"profile_id":"pro_1","name":"Bookings"}')

    api.reply(202)
    api.reply(202)
    check(lib.calbridge_session_delete_all_events(session, None), "delete all")
    ids = (c_char_p * 2)(b"cal_1", b"cal_2")
    check(lib.calbridge_session_delete_events_in_calendars(session, ids, 2, None), "delete in calendars")
    assert api.seen[-2:] == [("DELETE", "/v1/events", user, '{"delete_all":true}'),
                             ("DELETE", "/v1/events", user, '{"calendar_ids":["cal_1","cal_2"]}')]  # fmt: skip

    rule = {"availability_rule_id": "r1", "tzid": "Etc/UTC",
            "weekly_periods": [{"day": "monday", "start_time": "09:00", "end_time": "17:00"}]}  # fmt: skip
    api.reply(200, {"availability_rule": rule})
    api.reply(200, {"availability_rules": [rule]})
    api.reply(200, {"availability_rule": rule})
    api.reply(202)
    check(lib.calbridge_session_upsert_availability_rule(byref(out), session, json.dumps(rule).encode(), None), "up")
    assert take(out) == rule
    check(lib.calbridge_session_availability_rules(byref(out), session, None), "rules")
    assert take(out) == [rule]
    check(lib.calbridge_session_availability_rule(byref(out), session, b"r1", None), "rule")
    assert take(out) == rule
    check(lib.calbridge_session_delete_availability_rule(session, b"r1", None), "delete rule")
    assert [s[:2] for s in api.seen[-4:]] == [("POST", "/v1/availability_rules"), ("GET", "/v1/availability_rules"),
                                              ("GET", "/v1/availability_rules/r1"),
                                              ("DELETE", "/v1/availability_rules/r1")]  # fmt: skip

    api.reply(202, {"permissions_request": {"url": "https://app.test/p/1"}})
    permissions = (Permission * 1)(Permission(b"cal_1", b"unrestricted"))
    check(lib.calbridge_session_request_elevated_permissions(byref(out), session, permissions, 1,
                                                             b"https://x.test/back", None), "permissions")
    assert take(out) == {"url": "https://app.test/p/1"}
    assert json.loads(api.seen.pop()[3]) == {
        "permissions": [{"calendar_id": "cal_1", "permission_level": "unrestricted"}],
        "redirect_uri": "https://x.test/back"}

    assert api.replies == []
    lib.calbridge_session_free(session)
    lib.calbridge_client_free(client)
    api.server.shutdown()
    print("ctypes scheduling: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
