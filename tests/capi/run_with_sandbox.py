#!/usr/bin/env python3
"""Runs a command against a fresh calbridge-sandbox (standard library only).

    run_with_sandbox.py SANDBOX_BINARY COMMAND [ARG ...]

Starts the sandbox on a free loopback port with its ready file and CA in a temporary
directory, passes what the ready file says to the command as environment variables
(CALBRIDGE_SANDBOX_API_URL, _APP_URL, _CA_FILE, _CLIENT_ID, _CLIENT_SECRET, _ADMIN_TOKEN), and
exits with the command's status after stopping the sandbox. The sandbox's own output is shown
when the command fails or the sandbox does not stop cleanly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_TIMEOUT = 120.0  # seconds: sanitizer builds start slowly on a loaded machine


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, command = sys.argv[1], sys.argv[2:]
    workdir = Path(tempfile.mkdtemp(prefix="calbridge-capi-"))
    ready_file = workdir / "ready.json"
    log = workdir / "sandbox.log"
    with open(log, "wb") as out:
        sandbox = subprocess.Popen(
            [binary, "--port", "0", "--ready-file", str(ready_file), "--ca-file", str(workdir / "ca.pem"),
             "--threads", "2", "--timeout", "10"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    status = 1
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready_file.exists():
            if sandbox.poll() is not None:
                print(f"calbridge-sandbox exited with {sandbox.returncode}:\n{log.read_text()}", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"calbridge-sandbox wrote no ready file in {START_TIMEOUT} s", file=sys.stderr)
                return 1
            time.sleep(0.02)
        ready = json.loads(ready_file.read_text())
        env = dict(os.environ)
        for key in ("api_url", "app_url", "ca_file", "client_id", "client_secret", "admin_token"):
            env["CALBRIDGE_SANDBOX_" + key.upper()] = str(ready[key])
        status = subprocess.call(command, env=env)
    finally:
        if sandbox.poll() is None:
            sandbox.send_signal(signal.SIGTERM)
            try:
                sandbox.wait(30)
            except subprocess.TimeoutExpired:
                sandbox.kill()
                sandbox.wait()
        if status != 0 or sandbox.returncode != 0:
            print(f"--- calbridge-sandbox (exit {sandbox.returncode}) ---\n{log.read_text(errors='replace')}",
                  file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
