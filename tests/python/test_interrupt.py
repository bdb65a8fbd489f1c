"""Ctrl-C interrupts a call blocked on a silent server within a second."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import calbridge
from calbridge.sandbox import Sandbox

CHILD = textwrap.dedent(
    """
    import sys, time
    import calbridge
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
        deadline = time.monotonic() + 10
        while calbridge_sandbox.counters()["faults_applied"] != 1:
            assert time.monotonic() < deadline, "the child's request never reached the sandbox"
            time.sleep(0.02)
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
