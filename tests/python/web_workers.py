"""The web examples (examples/python/flask_app.py, fastapi_app.py) as real worker processes
behind one public URL, and a browser for them (urllib with a cookie jar), for
test_flask_app.py and test_fastapi_app.py. The test is the load balancer: it sends each request
to the worker it chooses."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import select
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO
from pathlib import Path

from calbridge.sandbox import Sandbox

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"
# What users see; nothing listens there: the test routes each request to a worker itself.
PUBLIC_URL = "http://127.0.0.1:8080"
STATE_KEY = "state-signing-key-for-the-test-0123456789"


@dataclass
class Worker:
    url: str
    process: subprocess.Popen[bytes]
    output: Path


def sandbox_environment(sandbox: Sandbox, database: Path) -> dict[str, str]:
    """The settings both examples read, for this sandbox and this shared database."""
    return {
        **os.environ,
        "CALBRIDGE_STATE_KEY": STATE_KEY,
        "CALBRIDGE_CLIENT_ID": sandbox.client_id,
        "CALBRIDGE_CLIENT_SECRET": sandbox.client_secret,
        "CALBRIDGE_API_URL": sandbox.api_url,
        "CALBRIDGE_APP_URL": sandbox.app_url,
        "CALBRIDGE_CA_FILE": sandbox.ca_file or "",
        "CALBRIDGE_DATABASE": str(database),
        "CALBRIDGE_PUBLIC_URL": PUBLIC_URL,
    }


def start_worker(example: Path, tmp_path: Path, name: str, env: Mapping[str, str]) -> Worker:
    """Starts ``example`` on a free port; returns once it listens: it writes its URL to a pipe
    then (--ready-fd) and closes it, and the pipe also ends (EOF) if the worker exits first."""
    output = tmp_path / f"{name}.log"
    ready_read, ready_write = os.pipe()
    with os.fdopen(ready_read, "rb", buffering=0) as pipe:
        try:
            with output.open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, str(example), "--port", "0", "--ready-fd", str(ready_write)],
                    env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    pass_fds=(ready_write,),
                )  # fmt: skip
        finally:
            os.close(ready_write)  # the worker's copy is the only writer left
        ready = b""
        while chunk := _read_within(pipe, 60):
            ready += chunk
    if chunk is None:
        process.kill()
        raise AssertionError(f"worker {name} did not start: {output.read_text()}")
    if not ready:
        process.wait(timeout=10)
        raise AssertionError(f"worker {name} exited: {output.read_text()}")
    return Worker(json.loads(ready)["url"], process, output)


def _read_within(pipe: BinaryIO, timeout: float) -> bytes | None:
    """What the pipe has next (b"" at its end), or None when nothing came within ``timeout``."""
    readable, _, _ = select.select([pipe], [], [], timeout)
    return pipe.read(4096) if readable else None


@contextlib.contextmanager
def two_workers(
    example: Path, tmp_path: Path, env: Mapping[str, str], secrets: list[str]
) -> Iterator[tuple[Worker, Worker]]:
    """Workers "a" and "b" of ``example``, stopped on the way out; then asserts that none of
    ``secrets``, and no authorization code, is in what they printed."""
    started: list[Worker] = []
    try:
        started.append(start_worker(example, tmp_path, "a", env))
        started.append(start_worker(example, tmp_path, "b", env))
        yield started[0], started[1]
    finally:
        for worker in started:
            worker.process.terminate()
            worker.process.wait(timeout=30)
    printed = "".join(w.output.read_text() for w in started)
    assert all(secret not in printed for secret in secrets) and "code=" not in printed


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # let the test see each 302


class Browser:
    """One browser: its cookie jar (cookies for 127.0.0.1 go to every port, as they should)."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def get(self, worker: Worker, url: str, *, timeout: float = 30) -> tuple[int, str, str]:
        """GET a public URL (or a path) through `worker`."""
        if url.startswith(PUBLIC_URL):
            url = url[len(PUBLIC_URL) :]
        try:
            with self.opener.open(worker.url + url, timeout=timeout) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.headers.get("Location", ""), e.read().decode()

    def cookies(self) -> dict[str, str]:
        return {c.name: c.value or "" for c in self.jar}


def pending(database: Path) -> dict[str, dict[str, object]]:
    """The pending authorizations in the shared database, by state."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT state, request FROM pending_authorizations").fetchall()
    return {state: json.loads(text) for state, text in rows}


def connect(browser: Browser, worker: Worker, sandbox: Sandbox) -> str:
    """/connect through ``worker``: the authorization URL it redirects to."""
    status, authorization_url, _ = browser.get(worker, "/connect")
    assert status == 302 and authorization_url.startswith(sandbox.app_url + "/oauth/authorize?")
    return authorization_url


def state_of(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]


# --- what both examples must do, checked the same way for each ---------------------------------


def check_a_redirect_back_in_another_browser_is_refused(
    workers: tuple[Worker, Worker], sandbox: Sandbox, database: Path
) -> None:
    """Login CSRF: an attacker's link, approved by the attacker, delivered to the victim, is
    refused without using up the pending request, which its own browser still completes."""
    a, b = workers
    attacker, victim = Browser(), Browser()
    callback = sandbox.consent(connect(attacker, a, sandbox))
    victim.get(b, "/")  # the victim has a session of their own
    status, _, page = victim.get(b, callback)
    assert status == 400 and "StateMismatchError" in page and "another binding" in page
    assert list(pending(database)) == [state_of(callback)]  # not used up by the refusal

    # Without any session at all.
    status, _, page = Browser().get(a, callback)
    assert status == 400 and "No connection was started in this browser" in page

    # The browser that made the link still completes it.
    status, location, _ = attacker.get(b, callback)
    assert (status, location) == (302, "/")


def check_an_altered_or_foreign_state_is_refused(
    workers: tuple[Worker, Worker], sandbox: Sandbox, database: Path
) -> None:
    a, b = workers
    browser = Browser()
    callback = sandbox.consent(connect(browser, a, sandbox))
    state = state_of(callback)
    payload, mac = state.split(".")
    for forged, message in (
        (payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac, "signature does not match"),
        ("0123456789abcdef0123456789abcdef", "state is malformed"),
    ):
        status, _, page = browser.get(b, callback.replace(state, forged))
        assert status == 400 and "StateMismatchError" in page and message in page
    assert list(pending(database)) == [state]
    status, location, _ = browser.get(b, callback)
    assert (status, location) == (302, "/")


def check_a_denied_consent_shows_a_typed_error(workers: tuple[Worker, Worker], sandbox: Sandbox) -> None:
    a, b = workers
    browser = Browser()
    callback = sandbox.deny(connect(browser, a, sandbox))
    status, _, page = browser.get(b, callback)
    assert status == 400 and "AuthorizationDeniedError" in page
    assert sandbox.grants() == []
