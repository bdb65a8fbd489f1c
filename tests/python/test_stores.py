"""Token stores: the native ones, and a store written in Python called from the core."""

from __future__ import annotations

import os
from collections.abc import Mapping
import stat
from pathlib import Path

import pytest
from helpers import DictStore, token_requests

import calbridge
from calbridge.sandbox import Sandbox


def _credentials(n: int) -> calbridge.Credentials:
    return calbridge.Credentials(
        access_token=f"access-token-{n}-abcdefghijklmnopqrstuvwxyz",
        refresh_token=f"refresh-token-{n}-abcdefghijklmnopqrstuvwxyz",
        scope="read_events",
        expires_at=1_900_000_000 + n,
        account_id="acc_1",
    )


@pytest.mark.parametrize("kind", ["memory", "file", "python"])
def test_every_store_keeps_versions_and_compares_and_swaps(kind: str, tmp_path: Path) -> None:
    store: calbridge.TokenStore
    if kind == "memory":
        store = calbridge.MemoryStore()
    elif kind == "file":
        store = calbridge.FileStore(tmp_path / "tokens")
    else:
        store = DictStore()
    assert isinstance(store, calbridge.TokenStore)

    assert store.load("acc_1") is None
    assert store.insert("acc_1", _credentials(1)) == 1
    assert store.insert("acc_1", _credentials(2)) is None
    assert store.load("acc_1") == (_credentials(1), 1)
    assert store.save("acc_1", _credentials(2), 1) == 2
    assert store.save("acc_1", _credentials(3), 1) is None  # someone else wrote version 2
    assert store.replace("acc_1", _credentials(4)) == 3
    assert store.load("acc_1") == (_credentials(4), 3)
    assert store.remove("acc_1") is True
    assert store.remove("acc_1") is False


def test_the_file_store_writes_private_files(tmp_path: Path) -> None:
    store = calbridge.FileStore(tmp_path / "tokens")
    store.replace("acc_1", _credentials(1))
    path = store.path_for("acc_1")
    assert os.path.dirname(path) == str(tmp_path / "tokens")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.accounts() == ["acc_1"]
    # Another process (another store object) sees the same credentials and version.
    assert calbridge.FileStore(tmp_path / "tokens").load("acc_1") == (_credentials(1), 1)


def test_a_python_store_holds_the_rotated_refresh_token_before_the_new_access_token_is_used(
    calbridge_sandbox: Sandbox,
) -> None:
    store = DictStore()
    client = calbridge_sandbox.client(store=store)
    original = calbridge_sandbox.authorize(client)
    session = client.session(original.account_key)
    session.calendars()
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)

    # The write fails: the new access token must not have been used.
    def refuse(method: str, credentials: calbridge.Credentials) -> None:
        raise OSError("disk full")

    store.before_write = refuse
    counters_before = calbridge_sandbox.counters()
    with pytest.raises(calbridge.StoreError) as caught:
        session.calendars()
    assert isinstance(caught.value.__cause__, OSError)
    counters_after = calbridge_sandbox.counters()
    # Sent: the calendars call (401) and the refresh (200); not a call with the new token.
    # (Each counters() read is itself one 2xx admin request.)
    assert _delta(counters_before, counters_after, "refresh") == 1
    assert _responses(counters_after, "2xx") - _responses(counters_before, "2xx") == 2  # the refresh + 1 counters read
    assert store.current(original.account_key) == original

    # The next call writes the kept credentials first, without refreshing again, then uses them.
    store.before_write = None
    refreshes = token_requests(calbridge_sandbox, "refresh_token")
    assert len(session.calendars()) == 3
    assert token_requests(calbridge_sandbox, "refresh_token") == refreshes
    stored = store.current(original.account_key)
    assert stored is not None
    assert stored.refresh_token != original.refresh_token
    assert stored == session.credentials()


def test_a_store_that_raises_leaves_the_credentials_recoverable(calbridge_sandbox: Sandbox) -> None:
    store = DictStore()
    client = calbridge_sandbox.client(store=store)
    original = calbridge_sandbox.authorize(client)
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    failures = 0

    def flaky(method: str, credentials: calbridge.Credentials) -> None:
        nonlocal failures
        if failures < 2:
            failures += 1
            raise RuntimeError("database unavailable")

    store.before_write = flaky
    session = client.session(original.account_key)
    for _ in range(2):
        with pytest.raises(calbridge.StoreError):
            session.calendars()
    assert len(session.calendars()) == 3
    # One refresh in all: the rotated token was kept in memory while the store was down.
    assert token_requests(calbridge_sandbox, "refresh_token") == 1
    # A new process (a new client on the same store) carries on with the stored rotation.
    later = calbridge_sandbox.client(store=store).session(original.account_key)
    assert len(later.calendars()) == 3


def test_a_store_returning_the_wrong_type_is_a_store_error(calbridge_sandbox: Sandbox) -> None:
    class Broken(DictStore):
        def load(self, account: str) -> tuple[calbridge.Credentials, int] | None:
            return "nonsense"  # type: ignore[return-value]

    client = calbridge_sandbox.client(store=Broken())
    with pytest.raises(calbridge.StoreError) as caught:
        client.session("acc_sandbox_ada").calendars()
    assert isinstance(caught.value.__cause__, TypeError)


def test_an_object_that_is_not_a_store_is_refused_at_once(calbridge_sandbox: Sandbox) -> None:
    with pytest.raises(TypeError, match="a token store needs a load"):
        calbridge_sandbox.client(store=object())  # type: ignore[arg-type]


def _delta(before: Mapping[str, object], after: Mapping[str, object], grant: str) -> int:
    b, a = before["token_requests"], after["token_requests"]
    assert isinstance(b, dict) and isinstance(a, dict)
    key = "refresh_token" if grant == "refresh" else grant
    return int(a[key]) - int(b[key])


def _responses(counters: Mapping[str, object], klass: str) -> int:
    responses = counters["responses"]
    assert isinstance(responses, dict)
    return int(responses[klass])
