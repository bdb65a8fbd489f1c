"""Ctrl-C interrupts a call blocked on a silent server within a second; signal handlers run
while a call made on the main thread waits, and may call calbridge themselves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import calbridge
from calbridge.sandbox import Sandbox

from aio_support import wait_for_faults_applied

CHILD = textwrap.dedent(
    """
    import signal, sys, time
    import calbridge
    # Python leaves SIGINT ignored when it starts ignored, as it does under a background job of
    # a non-interactive shell (how CI may run): install its handler, as an interactive run has it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    api_url, ca_file, client_id, client_secret, credentials_file = sys.argv[1:]
    client = calbridge.Client(client_id, client_secret, api_url=api_url, app_url=api_url, ca_file=ca_file,
                              timeout=60)
    session = client.session(calbridge.Credentials.from_json(open(credentials_file).read()))
    print("calling", flush=True)
    started = time.monotonic()
    try:
        session.calendars()
    except KeyboardInterrupt:
        print(f"KeyboardInterrupt after {time.monotonic() - started:.3f}", flush=True)
        # The session, and the machinery that runs main-thread calls, carry on.
        print(f"then {len(session.calendars())} calendars", flush=True)
        sys.exit(0)
    print("the call returned", flush=True)
    sys.exit(1)
    """
)


def test_sigint_interrupts_a_blocked_call_within_a_second(
    calbridge_sandbox: Sandbox, calbridge_credentials: calbridge.Credentials, tmp_path: Path
) -> None:
    credentials_file = tmp_path / "credentials.json"
    credentials_file.write_text(calbridge_credentials.to_json())
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=3.0)
    assert calbridge_sandbox.ca_file is not None
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            calbridge_sandbox.api_url,
            calbridge_sandbox.ca_file,
            calbridge_sandbox.client_id,
            calbridge_sandbox.client_secret,
            str(credentials_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "calling\n"
        # Wait until the request is at the server (the delay fault taken), so the child is
        # truly blocked in the call.
        wait_for_faults_applied(calbridge_sandbox, 1)
        watchdog = threading.Timer(10, child.kill)  # a hung child fails the test, never hangs it
        watchdog.start()
        sent = time.monotonic()
        os.kill(child.pid, signal.SIGINT)
        line = child.stdout.readline()
        elapsed = time.monotonic() - sent
        watchdog.cancel()
        out, err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert line.startswith("KeyboardInterrupt after "), line + out + err
    assert elapsed < 1.0, f"KeyboardInterrupt came {elapsed:.3f} s after SIGINT"
    assert child.returncode == 0, err
    assert out == "then 3 calendars\n"


class _Stop(Exception):
    pass


def _alarm_in(seconds: float, handler: object) -> object:
    previous = signal.signal(signal.SIGALRM, handler)  # type: ignore[arg-type]
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return previous


def _no_alarm(previous: object) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)  # type: ignore[arg-type]


def test_a_signal_handler_that_raises_ends_a_blocked_main_thread_call_with_its_exception(
    calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session
) -> None:
    assert threading.current_thread() is threading.main_thread()
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=3.0)

    def stop(signum: int, frame: object) -> None:
        raise _Stop()

    previous = _alarm_in(0.2, stop)
    started = time.monotonic()
    try:
        with pytest.raises(_Stop):
            calbridge_session.calendars()
    finally:
        _no_alarm(previous)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"the call ended {elapsed:.3f} s after it started (alarm at 0.2 s)"
    assert len(calbridge_session.calendars()) == 3  # the session carries on


def test_a_signal_handler_may_call_calbridge_while_a_main_thread_call_waits(
    calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session
) -> None:
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=1.0)
    returned = False
    seen: list[tuple[str, bool]] = []

    def call_back(signum: int, frame: object) -> None:
        seen.append((calbridge_session.account().account_id, returned))

    previous = _alarm_in(0.2, call_back)
    started = time.monotonic()
    try:
        calendars = calbridge_session.calendars()
        returned = True
    finally:
        _no_alarm(previous)
    elapsed = time.monotonic() - started
    # The handler ran once, while the call waited, and its own call worked.
    assert seen == [(calbridge_session.credentials().account_id, False)]
    assert len(calendars) == 3
    assert 1.0 <= elapsed < 5.0
