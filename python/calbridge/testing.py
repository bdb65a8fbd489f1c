"""An opt-in pytest plugin: the calbridge sandbox for your own tests.

Enable it with ``-p calbridge.testing`` (command line, or ``addopts`` in your pytest
configuration). It starts the sandbox once per test session and gives each test a clean one:

    def test_booking_shows_in_calendar(calbridge_session, calbridge_sandbox):
        calbridge_session.upsert_event("cal_sandbox_primary", {...})
        ...

    def test_survives_a_server_error(calbridge_session, calbridge_sandbox):
        calbridge_sandbox.fault("/v1/calendars", status=503)   # the next call gets a 503
        ...

Fixtures:

``calbridge_sandbox``
    The running :class:`calbridge.sandbox.Sandbox`, reset before the test (applications,
    users, settings, clock, grants, faults and counters as at start). Its methods drive the
    admin API: ``consent()`` (headless approval), ``settings()``, ``fault()``,
    ``expire_access_tokens()``, ``advance_clock()``, ``counters()``...
``calbridge_client``
    A :class:`calbridge.Client` for the sandbox's default application (in-memory store).
``calbridge_credentials``
    Credentials of the seeded user (ada@example.com), authorized headlessly with every scope.
``calbridge_session``
    A :class:`calbridge.Session` for those credentials.

The sandbox binary comes with the package; set ``CALBRIDGE_SANDBOX`` to use another one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .client import Client
from .credentials import Credentials
from .sandbox import Sandbox
from .session import Session

__all__ = [
    "calbridge_sandbox_process",
    "calbridge_sandbox",
    "calbridge_client",
    "calbridge_credentials",
    "calbridge_session",
]


@pytest.fixture(scope="session")
def calbridge_sandbox_process() -> Iterator[Sandbox]:
    """One sandbox for the whole test session (use ``calbridge_sandbox`` in tests)."""
    sandbox = Sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def calbridge_sandbox(calbridge_sandbox_process: Sandbox) -> Sandbox:
    """The sandbox, reset to its start state for this test."""
    calbridge_sandbox_process.reset()
    return calbridge_sandbox_process


@pytest.fixture
def calbridge_client(calbridge_sandbox: Sandbox) -> Client:
    """A client of the sandbox's default application."""
    return calbridge_sandbox.client()


@pytest.fixture
def calbridge_credentials(calbridge_sandbox: Sandbox, calbridge_client: Client) -> Credentials:
    """The seeded user's credentials, authorized headlessly (also in the client's store)."""
    return calbridge_sandbox.authorize(calbridge_client)


@pytest.fixture
def calbridge_session(calbridge_client: Client, calbridge_credentials: Credentials) -> Session:
    """A session for the seeded user."""
    return calbridge_client.session(calbridge_credentials)
