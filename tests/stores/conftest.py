"""Fixtures for the multi-process store scenarios: one sandbox and one PostgreSQL server for the
session (both started here, never found running), a fresh store of each kind per test, and
workers: real processes of tests/stores/store_worker.cpp driven over their stdin and stdout."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "sandbox"))
sys.path.insert(0, str(HERE.parent / "support"))

import postgres_cluster  # noqa: E402
from sandbox_client import Sandbox, start_sandbox  # noqa: E402

WORKER = os.environ.get("CALBRIDGE_STORE_WORKER", "")
# A safety net for a wait that never ends (a hung worker), never a timing: every wait below
# ends on an event (a line, an exit) long before it on a healthy run, sanitizers included.
SAFETY = 180.0
STORE_KINDS = ["file", "sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb = start_sandbox(tmp_path_factory.mktemp("sandbox"), "--timeout", "30")
    yield sb
    code = sb.stop()
    assert code == 0, f"the sandbox exited with {code}:\n{sb.output()}"


class Cluster:
    """The suite's PostgreSQL server. Its directory is a fresh one under the system's temporary
    directory: pytest's own is private to root, and the server runs as `postgres`."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="calbridge-pg-")
        self.url = postgres_cluster.start(self.directory)

    def sql(self, statement: str) -> str:
        return postgres_cluster.sql(self.directory, statement)

    def halt(self) -> None:
        postgres_cluster.halt(self.directory)

    def start(self) -> None:
        assert postgres_cluster.start(self.directory) == self.url

    def stop(self) -> None:
        postgres_cluster.stop(self.directory)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    cluster = Cluster()
    yield cluster
    cluster.stop()


class Account:
    """The sandbox's default user, connected once per test, with its credentials seeded into
    `store` (expired unless told otherwise)."""

    def __init__(self, sandbox: Sandbox, store: str, env: dict[str, str]) -> None:
        self.sandbox = sandbox
        self.store = store
        self.env = env
        self.id = ""

    def connect(self, expired: bool = True) -> int:
        reply = self.sandbox.connect()
        self.id = reply["account_id"]
        out = subprocess.run(
            [WORKER, "seed", "--store", self.store, "--account", self.id, *(["--expired"] if expired else [])],
            input=json.dumps(reply), capture_output=True, text=True, env=self.env, timeout=SAFETY, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        return int(json.loads(out.stdout)["version"])

    def stored(self) -> dict[str, Any]:
        out = subprocess.run([WORKER, "load", "--store", self.store, "--account", self.id],
                             capture_output=True, text=True, env=self.env, timeout=SAFETY, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        return json.loads(out.stdout)

    def refreshes(self) -> int:
        return int(self.sandbox.admin_ok("GET", "/admin/counters")["token_requests"]["refresh_token"])


class Worker:
    """One worker process; lines from its stdout arrive through a reader thread."""

    def __init__(self, account: Account, *args: str, threads: int = 1, log_dir: Path) -> None:
        cmd = [WORKER, "run", "--store", account.store, "--account", account.id, "--threads", str(threads), *args]
        self.stderr = open(log_dir / f"worker-{id(self)}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                        text=True, env=account.env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.results: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, wanted: str) -> None:
        """Waits for the line `wanted`, collecting call results on the way."""
        while True:
            line = self.lines.get(timeout=SAFETY)
            assert line is not None, f"worker exited ({self.process.wait()}) before printing {wanted!r}"
            if line.startswith("{"):
                self.results.append(json.loads(line))
                continue
            assert line == wanted, f"worker printed {line!r}, expected {wanted!r}"
            return

    def send(self, line: str = "go") -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self) -> list[dict[str, Any]]:
        self.expect("done")
        assert self.process.wait(timeout=SAFETY) == 0
        return self.results

    def signal(self, sig: int) -> None:
        os.kill(self.process.pid, sig)

    def wait_stopped(self) -> None:
        """Until the kernel reports the process stopped (SIGSTOP delivered)."""
        os.waitid(os.P_PID, self.process.pid, os.WSTOPPED | os.WNOWAIT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=SAFETY)

    def close(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except BrokenPipeError:
                    pass  # unread input of a worker that is gone
        self.stderr.close()


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind = request.param
    if kind == "file":
        return f"file:{tmp_path / 'credentials'}"
    if kind == "sqlite":
        return f"sqlite:{tmp_path / 'credentials.db'}"
    cluster: Cluster = request.getfixturevalue("postgres")
    cluster.sql("DROP TABLE IF EXISTS calbridge_credentials CASCADE")
    return cluster.url


@pytest.fixture
def account(sandbox: Sandbox, store: str, tmp_path: Path) -> Account:
    assert WORKER, "CALBRIDGE_STORE_WORKER names the worker binary"
    assert sandbox.process.poll() is None, sandbox.output()
    sandbox.admin_ok("POST", "/admin/reset")
    env = dict(os.environ)
    env.update({
        "CALBRIDGE_TEST_API_URL": sandbox.url,
        "CALBRIDGE_TEST_CA_FILE": str(sandbox.ca_file),
        "CALBRIDGE_TEST_CLIENT_ID": sandbox.client_id,
        "CALBRIDGE_TEST_CLIENT_SECRET": sandbox.client_secret,
    })
    return Account(sandbox, store, env)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Any]:
    started: list[Worker] = []

    def start(account: Account, *args: str, threads: int = 1) -> Worker:
        w = Worker(account, *args, threads=threads, log_dir=tmp_path)
        started.append(w)
        return w

    yield start
    for w in started:
        w.close()
