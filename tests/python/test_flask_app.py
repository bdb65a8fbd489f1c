"""examples/python/flask_app.py as two real worker processes behind one public URL, driven over
HTTP by urllib (the browser), with the sandbox approving. The test is the load balancer: it
sends each request to the worker it chooses, so the link is made in one process and the
redirect back completes in the other (web_workers.py)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from calbridge.sandbox import Sandbox

from web_workers import EXAMPLES, PUBLIC_URL, STATE_KEY, Browser, Worker, connect, pending, sandbox_environment
from web_workers import check_a_denied_consent_shows_a_typed_error, check_a_redirect_back_in_another_browser_is_refused
from web_workers import check_an_altered_or_foreign_state_is_refused, two_workers

EXAMPLE = EXAMPLES / "flask_app.py"
FLASK_SECRET_KEY = "flask-session-key-for-the-test-0123456789"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "app.db"


@pytest.fixture
def workers(calbridge_sandbox: Sandbox, tmp_path: Path, database: Path) -> Iterator[tuple[Worker, Worker]]:
    env = {**sandbox_environment(calbridge_sandbox, database), "FLASK_SECRET_KEY": FLASK_SECRET_KEY}
    secrets = [STATE_KEY, FLASK_SECRET_KEY, calbridge_sandbox.client_secret]
    with two_workers(EXAMPLE, tmp_path, env, secrets) as started:
        yield started


def _flask_session(browser: Browser) -> dict[str, object]:
    """The Flask session cookie, decoded with the app's key: what the browser holds."""
    app = Flask("reader")
    app.secret_key = FLASK_SECRET_KEY
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    (cookie,) = [c for c in browser.jar if c.name == "session"]
    assert cookie.value is not None
    data = serializer.loads(cookie.value)
    assert isinstance(data, dict)
    return data


def test_a_link_made_by_one_worker_completes_in_the_other(
    workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox, database: Path
) -> None:
    a, b = workers
    browser = Browser()
    status, _, page = browser.get(a, "/")
    assert status == 200 and 'href="/connect"' in page

    authorization_url = connect(browser, a, calbridge_sandbox)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorization_url).query)
    assert query["redirect_uri"] == [PUBLIC_URL + "/callback"] and query["code_challenge_method"] == ["S256"]
    state = query["state"][0]
    # The pending request is server-side, verifier included; the browser holds only its session id.
    rows = pending(database)
    assert list(rows) == [state]
    verifier = rows[state]["secret"]
    assert isinstance(verifier, dict) and isinstance(verifier["code_verifier"], str)
    assert set(_flask_session(browser)) == {"sid"}
    assert all(verifier["code_verifier"] not in (c.value or "") for c in browser.jar)

    # The user approves; the redirect back lands on the other worker.
    callback = calbridge_sandbox.consent(authorization_url)
    assert callback.startswith(PUBLIC_URL + "/callback?")
    status, location, page = browser.get(b, callback)
    assert (status, location) == (302, "/"), page
    assert pending(database) == {}  # used once

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
    check_a_redirect_back_in_another_browser_is_refused(workers, calbridge_sandbox, database)


def test_an_altered_or_foreign_state_is_refused(
    workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox, database: Path
) -> None:
    check_an_altered_or_foreign_state_is_refused(workers, calbridge_sandbox, database)


def test_a_denied_consent_shows_a_typed_error(workers: tuple[Worker, Worker], calbridge_sandbox: Sandbox) -> None:
    check_a_denied_consent_shows_a_typed_error(workers, calbridge_sandbox)
