"""One refresh per account across processes: real worker processes sharing a real store (file,
SQLite, PostgreSQL), the sandbox with refresh-token rotation and reuse detection on (so a second
refresh with the same token would cost the grant), real signals.

Each scenario seeds the sandbox user's credentials into the store with an access token that has
expired, so the first call of every worker needs a refresh."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import Account, Worker

Start = Callable[..., Worker]


def start_together(workers: list[Worker]) -> None:
    """Every worker has built its client before any calls: then all call at once."""
    for w in workers:
        w.expect("ready")
    for w in workers:
        w.send()


def codes(results: list[dict[str, Any]]) -> list[str]:
    return sorted({r.get("code", "ok") for r in results})


def test_a_storm_of_16_processes_with_4_threads_each_sends_one_refresh(account: Account, workers: Start) -> None:
    version = account.connect()
    procs = [workers(account, threads=4) for _ in range(16)]
    start_together(procs)
    results = [r for w in procs for r in w.finish()]

    assert len(results) == 64
    assert codes(results) == ["ok"], results
    assert account.refreshes() == 1
    assert account.stored()["version"] == version + 1


def test_a_token_endpoint_slower_than_the_lease_ttl_still_gets_one_refresh(account: Account, workers: Start) -> None:
    """The holder renews its 1 s lease while the sandbox holds its refresh for 1.6 s: no other
    process takes the lease over (one would send the spent refresh token and lose the grant)."""
    version = account.connect()
    account.sandbox.admin_ok("POST", "/admin/faults",
                             {"method": "POST", "path": "/oauth/token", "kind": "delay", "delay_ms": 1600, "count": 1})
    lease = ("--lease-ttl-ms", "1000", "--lease-request-timeout-ms", "20000")
    procs = [workers(account, *lease, threads=2) for _ in range(4)]
    start_together(procs)
    results = [r for w in procs for r in w.finish()]

    assert codes(results) == ["ok"], results
    assert account.refreshes() == 1
    assert account.stored()["version"] == version + 1


def test_a_holder_killed_before_it_sends_is_taken_over_after_its_lease(account: Account, workers: Start) -> None:
    version = account.connect()
    lease = ("--lease-ttl-ms", "1000")
    holder = workers(account, *lease, "--pause-at", "claim")
    start_together([holder])
    holder.expect("paused claim")
    holder.signal(signal.SIGKILL)
    holder.kill()

    others = [workers(account, *lease, threads=2) for _ in range(3)]
    start_together(others)
    results = [r for w in others for r in w.finish()]

    assert codes(results) == ["ok"], results
    assert account.refreshes() == 1
    assert account.stored()["version"] == version + 1


def test_a_holder_killed_after_the_server_rotated_leaves_one_typed_failure_per_call_and_no_storm(
        account: Account, workers: Start) -> None:
    """The rotation is lost with the holder: the next holder's refresh is refused (reuse), the
    version has not moved, so the account is marked once and every process fails fast."""
    version = account.connect()
    lease = ("--lease-ttl-ms", "1000")
    holder = workers(account, *lease, "--pause-at", "commit")
    start_together([holder])
    holder.expect("paused commit")
    assert account.refreshes() == 1  # the server rotated
    holder.signal(signal.SIGKILL)
    holder.kill()

    others = [workers(account, *lease, threads=2) for _ in range(4)]
    start_together(others)
    results = [r for w in others for r in w.finish()]

    assert codes(results) == ["invalid_grant"], results
    assert account.refreshes() == 2  # the next holder's one refused refresh, no more
    stored = account.stored()
    assert stored["version"] == version
    assert stored["reauthorization_required"] is True

    # Later processes fail fast without a request.
    late = workers(account, *lease, threads=4)
    start_together([late])
    assert codes(late.finish()) == ["invalid_grant"]
    assert account.refreshes() == 2

    # A new authorization clears the mark, and no lease was left stuck: the next expiry is
    # refreshed at once by the next process.
    version = account.connect()
    assert account.stored()["reauthorization_required"] is False
    after = workers(account, *lease, threads=2)
    start_together([after])
    assert codes(after.finish()) == ["ok"]
    assert account.refreshes() == 3
    assert account.stored()["version"] == version + 1


def test_a_holder_stopped_past_its_lease_sends_nothing_when_it_wakes(account: Account, workers: Start) -> None:
    """Stopped right after its claim (before sending): another process takes the lease over and
    refreshes; the stopped one, continued, finds its lease gone and uses the new tokens."""
    version = account.connect()
    lease = ("--lease-ttl-ms", "1000")
    stopped = workers(account, *lease, "--pause-at", "claim")
    start_together([stopped])
    stopped.expect("paused claim")
    stopped.signal(signal.SIGSTOP)
    stopped.wait_stopped()
    stopped.send("continue")  # read once it runs again

    other = workers(account, *lease, threads=2)
    start_together([other])
    assert codes(other.finish()) == ["ok"]
    assert account.refreshes() == 1
    after_other = account.stored()
    assert after_other["version"] == version + 1

    stopped.signal(signal.SIGCONT)
    assert codes(stopped.finish()) == ["ok"]
    assert account.refreshes() == 1
    assert account.stored() == after_other


def test_a_late_commit_of_a_stopped_holder_is_refused_by_the_version(account: Account, workers: Start) -> None:
    """With rotation off (so the second refresh is not refused), a holder stopped after the
    server answered but before its write comes back after another process committed: its write
    is refused by the version, and the newer credentials stay."""
    account.sandbox.admin_ok("PATCH", "/admin/settings", {"refresh_rotation": False})
    version = account.connect()
    lease = ("--lease-ttl-ms", "1000")
    stopped = workers(account, *lease, "--pause-at", "commit")
    start_together([stopped])
    stopped.expect("paused commit")
    stopped.signal(signal.SIGSTOP)
    stopped.wait_stopped()
    stopped.send("continue")

    other = workers(account, *lease)
    start_together([other])
    assert codes(other.finish()) == ["ok"]
    assert account.refreshes() == 2
    newer = account.stored()
    assert newer["version"] == version + 1

    stopped.signal(signal.SIGCONT)
    assert codes(stopped.finish()) == ["ok"]
    assert account.stored() == newer  # same version, same tokens: the late write wrote nothing


def test_a_process_that_loaded_credentials_before_another_rotated_them_gets_no_invalid_grant(
        account: Account, workers: Start) -> None:
    version = account.connect(expired=False)
    early = workers(account, "--rounds", "2")
    start_together([early])
    early.expect("round")  # it has called once with the token it loaded

    # The server expires that token; a second process gets the 401, refreshes and rotates.
    account.sandbox.admin_ok("POST", "/admin/tokens/expire", {"account_id": account.id})
    rotating = workers(account)
    start_together([rotating])
    assert codes(rotating.finish()) == ["ok"]
    assert account.refreshes() == 1

    # The first process's next call: its token gets a 401; it re-reads the store, not its memory.
    early.send("next")
    assert codes(early.finish()) == ["ok"]
    assert account.refreshes() == 1
    assert account.stored()["version"] == version + 1


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_several_hosts_on_one_postgresql_send_one_refresh(account: Account, workers: Start) -> None:
    """Processes with distinct host identities (lease owners), as on several machines."""
    version = account.connect()
    procs = [workers(account, "--owner", f"host-{i}:web", threads=4) for i in range(8)]
    start_together(procs)
    results = [r for w in procs for r in w.finish()]

    assert codes(results) == ["ok"], results
    assert account.refreshes() == 1
    assert account.stored()["version"] == version + 1


def corrupt(account: Account, request: pytest.FixtureRequest) -> None:
    """Overwrites the account's stored credentials with text that is not credentials, the way
    a bad migration or a hand edit would."""
    kind, _, where = account.store.partition(":")
    garbage = '{"format": 1, "access_token": '
    if kind == "file":
        files = list(Path(where).glob("*.json"))
        assert len(files) == 1
        files[0].write_text(garbage)
    elif kind == "sqlite":
        with sqlite3.connect(where) as db:
            assert db.execute("UPDATE credentials SET credentials = ? WHERE account = ?",
                              (garbage, account.id)).rowcount == 1
    else:
        cluster = request.getfixturevalue("postgres")
        cluster.sql(f"UPDATE calbridge_credentials SET credentials = '{garbage}' WHERE account = '{account.id}'")


def test_a_corrupt_row_is_a_typed_store_error_in_every_process(account: Account, workers: Start,
                                                               request: pytest.FixtureRequest) -> None:
    account.connect()
    corrupt(account, request)
    procs = [workers(account, threads=2) for _ in range(2)]
    start_together(procs)
    results = [r for w in procs for r in w.finish()]

    assert codes(results) == ["store"], results
    assert all("corrupt" in r["message"] or "not valid" in r["message"] or "parse" in r["message"]
               for r in results), results
    assert account.refreshes() == 0


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_postgresql_stopped_and_restarted_mid_refresh_loses_nothing(account: Account, workers: Start,
                                                                    postgres: Any) -> None:
    """The server goes away between the refresh and its write: the call fails with StoreError,
    the rotated tokens stay in the process's memory, and once the server is back its next call
    writes them first, without a second refresh (which the spent token would turn into a lost
    grant)."""
    version = account.connect()
    holder = workers(account, "--pause-at", "commit", "--rounds", "2")
    start_together([holder])
    holder.expect("paused commit")
    assert account.refreshes() == 1
    postgres.halt()
    try:
        holder.send("continue")
        holder.expect("round")
        assert codes(holder.results) == ["store"], holder.results

        # Another process during the outage: the same typed error, no refresh.
        other = workers(account)
        start_together([other])
        assert codes(other.finish()) == ["store"]
        assert account.refreshes() == 1
    finally:
        postgres.start()

    holder.send("next")
    results = holder.finish()
    assert codes(results[1:]) == ["ok"], results
    assert account.refreshes() == 1
    assert account.stored()["version"] == version + 1

    after = workers(account, threads=2)
    start_together([after])
    assert codes(after.finish()) == ["ok"]
    assert account.refreshes() == 1
