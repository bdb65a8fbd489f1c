#!/usr/bin/env python3
"""Runs a command against a fresh calbridge-sandbox (standard library only).

    run_with_sandbox.py SANDBOX_BINARY COMMAND [ARG ...]

Starts the sandbox on a free loopback port with its CA in a temporary directory, reads what it
reports once it serves (the ready JSON on a pipe, --ready-fd), passes that to the command as
environment variables
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sandbox"))
from sandbox_client import read_ready_pipe  # noqa: E402  (the pipe reader the sandbox tests use)

START_TIMEOUT = 120.0  # seconds: sanitizer builds start slowly on a loaded machine


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, command = sys.argv[1], sys.argv[2:]
    workdir = Path(tempfile.mkdtemp(prefix="calbridge-capi-"))
    log = workdir / "sandbox.log"
    read_end, write_end = os.pipe()
    try:
        with open(log, "wb") as out:
            sandbox = subprocess.Popen(
                [binary, "--port", "0", "--ready-fd", str(write_end), "--ca-file", str(workdir / "ca.pem"),
                 "--threads", "2", "--timeout", "10"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, pass_fds=(write_end,))
    finally:
        os.close(write_end)  # end-of-file once the sandbox serves, or once it exited
    status = 1
    try:
        try:
            text = read_ready_pipe(read_end, START_TIMEOUT)
        except TimeoutError:
            print(f"calbridge-sandbox was not ready in {START_TIMEOUT} s", file=sys.stderr)
            return 1
        if not text:
            print(f"calbridge-sandbox exited with {sandbox.wait()}:\n{log.read_text()}", file=sys.stderr)
            return 1
        ready = json.loads(text)
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
