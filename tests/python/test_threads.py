"""Threads: one refresh for many callers, and the GIL released while a call waits."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from helpers import token_requests, wait_until_idle

import calbridge
from calbridge.sandbox import Sandbox


def test_32_threads_on_one_expired_session_cause_exactly_one_refresh(
    calbridge_sandbox: Sandbox, calbridge_credentials: calbridge.Credentials
) -> None:
    client = calbridge_sandbox.client()
    expired = calbridge_credentials.replace(expires_at=datetime.now(timezone.utc) - timedelta(minutes=5))
    session = client.session(expired)
    # Hold the refresh reply for a while, so that every thread arrives while it is in flight.
    calbridge_sandbox.fault("/oauth/token", "delay", method="POST", delay=0.5)
    before = token_requests(calbridge_sandbox, "refresh_token")
    start = threading.Barrier(32)

    def call() -> int:
        start.wait()
        return len(session.calendars())

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda _: call(), range(32)))

    assert results == [3] * 32
    assert token_requests(calbridge_sandbox, "refresh_token") == before + 1


def test_8_threads_have_8_requests_in_flight_at_once(
    calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session
) -> None:
    calbridge_session.calendars()  # tokens fresh, so the calls below go straight to the API
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=1.0, count=8)
    wait_until_idle(calbridge_sandbox)
    calbridge_sandbox.reset_counters()
    start = threading.Barrier(8)

    def call() -> int:
        start.wait()
        return len(calbridge_session.calendars())

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: call(), range(8)))

    assert results == [3] * 8
    # Had a call held the GIL while waiting, the others could not have sent theirs (peak 1).
    # 9: the admin request that reset the counters may still have been finishing.
    assert calbridge_sandbox.counters()["in_flight_peak"] in (8, 9)


FORK_CHILD = """
import os, sys
import calbridge
api_url, ca_file, client_id, client_secret, credentials_json = sys.argv[1:]
client = calbridge.Client(client_id, client_secret, api_url=api_url, app_url=api_url, ca_file=ca_file)
session = client.session(calbridge.Credentials.from_json(credentials_json))
print("before", len(session.calendars()), flush=True)
pid = os.fork()
if pid == 0:
    try:
        print("child", len(session.calendars()), flush=True)  # on the child's main thread, Ctrl-C heard
    finally:
        os._exit(0)
os.waitpid(pid, 0)
print("parent", len(session.calendars()), flush=True)
"""


def test_calls_work_in_a_forked_child(calbridge_sandbox: Sandbox, calbridge_credentials: calbridge.Credentials) -> None:
    assert calbridge_sandbox.ca_file is not None
    args = [calbridge_sandbox.api_url, calbridge_sandbox.ca_file, calbridge_sandbox.client_id, calbridge_sandbox.client_secret]
    result = subprocess.run(
        [sys.executable, "-c", FORK_CHILD, *args, calbridge_credentials.to_json()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["before 3", "child 3", "parent 3"]
