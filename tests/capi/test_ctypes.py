#!/usr/bin/env python3
"""The FFI consumer: Python's ctypes (standard library only) loads the installed
libcalbridge.so and runs the Individual Connect flow against calbridge-sandbox, with a token
store and a log sink written in Python.

    test_ctypes.py /path/to/libcalbridge.so.0      (run through run_with_sandbox.py)

It knows the library only through calbridge.h, as any FFI user would: the structs below mirror
the header's.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import ssl
import sys
import threading
import urllib.parse
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char_p, c_int, c_int64, c_size_t, c_uint, c_uint64,
                    c_void_p)
from typing import Any

OK, DONE = 0, 1
EINVALID_ARGUMENT, EINVALID_GRANT, ENOT_FOUND, EVALIDATION = -1, -7, -11, -12
STORE_FOUND = STORE_SAVED = STORE_REMOVED = 0
STORE_NOT_FOUND, STORE_CONFLICT = 1, 2
REDIRECT_URI = b"http://localhost:8080/callback"
USER = "acc_sandbox_ada"


class Error(Structure):
    _fields_ = [("code", c_int), ("code_name", c_char_p), ("message", c_char_p), ("http_status", c_int),
                ("oauth_error", c_char_p), ("oauth_error_description", c_char_p), ("oauth_error_uri", c_char_p),
                ("retry_after_seconds", c_int64), ("field_errors_json", c_char_p)]


LOAD = CFUNCTYPE(c_int, c_void_p, c_char_p, c_void_p)
INSERT = CFUNCTYPE(c_int, POINTER(c_uint64), c_char_p, c_char_p, c_void_p)
SAVE = CFUNCTYPE(c_int, POINTER(c_uint64), c_char_p, c_char_p, c_uint64, c_void_p)
REPLACE = CFUNCTYPE(c_int, POINTER(c_uint64), c_char_p, c_char_p, c_void_p)
REMOVE = CFUNCTYPE(c_int, c_char_p, c_void_p)
FREE = CFUNCTYPE(None, c_void_p)
LOG = CFUNCTYPE(None, c_int, c_char_p, c_void_p)
REFRESH = CFUNCTYPE(c_int, c_void_p, c_void_p)
REAUTHORIZE = CFUNCTYPE(None, c_char_p, c_void_p)


# The structs as version 1 of calbridge.h declared them, initialised and passed as version 1:
# this consumer is also the proof that an application built against version 1 still works.
class TokenStoreCallbacks(Structure):
    _fields_ = [("version", c_uint), ("load", LOAD), ("insert", INSERT), ("save", SAVE), ("replace", REPLACE),
                ("remove", REMOVE), ("userdata", c_void_p), ("userdata_free", FREE)]


class ClientOptions(Structure):
    _fields_ = [("version", c_uint), ("data_center", c_char_p), ("api_url", c_char_p), ("app_url", c_char_p),
                ("redirect_uris", POINTER(c_char_p)), ("redirect_uri_count", c_size_t),
                ("allow_insecure_redirect_uris", c_int), ("connect_timeout_ms", c_uint),
                ("request_timeout_ms", c_uint), ("ca_file", c_char_p), ("ca_pem", c_char_p),
                ("leeway_seconds", c_int), ("user_agent", c_char_p), ("token_encoding", c_int),
                ("client_authentication", c_int), ("max_retries", c_int), ("initial_backoff_ms", c_uint),
                ("max_backoff_ms", c_uint), ("token_store", POINTER(TokenStoreCallbacks)),
                ("token_store_directory", c_char_p), ("log", LOG), ("log_level", c_int),
                ("log_userdata", c_void_p), ("log_userdata_free", FREE), ("on_refresh", REFRESH),
                ("on_refresh_userdata", c_void_p), ("on_refresh_userdata_free", FREE),
                ("on_reauthorization_required", REAUTHORIZE), ("on_reauthorization_required_userdata", c_void_p),
                ("on_reauthorization_required_userdata_free", FREE)]


class AuthorizationOptions(Structure):
    _fields_ = [("version", c_uint), ("state", c_char_p), ("pkce", c_int), ("avoid_linking", c_int),
                ("link_token", c_char_p), ("provider_name", c_char_p), ("delegated_scope", c_char_p)]


class EventsQuery(Structure):
    _fields_ = [("version", c_uint), ("tzid", c_char_p), ("from_", c_char_p), ("to", c_char_p),
                ("calendar_ids", POINTER(c_char_p)), ("calendar_id_count", c_size_t), ("last_modified", c_char_p),
                ("include_managed", c_int), ("only_managed", c_int), ("include_deleted", c_int),
                ("include_moved", c_int), ("localized_times", c_int)]


def load_library(path: str) -> ctypes.CDLL:
    lib = ctypes.CDLL(path)
    p = c_void_p
    sig: dict[str, tuple[Any, list[Any]]] = {
        "calbridge_version": (c_char_p, []),
        "calbridge_version_number": (c_uint, []),
        "calbridge_error_last": (POINTER(Error), []),
        "calbridge_error_code_name": (c_char_p, [c_int]),
        "calbridge_free": (None, [p]),
        "calbridge_client_options_init": (c_int, [POINTER(ClientOptions), c_uint]),
        "calbridge_authorization_options_init": (c_int, [POINTER(AuthorizationOptions), c_uint]),
        "calbridge_events_query_init": (c_int, [POINTER(EventsQuery), c_uint]),
        "calbridge_token_store_init": (c_int, [POINTER(TokenStoreCallbacks), c_uint]),
        "calbridge_store_entry_set": (c_int, [p, c_char_p, c_uint64]),
        "calbridge_client_new": (c_int, [POINTER(p), c_char_p, c_char_p, POINTER(ClientOptions)]),
        "calbridge_client_free": (None, [p]),
        "calbridge_client_forget_account": (c_int, [POINTER(c_int), p, c_char_p]),
        "calbridge_authorization_new": (c_int, [POINTER(p), p, c_char_p, c_char_p, POINTER(AuthorizationOptions)]),
        "calbridge_authorization_url": (c_char_p, [p]),
        "calbridge_authorization_state": (c_char_p, [p]),
        "calbridge_authorization_code_verifier": (c_char_p, [p]),
        "calbridge_authorization_free": (None, [p]),
        "calbridge_client_complete_authorization": (c_int, [POINTER(p), p, p, c_char_p, p]),
        "calbridge_client_revoke": (c_int, [p, p, p]),
        "calbridge_credentials_account_key": (c_char_p, [p]),
        "calbridge_credentials_access_token": (c_char_p, [p]),
        "calbridge_credentials_to_json": (c_int, [POINTER(p), p]),
        "calbridge_credentials_free": (None, [p]),
        "calbridge_session_new": (c_int, [POINTER(p), p, c_char_p]),
        "calbridge_session_credentials": (c_int, [POINTER(p), p, p]),
        "calbridge_session_calendars": (c_int, [POINTER(p), p, p]),
        "calbridge_session_account": (c_int, [POINTER(p), p, p]),
        "calbridge_session_events": (c_int, [POINTER(p), p, POINTER(EventsQuery), p]),
        "calbridge_session_upsert_event": (c_int, [p, c_char_p, c_char_p, p]),
        "calbridge_session_request": (c_int, [POINTER(p), p, c_char_p, c_char_p, p, c_size_t, c_char_p, p]),
        "calbridge_session_free": (None, [p]),
        "calbridge_pages_next": (c_int, [POINTER(p), p]),
        "calbridge_pages_position": (c_int, [POINTER(c_int), POINTER(c_int), p]),
        "calbridge_pages_free": (None, [p]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


class Sandbox:
    """The admin API, over http.client."""

    def __init__(self) -> None:
        self.api_url = os.environ["CALBRIDGE_SANDBOX_API_URL"]
        self.app_url = os.environ["CALBRIDGE_SANDBOX_APP_URL"]
        self.ca_file = os.environ["CALBRIDGE_SANDBOX_CA_FILE"]
        self.client_id = os.environ["CALBRIDGE_SANDBOX_CLIENT_ID"]
        self.client_secret = os.environ["CALBRIDGE_SANDBOX_CLIENT_SECRET"]
        self.admin_token = os.environ["CALBRIDGE_SANDBOX_ADMIN_TOKEN"]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        url = urllib.parse.urlsplit(self.api_url)
        conn = http.client.HTTPSConnection(url.hostname or "127.0.0.1", url.port,
                                           context=ssl.create_default_context(cafile=self.ca_file), timeout=30)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Authorization": f"Bearer {self.admin_token}", "Content-Type": "application/json"})
            reply = conn.getresponse()
            data = reply.read()
            assert 200 <= reply.status < 300, f"{method} {path}: {reply.status} {data!r}"
            return json.loads(data) if data else None
        finally:
            conn.close()


class PythonStore:
    """A token store in Python: a dict under a lock, versions per account."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[str, int]] = {}
        self.calls: dict[str, int] = {"load": 0, "insert": 0, "save": 0, "replace": 0, "remove": 0}
        self.freed = 0
        # The CFUNCTYPE objects must outlive every call calbridge makes through them.
        self.callbacks = TokenStoreCallbacks()
        assert lib.calbridge_token_store_init(byref(self.callbacks), 1) == OK
        self.callbacks.load = LOAD(self.load)
        self.callbacks.insert = INSERT(self.insert)
        self.callbacks.save = SAVE(self.save)
        self.callbacks.replace = REPLACE(self.replace)
        self.callbacks.remove = REMOVE(self.remove)
        self.callbacks.userdata_free = FREE(self.free)

    def load(self, entry: int, account: bytes, _userdata: int) -> int:
        with self.lock:
            self.calls["load"] += 1
            found = self.entries.get(account.decode())
            if found is None:
                return STORE_NOT_FOUND
            return STORE_FOUND if self.lib.calbridge_store_entry_set(entry, found[0].encode(), found[1]) == OK else -23

    def insert(self, out_version: Any, account: bytes, json_text: bytes, _userdata: int) -> int:
        with self.lock:
            self.calls["insert"] += 1
            if account.decode() in self.entries:
                return STORE_CONFLICT
            self.entries[account.decode()] = (json_text.decode(), 1)
            out_version[0] = 1
            return STORE_SAVED

    def save(self, out_version: Any, account: bytes, json_text: bytes, expected: int, _userdata: int) -> int:
        with self.lock:
            self.calls["save"] += 1
            current = self.entries.get(account.decode())
            if current is None or current[1] != expected:
                return STORE_CONFLICT
            self.entries[account.decode()] = (json_text.decode(), expected + 1)
            out_version[0] = expected + 1
            return STORE_SAVED

    def replace(self, out_version: Any, account: bytes, json_text: bytes, _userdata: int) -> int:
        with self.lock:
            self.calls["replace"] += 1
            version = self.entries.get(account.decode(), ("", 0))[1] + 1
            self.entries[account.decode()] = (json_text.decode(), version)
            out_version[0] = version
            return STORE_SAVED

    def remove(self, account: bytes, _userdata: int) -> int:
        with self.lock:
            self.calls["remove"] += 1
            return STORE_REMOVED if self.entries.pop(account.decode(), None) is not None else STORE_NOT_FOUND

    def free(self, _userdata: int) -> None:
        self.freed += 1


