#!/usr/bin/env python3
"""The C API's account-key functions, driven through ctypes against a plain RFC 6749 server
this project did not write (oauthlib, tests/support/rfc6749_server.py, on loopback HTTPS):
its token replies name no account, so the application gives the key.

- calbridge_client_complete_authorization_for_account: stored under the key, a session on it
  works, and a forced 401 is refreshed with the rotated refresh token (HTTP Basic, a secret
  with spaces); NULL account: CALBRIDGE_EPROTOCOL, no token in the error record, nothing
  stored;
- ..._with_state_for_account and calbridge_client_exchange_code_for_account likewise;
- an invalid key: CALBRIDGE_EINVALID_ARGUMENT before anything is sent.

    test_ctypes_rfc6749.py /path/to/libcalbridge.so
"""

from __future__ import annotations

import ctypes
import http.client
import ssl
import sys
import tempfile
import urllib.parse
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_void_p
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from rfc6749_server import Rfc6749Server  # noqa: E402
from test_ctypes import AuthorizationOptions, ClientOptions, Error  # noqa: E402  (the header's structs)

OK, EINVALID_ARGUMENT, EPROTOCOL = 0, -1, -22
CLIENT_AUTH_HTTP_BASIC = 1
CLIENT_ID = "rfc6749-c-app"
SECRET = "c secret+with %25 spaces"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def load(path: str) -> ctypes.CDLL:
    lib = ctypes.CDLL(path)
    p = c_void_p
    sig: dict[str, tuple[Any, list[Any]]] = {
        "calbridge_error_last": (POINTER(Error), []),
        "calbridge_error_code_name": (c_char_p, [c_int]),
        "calbridge_free": (None, [p]),
        "calbridge_client_options_init": (c_int, [POINTER(ClientOptions), ctypes.c_uint]),
        "calbridge_authorization_options_init": (c_int, [POINTER(AuthorizationOptions), ctypes.c_uint]),
        "calbridge_client_new": (c_int, [POINTER(p), c_char_p, c_char_p, POINTER(ClientOptions)]),
        "calbridge_client_free": (None, [p]),
        "calbridge_authorization_new": (c_int, [POINTER(p), p, c_char_p, c_char_p, POINTER(AuthorizationOptions)]),
        "calbridge_authorization_url": (c_char_p, [p]),
        "calbridge_authorization_state": (c_char_p, [p]),
        "calbridge_authorization_code_verifier": (c_char_p, [p]),
        "calbridge_authorization_free": (None, [p]),
        "calbridge_client_complete_authorization_for_account": (c_int, [POINTER(p), p, p, c_char_p, c_char_p, p]),
        "calbridge_client_complete_authorization_with_state_for_account": (
            c_int, [POINTER(p), p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, p]),
        "calbridge_client_exchange_code_for_account": (c_int, [POINTER(p), p, c_char_p, c_char_p, c_char_p, c_char_p, p]),
        "calbridge_credentials_account_key": (c_char_p, [p]),
        "calbridge_credentials_account_id": (c_char_p, [p]),
        "calbridge_credentials_free": (None, [p]),
        "calbridge_session_new": (c_int, [POINTER(p), p, c_char_p]),
        "calbridge_session_request": (c_int, [POINTER(p), p, c_char_p, c_char_p, p, c_size_t, c_char_p, p]),
        "calbridge_session_free": (None, [p]),
    }  # fmt: skip
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


class Api:
    def __init__(self, lib: ctypes.CDLL, server: Rfc6749Server) -> None:
        self.lib, self.server = lib, server

    def check(self, rc: int, what: str) -> None:
        if rc != OK:
            e = self.lib.calbridge_error_last().contents
            raise AssertionError(f"{what}: {rc} {e.code_name.decode()}: {e.message.decode()}")

    def last_error_text(self) -> str:
        e = self.lib.calbridge_error_last().contents
        return " ".join((v or b"").decode() for v in (e.message, e.oauth_error, e.oauth_error_description))

    def client(self) -> c_void_p:
        options = ClientOptions()
        self.check(self.lib.calbridge_client_options_init(byref(options), 1), "client_options_init")
        url = self.server.url.encode()
        options.api_url = options.app_url = url
        options.ca_file = str(self.server.ca_file).encode()
        options.client_authentication = CLIENT_AUTH_HTTP_BASIC
        client = c_void_p()
        self.check(self.lib.calbridge_client_new(byref(client), CLIENT_ID.encode(), SECRET.encode(), byref(options)),
                   "client_new")  # fmt: skip
        return client

    def authorization(self, client: c_void_p) -> tuple[c_void_p, str]:
        """A PKCE authorization request, and the redirect back the server gives after approval."""
        options = AuthorizationOptions()
        self.check(self.lib.calbridge_authorization_options_init(byref(options), 1), "authorization_options_init")
        options.pkce = 1
        auth = c_void_p()
        self.check(self.lib.calbridge_authorization_new(byref(auth), client, REDIRECT_URI.encode(), b"profile",
                                                        byref(options)), "authorization_new")  # fmt: skip
        url = urllib.parse.urlsplit(self.lib.calbridge_authorization_url(auth).decode())
        context = ssl.create_default_context(cafile=str(self.server.ca_file))
        connection = http.client.HTTPSConnection(url.hostname or "", url.port, context=context, timeout=20)
        try:
            connection.request("GET", f"{url.path}?{url.query}")
            response = connection.getresponse()
            response.read()
            assert response.status == 302, response.status
            location = response.getheader("Location") or ""
        finally:
            connection.close()
        assert location.startswith(REDIRECT_URI + "?"), location
        return auth, location


