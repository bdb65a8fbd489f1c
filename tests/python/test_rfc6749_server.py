"""calbridge against a plain RFC 6749 server it did not write: oauthlib's WebApplicationServer
on loopback HTTPS (tests/support/rfc6749_server.py). Its token replies name no account, so
the application gives the key; its token endpoint takes form bodies only, rotates refresh
tokens, and authenticates the client in the body or with HTTP Basic; revocation is RFC 7009."""

from __future__ import annotations

import http.client
import os
import ssl
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

import calbridge

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from rfc6749_server import Rfc6749Server  # noqa: E402

from helpers import printed_authorization_url  # noqa: E402

CLIENT_ID = "rfc6749-app"
# Spaces, and characters that form-decoding changes ('+', '%', ':'): a secret sent without
# RFC 6749 §2.3.1's encoding is refused.
SECRET = "a secret+with %25 odd:chars"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Rfc6749Server]:
    with Rfc6749Server(tmp_path / "certs", client_id=CLIENT_ID, client_secret=SECRET) as s:
        yield s


def make_client(
    server: Rfc6749Server,
    *,
    authentication: Literal["request_body", "http_basic"] = "request_body",
    encoding: Literal["form", "json"] = "form",
    secret: str = SECRET,
) -> calbridge.Client:
    return calbridge.Client(
        CLIENT_ID,
        secret,
        api_url=server.url,
        app_url=server.url,
        ca_file=server.ca_file,
        token_encoding=encoding,
        client_authentication=authentication,
        timeout=20,
    )


def approve(server: Rfc6749Server, url: str, *, redirect_prefix: str = REDIRECT_URI + "?") -> str:
    """GETs the authorization URL like a browser whose user approves; returns where the server
    redirects to (not followed: nothing listens on the redirect URI)."""
    parsed = urllib.parse.urlsplit(url)
    assert f"{parsed.scheme}://{parsed.netloc}" == server.url
    context = ssl.create_default_context(cafile=str(server.ca_file))
    connection = http.client.HTTPSConnection(parsed.hostname or "", parsed.port, context=context, timeout=20)
    try:
        connection.request("GET", f"{parsed.path}?{parsed.query}")
        response = connection.getresponse()
        response.read()
        assert response.status == 302, response.status
        location = response.getheader("Location") or ""
    finally:
        connection.close()
    assert location.startswith(redirect_prefix), location
    return location


def authorize(server: Rfc6749Server, client: calbridge.Client, *, pkce: bool = True) -> tuple[str, calbridge.AuthorizationRequest]:
    auth = client.authorization_url(REDIRECT_URI, "profile email", pkce=pkce)
    return approve(server, auth.url), auth


@pytest.mark.parametrize("authentication", ["request_body", "http_basic"])
def test_the_whole_grant_against_an_rfc6749_server(
    server: Rfc6749Server, authentication: Literal["request_body", "http_basic"]
) -> None:
    client = make_client(server, authentication=authentication)
    callback, auth = authorize(server, client)
    credentials = client.complete_authorization(callback, auth, account="user-42")
    # The reply named no account: the application's key is the account, and the store's key.
    assert credentials.account_key == "user-42" and credentials.account_id == "user-42"
    assert credentials.sub == ""
    loaded = client.store.load("user-42")
    assert loaded is not None and loaded[0].refresh_token == credentials.refresh_token
    expected = "client_secret_post" if authentication == "request_body" else "client_secret_basic"
    assert server.authentications == [expected] and server.failed_authentications == 0

    # The access token works on the server's own resource.
    session = client.session("user-42")
    assert session.request("GET", "/api/me") == {"user": "user-42"}

    # The server ends the access token early: one 401, exactly one refresh, rotation.
    first_refresh = credentials.refresh_token
    server.expire_access_tokens()
    assert session.request("GET", "/api/me") == {"user": "user-42"}
    assert server.resource_calls == [200, 401, 200]
    assert server.refreshes == 1 and server.token_requests == ["authorization_code", "refresh_token"]
    assert server.rotated == [first_refresh]
    stored = client.store.load("user-42")
    assert stored is not None
    assert stored[0].refresh_token == server.current_refresh_token() != first_refresh
    assert stored[0].account_key == "user-42"
    # The rotated-away refresh token is dead on the server.
    with pytest.raises(calbridge.InvalidGrantError):
        client.refresh(credentials)

    # RFC 7009: revoking the grant (with its current refresh token) ends it; then the calls fail.
    client.revoke(stored[0])
    assert server.unknown_revocations == 0 and len(server.revocations) == 1
    assert server.current_refresh_token() is None  # the server's only grant is revoked
    with pytest.raises(calbridge.InvalidGrantError):
        session.request("GET", "/api/me")
    # A token the server does not know: 200 all the same (RFC 7009 §2.2).
    client.revoke(stored[0])
    assert server.unknown_revocations == 1
    assert all(m == expected for m in server.authentications)
    assert server.failed_authentications == 0