class Library:
    """Small helpers over the raw functions."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib

    def last_error(self) -> Error:
        return self.lib.calbridge_error_last().contents

    def check(self, rc: int, what: str) -> None:
        if rc != OK:
            e = self.last_error()
            raise AssertionError(f"{what}: {rc} {e.code_name.decode()}: {e.message.decode()}")

    def take_string(self, pointer: c_void_p) -> str:
        """A string calbridge returned: copied, then freed with calbridge_free."""
        assert pointer.value is not None
        try:
            return ctypes.string_at(pointer.value).decode()
        finally:
            self.lib.calbridge_free(pointer)

    def json_call(self, fn: Any, *args: Any) -> Any:
        out = c_void_p()
        self.check(fn(byref(out), *args), fn.__name__)
        return json.loads(self.take_string(out))


def main() -> int:
    lib = load_library(sys.argv[1])
    c = Library(lib)
    sb = Sandbox()
    sb.admin("POST", "/admin/reset")
    sb.admin("PATCH", "/admin/settings", {"page_size": 5})

    assert lib.calbridge_version() == b"0.1.0" and lib.calbridge_version_number() == 100
    assert lib.calbridge_error_code_name(EINVALID_GRANT) == b"invalid_grant"

    # NULL arguments are a status, not a crash, from Python too.
    assert lib.calbridge_client_new(None, None, None, None) == EINVALID_ARGUMENT
    assert b"out is NULL" in c.last_error().message

    store = PythonStore(lib)
    log_lines: list[tuple[int, str]] = []
    log_cb = LOG(lambda level, message, _u: log_lines.append((level, message.decode())))
    reauthorized: list[str] = []
    reauth_cb = REAUTHORIZE(lambda account, _u: reauthorized.append(account.decode()))

    options = ClientOptions()
    c.check(lib.calbridge_client_options_init(byref(options), 1), "client_options_init")
    options.api_url = sb.api_url.encode()
    options.app_url = sb.app_url.encode()
    options.ca_file = sb.ca_file.encode()
    options.token_store = ctypes.pointer(store.callbacks)
    options.log = log_cb
    options.log_level = 1  # CALBRIDGE_LOG_TRACE
    options.on_reauthorization_required = reauth_cb
    client = c_void_p()
    c.check(lib.calbridge_client_new(byref(client), sb.client_id.encode(), sb.client_secret.encode(), byref(options)),
            "client_new")

    # The link, the consent (headless), the redirect back.
    auth_options = AuthorizationOptions()
    c.check(lib.calbridge_authorization_options_init(byref(auth_options), 1), "authorization_options_init")
    auth_options.pkce = 1
    authorization = c_void_p()
    c.check(lib.calbridge_authorization_new(byref(authorization), client, REDIRECT_URI,
                                            b"read_account list_calendars read_events create_event", byref(auth_options)),
            "authorization_new")
    url = lib.calbridge_authorization_url(authorization).decode()
    assert url.startswith(sb.app_url + "/oauth/authorize?") and "code_challenge=" in url
    assert lib.calbridge_authorization_code_verifier(authorization) is not None
    redirect = sb.admin("POST", "/admin/consent", {"url": url, "user": USER, "decision": "approve"})["redirect"]
    credentials = c_void_p()
    c.check(lib.calbridge_client_complete_authorization(byref(credentials), client, authorization, redirect.encode(),
                                                        None), "complete_authorization")
    lib.calbridge_authorization_free(authorization)
    account = lib.calbridge_credentials_account_key(credentials).decode()
    first_token = lib.calbridge_credentials_access_token(credentials).decode()
    assert account == USER, account
    assert store.calls["replace"] == 1 and store.entries[account][1] == 1

    # A session: credentials from the Python store; the calendar API as JSON.
    session = c_void_p()
    c.check(lib.calbridge_session_new(byref(session), client, account.encode()), "session_new")
    calendars = c.json_call(lib.calbridge_session_calendars, session, None)
    assert any(cal["calendar_id"] == "cal_sandbox_primary" for cal in calendars), calendars
    assert c.json_call(lib.calbridge_session_account, session, None)["account_id"] == USER

    query = EventsQuery()
    c.check(lib.calbridge_events_query_init(byref(query), 1), "events_query_init")
    pages = c_void_p()
    c.check(lib.calbridge_session_events(byref(pages), session, byref(query), None), "session_events")
    page_count, events = 0, 0
    page = c_void_p()
    while (rc := lib.calbridge_pages_next(byref(page), pages)) == OK:
        page_count += 1
        events += len(json.loads(c.take_string(page)))
    assert rc == DONE, c.last_error().message
    current, total = c_int(), c_int()
    c.check(lib.calbridge_pages_position(byref(current), byref(total), pages), "pages_position")
    lib.calbridge_pages_free(pages)
    assert page_count >= 2 and current.value == total.value == page_count and events > 5, (page_count, events)

    # Errors carry their details.
    out = c_void_p()
    assert lib.calbridge_session_request(byref(out), session, b"GET", b"/v1/nothing_here", None, 0, None, None) == ENOT_FOUND
    assert c.last_error().http_status == 404 and out.value is None
    assert lib.calbridge_session_upsert_event(session, b"cal_sandbox_primary", b'{"event_id": "py-1"}', None) == EVALIDATION
    fields = json.loads(c.last_error().field_errors_json)
    assert any(f["field"] == "summary" and f["key"] == "errors.required" for f in fields), fields

    # An expired access token: refreshed once, written to the Python store first.
    sb.admin("POST", "/admin/tokens/expire", {"account_id": account})
    c.json_call(lib.calbridge_session_calendars, session, None)
    assert store.calls["save"] == 1 and store.entries[account][1] == 2
    fresh = c_void_p()
    c.check(lib.calbridge_session_credentials(byref(fresh), session, None), "session_credentials")
    second_token = lib.calbridge_credentials_access_token(fresh).decode()
    assert second_token != first_token

    # Revoke: the grant is gone, the session says reauthorization required.
    c.check(lib.calbridge_client_revoke(client, fresh, None), "revoke")
    assert lib.calbridge_session_calendars(byref(out), session, None) == EINVALID_GRANT
    assert reauthorized == [account]
    removed = c_int()
    c.check(lib.calbridge_client_forget_account(byref(removed), client, account.encode()), "forget_account")
    assert removed.value == 1 and account not in store.entries

    lib.calbridge_credentials_free(fresh)
    lib.calbridge_credentials_free(credentials)
    lib.calbridge_session_free(session)
    lib.calbridge_client_free(client)
    assert store.freed == 1, "the store's userdata destructor runs once, when the client and session are gone"
    logged = "\n".join(message for _, message in log_lines)
    assert log_lines and first_token not in logged and second_token not in logged
    print(f"ctypes: flow passed ({page_count} pages, {events} events, {len(log_lines)} log lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
