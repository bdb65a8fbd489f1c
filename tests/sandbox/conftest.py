"""Fixtures for the calbridge-sandbox suite: one sandbox for the session (reset before every
test through the admin API), and a factory for tests that need a process of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox_client import Sandbox, start_sandbox

# Short I/O timeout so the silent-client tests finish quickly; a request here takes
# milliseconds, so it never cuts off a real one.
SESSION_TIMEOUT = "3"


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb = start_sandbox(tmp_path_factory.mktemp("sandbox"), "--timeout", SESSION_TIMEOUT)
    yield sb
    code = sb.stop()
    assert code == 0, f"the sandbox exited with {code}:\n{sb.output()}"


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from the initial state (reset through the admin API), and leaves the
    sandbox running: whatever a test sends, the process must survive it."""
    if "sandbox" not in request.fixturenames:
        yield
        return
    sb: Sandbox = request.getfixturevalue("sandbox")
    assert sb.process.poll() is None, f"the sandbox died:\n{sb.output()}"
    sb.admin_ok("POST", "/admin/reset")
    yield
    assert sb.process.poll() is None, f"the sandbox died during the test:\n{sb.output()}"


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    """Starts extra sandboxes with their own options; stops them after the test."""
    started: list[Sandbox] = []

    def make(*args: str) -> Sandbox:
        sb = start_sandbox(tmp_path, *args, name=f"sandbox{len(started)}")
        started.append(sb)
        return sb

    yield make
    for sb in started:
        if sb.process.poll() is None:
            sb.process.kill()
            sb.process.wait()