def test_without_an_account_the_completion_is_a_protocol_error_that_shows_no_token(server: Rfc6749Server) -> None:
    client = make_client(server)
    callback, auth = authorize(server, client)
    with pytest.raises(calbridge.ProtocolError) as raised:
        client.complete_authorization(callback, auth)
    assert server.token_requests == ["authorization_code"] and len(server.issued) == 2
    text = f"{raised.value}\n{raised.value!r}"
    assert "names no account" in text
    for token in server.issued:
        assert token not in text
    assert client.store.load("user-42") is None


def test_exchange_code_takes_the_account_and_leaves_the_store_alone(server: Rfc6749Server) -> None:
    client = make_client(server)
    callback, auth = authorize(server, client, pkce=False)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    credentials = client.exchange_code(code, REDIRECT_URI, account="user-42")
    assert credentials.account_key == "user-42"
    assert client.store.load("user-42") is None
    # Without the key the credentials simply have none.
    callback, auth = authorize(server, client, pkce=False)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    assert client.exchange_code(code, REDIRECT_URI).account_key == ""


@pytest.mark.parametrize("account", ["user 42", "x" * 256, "tab\there", "nl\n"])
def test_an_invalid_account_key_is_refused_before_anything_is_sent(server: Rfc6749Server, account: str) -> None:
    client = make_client(server)
    callback, auth = authorize(server, client)
    with pytest.raises(calbridge.InvalidArgumentError):
        client.complete_authorization(callback, auth, account=account)
    assert server.token_requests == []


def test_a_token_type_other_than_bearer_is_a_protocol_error(server: Rfc6749Server) -> None:
    client = make_client(server)
    server.token_type = "mac"
    callback, auth = authorize(server, client)
    with pytest.raises(calbridge.ProtocolError) as raised:
        client.complete_authorization(callback, auth, account="user-42")
    assert '"mac"' in str(raised.value)
    for token in server.issued:
        assert token not in str(raised.value)
    assert client.store.load("user-42") is None
    # The type is case-insensitive (RFC 6749 §5.1).
    server.token_type = "BEARER"
    callback, auth = authorize(server, client)
    assert client.complete_authorization(callback, auth, account="user-42").account_key == "user-42"


def test_the_server_takes_form_bodies_only(server: Rfc6749Server) -> None:
    client = make_client(server, encoding="json")
    callback, auth = authorize(server, client)
    with pytest.raises(calbridge.BadRequestError) as raised:
        client.complete_authorization(callback, auth, account="user-42")
    assert raised.value.oauth_error == "invalid_request"
    assert server.json_bodies_refused == 1 and server.token_requests == []


@pytest.mark.parametrize("authentication", ["request_body", "http_basic"])
def test_a_wrong_secret_is_an_invalid_client_error(
    server: Rfc6749Server, authentication: Literal["request_body", "http_basic"]
) -> None:
    wrong = SECRET.replace("+", " ")  # what a server that skipped form-decoding would compare
    client = make_client(server, authentication=authentication, secret=wrong)
    callback, auth = authorize(server, client)
    with pytest.raises(calbridge.InvalidClientError) as raised:
        client.complete_authorization(callback, auth, account="user-42")
    assert server.failed_authentications == 1
    assert wrong not in str(raised.value) and SECRET not in str(raised.value)


def test_the_cli_connects_an_account_of_an_rfc6749_server_under_its_account_option(
    server: Rfc6749Server, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALBRIDGE_")}
    env["CALBRIDGE_CLIENT_SECRET"] = SECRET

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "calbridge", "--home", str(home), *args],
                              capture_output=True, text=True, timeout=120, env=env)  # fmt: skip

    child = subprocess.Popen(
        [sys.executable, "-m", "calbridge", "--home", str(home), "connect", "--client-id", CLIENT_ID,
         "--api-url", server.url, "--app-url", server.url, "--ca-file", str(server.ca_file),
         "--scope", "profile", "--account", "user-42", "--no-browser", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    watchdog = threading.Timer(90, child.kill)
    watchdog.start()
    try:
        url = printed_authorization_url(child, server.url + "/oauth/authorize?")
        redirect = approve(server, url, redirect_prefix="http://127.0.0.1:")
        with urllib.request.urlopen(redirect, timeout=30) as response:
            assert b"Connected" in response.read()
        out, err = child.communicate(timeout=60)
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, out + err
    assert "Connected: account user-42" in out
    for token in server.issued:
        assert token not in out + err

    accounts = cli("accounts")
    assert accounts.returncode == 0 and accounts.stdout.startswith("user-42: "), accounts.stderr
    refreshed = cli("refresh")
    assert refreshed.returncode == 0 and refreshed.stdout.startswith("Refreshed: account user-42"), refreshed.stderr
    assert server.refreshes == 1 and len(server.rotated) == 1
    revoked = cli("revoke")
    assert revoked.returncode == 0, revoked.stderr
    assert len(server.revocations) == 1 and server.unknown_revocations == 0
    assert server.current_refresh_token() is None
