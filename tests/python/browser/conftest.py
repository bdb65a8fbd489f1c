"""The consent page in a real browser: headless Chromium (chromium.py) against the suite's
sandbox. Chromium missing is an error, never a skip: scripts/setup installs it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from calbridge._receiver import RedirectReceiver
from calbridge.sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromium import chromium, served_certificate, spki_sha256  # noqa: E402
from pages import APP_NAME, App  # noqa: E402
from recorder import LoopbackRecorder  # noqa: E402


@pytest.fixture(scope="session")
def sandbox_spki(calbridge_sandbox_process: Sandbox) -> str:
    """The SHA-256 of the public key the sandbox serves, its certificate checked against the
    sandbox's CA first."""
    assert calbridge_sandbox_process.ca_file is not None, "the sandbox serves plain HTTP"
    return spki_sha256(served_certificate(calbridge_sandbox_process.app_url, calbridge_sandbox_process.ca_file))


@pytest.fixture(scope="session")
def browser(sandbox_spki: str) -> Iterator[WebDriver]:
    """One headless Chromium for the session, trusting the sandbox's key and nothing else."""
    with chromium([sandbox_spki]) as driver:
        yield driver


@pytest.fixture
def make_app(calbridge_sandbox: Sandbox) -> Callable[..., App]:
    def make(*, verified: bool = False, redirect_uris: tuple[str, ...] = ()) -> App:
        reply = calbridge_sandbox.add_application(name=APP_NAME, verified=verified, redirect_uris=redirect_uris)
        client_id, secret = str(reply["client_id"]), str(reply["client_secret"])
        return App(client_id, APP_NAME, calbridge_sandbox.client(client_id, secret))

    return make


@pytest.fixture
def receiver() -> Iterator[RedirectReceiver]:
    """The app's loopback redirect receiver (the one `calbridge connect` uses)."""
    r = RedirectReceiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def recorder() -> Iterator[LoopbackRecorder]:
    with LoopbackRecorder() as r:
        yield r
