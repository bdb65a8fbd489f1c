"""examples/python/fastapi_app.py as two real uvicorn worker processes behind one public URL,
sharing one SQLite file, driven over HTTP by urllib (the browser), with the sandbox approving.
The test is the load balancer (web_workers.py): the link is made in one process and the
redirect back completes in the other. A browser that goes away while its page waits on a slow
calendar call gets that call cancelled in the core."""

from __future__ import annotations

import re
import socket
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from calbridge.sandbox import Sandbox

from aio_support import wait_for_faults_applied
from web_workers import EXAMPLES, PUBLIC_URL, STATE_KEY, Browser, Worker, connect, pending, sandbox_environment
from web_workers import check_a_denied_consent_shows_a_typed_error, check_a_redirect_back_in_another_browser_is_refused
from web_workers import check_an_altered_or_foreign_state_is_refused, two_workers

EXAMPLE = EXAMPLES / "fastapi_app.py"
COOKIE = "calbridge_session"
#: How long the sandbox holds a delayed reply: far longer than the test waits for an answer.
HELD = 60.0
#: An event's typed start on the page: a date, or an aware date-time in ISO form.
TYPED_START = re.compile(r"<li>\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d[+-]\d\d:\d\d)?: ")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "app.db"


def _workers(sandbox: Sandbox, tmp_path: Path, database: Path, **settings: str) -> Iterator[tuple[Worker, Worker]]:
    env = {**sandbox_environment(sandbox, database), **settings}
    with two_workers(EXAMPLE, tmp_path, env, [STATE_KEY, sandbox.client_secret]) as started:
        yield started


@pytest.fixture
def workers(calbridge_sandbox: Sandbox, tmp_path: Path, database: Path) -> Iterator[tuple[Worker, Worker]]:
    yield from _workers(calbridge_sandbox, tmp_path, database)


@pytest.fixture
def one_thread_workers(calbridge_sandbox: Sandbox, tmp_path: Path, database: Path) -> Iterator[tuple[Worker, Worker]]:
    """Workers running their calendar calls on a single thread: a call still held blocks the next."""
    yield from _workers(calbridge_sandbox, tmp_path, database, CALBRIDGE_CALL_THREADS="1")


def _connected(browser: Browser, a: Worker, b: Worker, sandbox: Sandbox) -> None:
    callback = sandbox.consent(connect(browser, a, sandbox))
    status, location, page = browser.get(b, callback)
    assert (status, location) == (302, "/"), page


def test_a_link_made_by_one_worker_completes_in_the_other(
    workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox, database: Path
) -> None:
    a, b = workers
    browser = Browser()
    status, _, page = browser.get(a, "/")
    assert status == 200 and 'href="/connect"' in page
    sid = browser.cookies()[COOKIE]

    authorization_url = connect(browser, a, calbridge_sandbox)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorization_url).query)
    assert query["redirect_uri"] == [PUBLIC_URL + "/callback"] and query["code_challenge_method"] == ["S256"]
    state = query["state"][0]
    # The pending request is server-side, verifier included; the browser holds only its session id.
    rows = pending(database)
    assert list(rows) == [state]
    verifier = rows[state]["secret"]
    assert isinstance(verifier, dict) and isinstance(verifier["code_verifier"], str)
    assert browser.cookies() == {COOKIE: sid} and len(sid) >= 32
    assert verifier["code_verifier"] not in sid

    # The user approves; the redirect back lands on the other worker.
    callback = calbridge_sandbox.consent(authorization_url)
    assert callback.startswith(PUBLIC_URL + "/callback?")
    status, location, page = browser.get(b, callback)
    assert (status, location) == (302, "/"), page
    assert pending(database) == {}  # used once
    assert browser.cookies() == {COOKIE: sid}  # still nothing but the id

    # Both workers see the credentials (the shared SqliteStore) and call the calendar API.
    for worker in (a, b):
        status, _, page = browser.get(worker, "/")
        assert status == 200, page
        assert "Connected as Ada Lovelace &lt;ada@example.com&gt;" in page
        assert "Holidays (google)" in page and "<h2>Next events</h2><ul><li>" in page
        assert TYPED_START.search(page), page

    # Another browser is not connected by this one's connection.
    status, _, page = Browser().get(b, "/")
    assert status == 200 and 'href="/connect"' in page

    # The same redirect back again, on either worker: the pending request is gone.
    status, _, page = browser.get(a, callback)
    assert status == 400 and "used already, or it expired" in page

    status, location, _ = browser.get(b, "/disconnect")
    assert (status, location) == (302, "/")
    assert [g["revoked"] for g in calbridge_sandbox.grants()] == [True]
    status, _, page = browser.get(a, "/")
    assert status == 200 and 'href="/connect"' in page


def test_a_redirect_back_in_another_browser_is_refused_and_leaves_the_request(
    workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox, database: Path
) -> None:
    check_a_redirect_back_in_another_browser_is_refused(workers, calbridge_sandbox, database)


def test_an_altered_or_foreign_state_is_refused(
    workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox, database: Path
) -> None:
    check_an_altered_or_foreign_state_is_refused(workers, calbridge_sandbox, database)


def test_a_denied_consent_shows_a_typed_error(workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox) -> None:
    check_a_denied_consent_shows_a_typed_error(workers, calbridge_sandbox)


def test_a_browser_leaving_during_a_slow_calendar_call_cancels_it(
    one_thread_workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox
) -> None:
    a, b = one_thread_workers
    browser = Browser()
    _connected(browser, a, b, calbridge_sandbox)
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=HELD)
    host, port = a.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        request = f"GET / HTTP/1.1\r\nHost: {host}\r\nCookie: {COOKIE}={browser.cookies()[COOKIE]}\r\n\r\n"
        conn.sendall(request.encode())
        wait_for_faults_applied(calbridge_sandbox, 1)  # the page's calendar call is held at the sandbox
        left_at = time.monotonic()
    # Worker a runs calendar calls on one thread: it can show the page again only once the held
    # call gave that thread back, which only its cancellation does before HELD seconds.
    status, _, page = browser.get(a, "/", timeout=HELD / 2)
    assert status == 200 and "Holidays (google)" in page, page
    assert time.monotonic() - left_at < HELD / 2
