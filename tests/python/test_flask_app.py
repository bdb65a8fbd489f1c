"""examples/python/flask_app.py as two real worker processes behind one public URL, driven over
HTTP by urllib (the browser), with the sandbox approving. The test is the load balancer: it
sends each request to the worker it chooses, so the link is made in one process and the
redirect back completes in the other."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from calbridge.sandbox import Sandbox

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "flask_app.py"
# What users see; nothing listens there: the test routes each request to a worker itself.
PUBLIC_URL = "http://127.0.0.1:8080"
FLASK_SECRET_KEY = "flask-session-key-for-the-test-0123456789"
STATE_KEY = "state-signing-key-for-the-test-0123456789"


@dataclass
class Worker:
    url: str
    process: subprocess.Popen[bytes]
    output: Path


def _start_worker(tmp_path: Path, name: str, env: dict[str, str]) -> Worker:
    ready = tmp_path / f"{name}.json"
    output = tmp_path / f"{name}.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--port", "0", "--ready-file", str(ready)],
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while not ready.exists():  # the worker writes it once it listens
        if process.poll() is not None:
            raise AssertionError(f"worker {name} exited: {output.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"worker {name} did not start: {output.read_text()}")
        time.sleep(0.01)
    return Worker(json.loads(ready.read_text())["url"], process, output)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "app.db"


@pytest.fixture
def workers(calbridge_sandbox: Sandbox, tmp_path: Path, database: Path) -> Iterator[tuple[Worker, Worker]]:
    env = {
        **os.environ,
        "FLASK_SECRET_KEY": FLASK_SECRET_KEY,
        "CALBRIDGE_STATE_KEY": STATE_KEY,
        "CALBRIDGE_CLIENT_ID": calbridge_sandbox.client_id,
        "CALBRIDGE_CLIENT_SECRET": calbridge_sandbox.client_secret,
        "CALBRIDGE_API_URL": calbridge_sandbox.api_url,
        "CALBRIDGE_APP_URL": calbridge_sandbox.app_url,
        "CALBRIDGE_CA_FILE": calbridge_sandbox.ca_file or "",
        "CALBRIDGE_DATABASE": str(database),
        "CALBRIDGE_PUBLIC_URL": PUBLIC_URL,
    }
    started: list[Worker] = []
    try:
        started.append(_start_worker(tmp_path, "a", env))
        started.append(_start_worker(tmp_path, "b", env))
        yield started[0], started[1]
    finally:
        for worker in started:
            worker.process.terminate()
            worker.process.wait(timeout=30)
    # Nothing secret in what the workers printed.
    printed = "".join(w.output.read_text() for w in started)
    assert STATE_KEY not in printed and FLASK_SECRET_KEY not in printed
    assert calbridge_sandbox.client_secret not in printed and "code=" not in printed


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # let the test see each 302


class Browser:
    """One browser: its cookie jar (cookies for 127.0.0.1 go to every port, as they should)."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def get(self, worker: Worker, url: str) -> tuple[int, str, str]:
        """GET a public URL (or a path) through `worker`."""
        if url.startswith(PUBLIC_URL):
            url = url[len(PUBLIC_URL) :]
        try:
            with self.opener.open(worker.url + url, timeout=30) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.headers.get("Location", ""), e.read().decode()

    def session(self) -> dict[str, object]:
        """The Flask session cookie, decoded with the app's key: what the browser holds."""
        app = Flask("reader")
        app.secret_key = FLASK_SECRET_KEY
        serializer = SecureCookieSessionInterface().get_signing_serializer(app)
        assert serializer is not None
        (cookie,) = [c for c in self.jar if c.name == "session"]
        assert cookie.value is not None
        data = serializer.loads(cookie.value)
        assert isinstance(data, dict)
        return data


def _pending(database: Path) -> dict[str, dict[str, object]]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT state, request FROM pending_authorizations").fetchall()
    return {state: json.loads(text) for state, text in rows}


