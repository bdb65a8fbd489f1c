"""Log lines follow logging's configuration at call time, and expected outcomes (a grant that
was revoked, revoked again, or found gone) are not logged as errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import calbridge
from calbridge.sandbox import Sandbox


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=1)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def below(self, level: int) -> list[logging.LogRecord]:
        return [r for r in self.records if r.levelno < level]

    def at_least(self, level: int) -> list[logging.LogRecord]:
        return [r for r in self.records if r.levelno >= level]


@pytest.fixture
def collected() -> Iterator[Collect]:
    """A handler on the calbridge logger; that logger's and the root's levels restored after."""
    log = logging.getLogger("calbridge")
    root = logging.getLogger()
    saved = (log.level, root.level)
    handler = Collect()
    log.addHandler(handler)
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        root.setLevel(saved[1])


def test_a_client_made_before_logging_is_configured_follows_the_level_at_each_call(
    calbridge_sandbox: Sandbox, collected: Collect
) -> None:
    logging.getLogger("calbridge").setLevel(logging.NOTSET)  # follows the root, like most apps
    logging.getLogger().setLevel(logging.WARNING)
    client = calbridge_sandbox.client()  # e.g. at module level, before logging.basicConfig
    credentials = calbridge_sandbox.authorize(client)
    assert collected.below(logging.WARNING) == []

    logging.getLogger().setLevel(logging.DEBUG)  # what basicConfig(level=DEBUG) does
    credentials = client.refresh(credentials)
    infos = [r.getMessage() for r in collected.records if r.levelno == logging.INFO]
    assert any("refreshed the access token" in m for m in infos), infos

    collected.records.clear()
    logging.getLogger().setLevel(logging.WARNING)  # lowered again: nothing below it
    client.refresh(credentials)
    assert collected.below(logging.WARNING) == []


def test_the_calbridge_logger_level_and_trace_apply_from_the_next_call(
    calbridge_sandbox: Sandbox, collected: Collect
) -> None:
    log = logging.getLogger("calbridge")
    log.setLevel(logging.ERROR)
    client = calbridge_sandbox.client()
    credentials = calbridge_sandbox.authorize(client)
    assert collected.records == []
    log.setLevel(calbridge.TRACE)
    client.refresh(credentials)
    assert any(r.levelno == calbridge.TRACE for r in collected.records)


def test_revoking_a_token_the_server_calls_already_invalid_is_info_not_an_error(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, collected: Collect
) -> None:
    logging.getLogger("calbridge").setLevel(logging.DEBUG)
    credentials = calbridge_sandbox.authorize(calbridge_client)
    calbridge_client.revoke(credentials)
    calbridge_sandbox.fault(
        "/oauth/token/revoke",
        status=400,
        body='{"error": "invalid_grant", "error_description": "the token was revoked"}',
        content_type="application/json",
    )
    calbridge_client.revoke(credentials)  # no error: there was nothing left to revoke
    assert collected.at_least(logging.WARNING) == []
    messages = [r.getMessage() for r in collected.records if r.levelno == logging.INFO]
    assert any("already revoked" in m for m in messages), messages


def test_other_revoke_errors_still_raise(calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client) -> None:
    credentials = calbridge_sandbox.authorize(calbridge_client)
    calbridge_sandbox.fault(
        "/oauth/token/revoke", status=400, body='{"error": "invalid_request"}', content_type="application/json"
    )
    with pytest.raises(calbridge.BadRequestError):
        calbridge_client.revoke(credentials)


def test_a_grant_found_revoked_on_refresh_is_info_not_an_error(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, collected: Collect
) -> None:
    logging.getLogger("calbridge").setLevel(logging.DEBUG)
    credentials = calbridge_sandbox.authorize(calbridge_client)
    session = calbridge_client.session(credentials)
    calbridge_client.revoke(credentials)
    with pytest.raises(calbridge.InvalidGrantError):
        session.calendars()
    assert collected.at_least(logging.ERROR) == []
    messages = [r.getMessage() for r in collected.records if r.levelno == logging.INFO]
    assert any("reauthorization required" in m for m in messages), messages