def main() -> int:
    lib = load(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="calbridge-rfc6749-") as directory, Rfc6749Server(
        Path(directory), client_id=CLIENT_ID, client_secret=SECRET
    ) as server:
        api = Api(lib, server)
        client = api.client()
        credentials, session, body = c_void_p(), c_void_p(), c_void_p()

        # NULL account, and a reply that names none: CALBRIDGE_EPROTOCOL, no token in the record.
        auth, callback = api.authorization(client)
        rc = lib.calbridge_client_complete_authorization_for_account(byref(credentials), client, auth,
                                                                     callback.encode(), None, None)  # fmt: skip
        assert rc == EPROTOCOL and not credentials, (rc, api.last_error_text())
        text = api.last_error_text()
        assert "names no account" in text, text
        assert server.issued and not any(token in text for token in server.issued)
        assert lib.calbridge_session_new(byref(session), client, b"user-42") == OK
        assert lib.calbridge_session_request(byref(body), session, b"GET", b"/api/me", None, 0, None, None) != OK
        assert server.resource_calls == [], "nothing was stored, so nothing was sent"
        lib.calbridge_session_free(session)
        lib.calbridge_authorization_free(auth)

        # An invalid key: refused before the code is sent.
        auth, callback = api.authorization(client)
        before = len(server.token_requests)
        for bad in (b"user 42", b"x" * 256, b"tab\there"):
            rc = lib.calbridge_client_complete_authorization_for_account(byref(credentials), client, auth,
                                                                         callback.encode(), bad, None)  # fmt: skip
            assert rc == EINVALID_ARGUMENT and not credentials, rc
        assert len(server.token_requests) == before

        # The same code with a valid key: stored under it; a session on it works and refreshes.
        api.check(lib.calbridge_client_complete_authorization_for_account(byref(credentials), client, auth,
                                                                          callback.encode(), b"user-42", None),
                  "complete_authorization_for_account")  # fmt: skip
        assert lib.calbridge_credentials_account_key(credentials) == b"user-42"
        assert lib.calbridge_credentials_account_id(credentials) == b"user-42"
        lib.calbridge_credentials_free(credentials)
        lib.calbridge_authorization_free(auth)
        api.check(lib.calbridge_session_new(byref(session), client, b"user-42"), "session_new")
        api.check(lib.calbridge_session_request(byref(body), session, b"GET", b"/api/me", None, 0, None, None),
                  "session_request")  # fmt: skip
        assert ctypes.string_at(body) == b'{"user": "user-42"}'
        lib.calbridge_free(body)
        server.expire_access_tokens()
        api.check(lib.calbridge_session_request(byref(body), session, b"GET", b"/api/me", None, 0, None, None),
                  "session_request after the 401")  # fmt: skip
        lib.calbridge_free(body)
        assert server.resource_calls == [200, 401, 200] and server.refreshes == 1 and len(server.rotated) == 1
        assert set(server.authentications) == {"client_secret_basic"} and server.failed_authentications == 0
        lib.calbridge_session_free(session)

        # ..._with_state_for_account: the request's parts kept by the application.
        auth, callback = api.authorization(client)
        api.check(lib.calbridge_client_complete_authorization_with_state_for_account(
            byref(credentials), client, callback.encode(), lib.calbridge_authorization_state(auth),
            REDIRECT_URI.encode(), lib.calbridge_authorization_code_verifier(auth), b"user-43", None),
            "complete_authorization_with_state_for_account")  # fmt: skip
        assert lib.calbridge_credentials_account_key(credentials) == b"user-43"
        lib.calbridge_credentials_free(credentials)
        lib.calbridge_authorization_free(auth)

        # exchange_code_for_account: the key, or none (not an error here).
        for account, want in ((b"user-44", b"user-44"), (None, b"")):
            auth, callback = api.authorization(client)
            code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
            api.check(lib.calbridge_client_exchange_code_for_account(
                byref(credentials), client, code.encode(), REDIRECT_URI.encode(),
                lib.calbridge_authorization_code_verifier(auth), account, None), "exchange_code_for_account")  # fmt: skip
            assert lib.calbridge_credentials_account_key(credentials) == want
            lib.calbridge_credentials_free(credentials)
            lib.calbridge_authorization_free(auth)

        lib.calbridge_client_free(client)
    print("ctypes: the account-key functions passed against an RFC 6749 server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