def _connect(browser: Browser, worker: Worker, sandbox: Sandbox) -> str:
    status, authorization_url, _ = browser.get(worker, "/connect")
    assert status == 302 and authorization_url.startswith(sandbox.app_url + "/oauth/authorize?")
    return authorization_url


def _state_of(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]


def test_a_link_made_by_one_worker_completes_in_the_other(
    workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox, database: Path
) -> None:
    a, b = workers
    browser = Browser()
    status, _, page = browser.get(a, "/")
    assert status == 200 and 'href="/connect"' in page

    authorization_url = _connect(browser, a, calbridge_sandbox)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorization_url).query)
    assert query["redirect_uri"] == [PUBLIC_URL + "/callback"] and query["code_challenge_method"] == ["S256"]
    state = query["state"][0]
    # The pending request is server-side, verifier included; the browser holds only its session id.
    pending = _pending(database)
    assert list(pending) == [state]
    verifier = pending[state]["secret"]
    assert isinstance(verifier, dict) and isinstance(verifier["code_verifier"], str)
    assert set(browser.session()) == {"sid"}
    assert all(verifier["code_verifier"] not in (c.value or "") for c in browser.jar)

    # The user approves; the redirect back lands on the other worker.
    callback = calbridge_sandbox.consent(authorization_url)
    assert callback.startswith(PUBLIC_URL + "/callback?")
    status, location, page = browser.get(b, callback)
    assert (status, location) == (302, "/"), page
    assert _pending(database) == {}  # used once

    # Both workers see the credentials (the shared SqliteStore) and call the calendar API.
    for worker in (a, b):
        status, _, page = browser.get(worker, "/")
        assert status == 200
        assert "Connected as Ada Lovelace &lt;ada@example.com&gt;" in page
        assert "Holidays (google)" in page and "<h2>Next events</h2><ul><li>" in page

    # The same redirect back again, on either worker: the pending request is gone.
    status, _, page = browser.get(a, callback)
    assert status == 400 and "used already, or it expired" in page

    status, location, _ = browser.get(a, "/disconnect")
    assert (status, location) == (302, "/")
    assert [g["revoked"] for g in calbridge_sandbox.grants()] == [True]


def test_a_redirect_back_in_another_browser_is_refused_and_leaves_the_request(
    workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox, database: Path
) -> None:
    # Login CSRF: an attacker's link, approved by the attacker, delivered to the victim.
    a, b = workers
    attacker, victim = Browser(), Browser()
    callback = calbridge_sandbox.consent(_connect(attacker, a, calbridge_sandbox))
    victim.get(b, "/")  # the victim has a session of their own
    status, _, page = victim.get(b, callback)
    assert status == 400 and "StateMismatchError" in page and "another binding" in page
    assert list(_pending(database)) == [_state_of(callback)]  # not used up by the refusal

    # Without any session at all.
    status, _, page = Browser().get(a, callback)
    assert status == 400 and "No connection was started in this browser" in page

    # The browser that made the link still completes it.
    status, location, _ = attacker.get(b, callback)
    assert (status, location) == (302, "/")


def test_an_altered_or_foreign_state_is_refused(
    workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox, database: Path
) -> None:
    a, b = workers
    browser = Browser()
    callback = calbridge_sandbox.consent(_connect(browser, a, calbridge_sandbox))
    state = _state_of(callback)
    payload, mac = state.split(".")
    for forged, message in (
        (payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac, "signature does not match"),
        ("0123456789abcdef0123456789abcdef", "state is malformed"),
    ):
        status, _, page = browser.get(b, callback.replace(state, forged))
        assert status == 400 and "StateMismatchError" in page and message in page
    assert list(_pending(database)) == [state]
    status, location, _ = browser.get(b, callback)
    assert (status, location) == (302, "/")


def test_a_denied_consent_shows_a_typed_error(workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox) -> None:
    a, b = workers
    browser = Browser()
    callback = calbridge_sandbox.deny(_connect(browser, a, calbridge_sandbox))
    status, _, page = browser.get(b, callback)
    assert status == 400 and "AuthorizationDeniedError" in page
    assert calbridge_sandbox.grants() == []
