"""Helpers shared by the Python tests (checked with mypy --strict)."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterable

import calbridge
from calbridge import Credentials
from calbridge.sandbox import Sandbox


#: The password in postgres_url (conftest.py): it must never show in a repr or a message.
POSTGRES_PASSWORD = "pw-never-shown-4711"


class DictStore:
    """A token store in plain Python (a dict and a lock), recording every call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Credentials, int]] = {}
        self.calls: list[tuple[str, str]] = []
        self.saved: list[Credentials] = []
        #: Called before each write; raise from it to make the write fail.
        self.before_write: Callable[[str, Credentials], None] | None = None

    def _write_hook(self, method: str, credentials: Credentials) -> None:
        if self.before_write is not None:
            self.before_write(method, credentials)

    def load(self, account: str) -> tuple[Credentials, int] | tuple[Credentials, int, bool] | None:
        with self._lock:
            self.calls.append(("load", account))
            return self._entries.get(account)

    def insert(self, account: str, credentials: Credentials) -> int | None:
        self._write_hook("insert", credentials)
        with self._lock:
            self.calls.append(("insert", account))
            if account in self._entries:
                return None
            self._entries[account] = (credentials, 1)
            self.saved.append(credentials)
            return 1

    def save(self, account: str, credentials: Credentials, expected_version: int) -> int | None:
        self._write_hook("save", credentials)
        with self._lock:
            self.calls.append(("save", account))
            current = self._entries.get(account)
            if current is None or current[1] != expected_version:
                return None
            self._entries[account] = (credentials, expected_version + 1)
            self.saved.append(credentials)
            return expected_version + 1

    def replace(self, account: str, credentials: Credentials) -> int:
        self._write_hook("replace", credentials)
        with self._lock:
            self.calls.append(("replace", account))
            current = self._entries.get(account)
            version = current[1] + 1 if current else 1
            self._entries[account] = (credentials, version)
            self.saved.append(credentials)
            return version

    def remove(self, account: str) -> bool:
        with self._lock:
            self.calls.append(("remove", account))
            return self._entries.pop(account, None) is not None

    def current(self, account: str) -> Credentials | None:
        with self._lock:
            entry = self._entries.get(account)
            return entry[0] if entry else None


class LeasingDictStore(DictStore):
    """A DictStore that several clients share as several processes would share a database:
    with the refresh lease (owner, expiry on the monotonic clock, epoch) and the reauthorization
    mark, counting every lease call."""

    def __init__(self) -> None:
        super().__init__()
        self._leases: dict[str, tuple[str, float, int]] = {}  # account -> (owner, until, epoch)
        self._epochs: dict[str, int] = {}
        self._marked: set[str] = set()
        self.grants = 0
        self.lease_calls: list[str] = []

    def load(self, account: str) -> tuple[Credentials, int] | tuple[Credentials, int, bool] | None:
        found = super().load(account)
        with self._lock:
            if found is not None and account in self._marked:
                return found[0], found[1], True
        return found

    def _written(self, account: str) -> None:
        with self._lock:
            self._leases.pop(account, None)
            self._marked.discard(account)

    def save(self, account: str, credentials: Credentials, expected_version: int) -> int | None:
        version = super().save(account, credentials, expected_version)
        if version is not None:
            self._written(account)
        return version

    def replace(self, account: str, credentials: Credentials) -> int:
        version = super().replace(account, credentials)
        self._written(account)
        return version

    def claim(self, account: str, expected_version: int, owner: str, ttl: float) -> calbridge.LeaseClaim:
        import time

        with self._lock:
            self.lease_calls.append("claim")
            entry = self._entries.get(account)
            if entry is None:
                return calbridge.LeaseClaim(calbridge.LeaseStatus.MISSING)
            credentials, version = entry
            if account in self._marked:
                return calbridge.LeaseClaim(calbridge.LeaseStatus.REAUTHORIZATION_REQUIRED, credentials, version)
            if version != expected_version:
                return calbridge.LeaseClaim(calbridge.LeaseStatus.VERSION_MOVED, credentials, version)
            now = time.monotonic()
            lease = self._leases.get(account)
            if lease is not None and lease[1] > now:
                return calbridge.LeaseClaim(calbridge.LeaseStatus.HELD, credentials, version, remaining=lease[1] - now)
            epoch = self._epochs.get(account, 0) + 1
            self._epochs[account] = epoch
            self._leases[account] = (owner, now + ttl, epoch)
            self.grants += 1
            return calbridge.LeaseClaim(calbridge.LeaseStatus.GRANTED, credentials, version, epoch=epoch)

    def renew(self, account: str, epoch: int, ttl: float) -> bool:
        import time

        with self._lock:
            self.lease_calls.append("renew")
            lease = self._leases.get(account)
            if lease is None or lease[2] != epoch:
                return False
            self._leases[account] = (lease[0], time.monotonic() + ttl, epoch)
            return True

    def release(self, account: str, epoch: int) -> None:
        with self._lock:
            self.lease_calls.append("release")
            lease = self._leases.get(account)
            if lease is not None and lease[2] == epoch:
                del self._leases[account]

    def mark_reauthorization_required(self, account: str, expected_version: int) -> bool:
        with self._lock:
            self.lease_calls.append("mark_reauthorization_required")
            entry = self._entries.get(account)
            if entry is None or entry[1] != expected_version:
                return False
            self._marked.add(account)
            self._leases.pop(account, None)
            return True

    def marked(self, account: str) -> bool:
        with self._lock:
            return account in self._marked


def secrets_of(credentials: Iterable[Credentials]) -> set[str]:
    """Every token of these credentials (the strings that must never be printed)."""
    found: set[str] = set()
    for c in credentials:
        found.update(s for s in (c.access_token, c.refresh_token) if s)
    return found


def assert_no_secret(text: str, secrets: Iterable[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ending in ...{secret[-4:]} was printed"


def token_requests(sandbox: Sandbox, grant: str) -> int:
    """How many token requests of this grant type the sandbox has served."""
    counts = sandbox.counters().get("token_requests")
    value = counts.get(grant) if isinstance(counts, dict) else None
    assert isinstance(value, int)
    return value


def wait_until_idle(sandbox: Sandbox, timeout: float = 15.0) -> None:
    """Waits until the sandbox serves nothing but this check: a reply an earlier test delayed
    is still counted in flight until its client hung up. The sandbox answers once at most one
    request (this one) is in flight, or after ``timeout``."""
    counters = sandbox.admin("GET", f"/counters?in_flight_at_most=1&wait_ms={int(timeout * 1000)}",
                             timeout=timeout + 30)
    assert isinstance(counters, dict) and counters.get("in_flight") == 1, "the sandbox stayed busy"


def printed_authorization_url(child: subprocess.Popen[str], prefix: str) -> str:
    """The authorization link ``calbridge connect --no-browser`` prints: the first line of its
    output that starts with ``prefix`` (the server's ``/oauth/authorize?``). Its stderr in the
    failure when it ends without one."""
    assert child.stdout is not None
    while True:
        line = child.stdout.readline()
        assert line, child.stderr.read() if child.stderr else ""
        if line.strip().startswith(prefix):
            return line.strip()
