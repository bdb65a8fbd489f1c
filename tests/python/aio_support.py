"""What the asyncio tests observe (checked with mypy --strict): an executor that reports each
call's return, and waiting for the sandbox to hold a delayed request."""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from calbridge.sandbox import Sandbox

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Returned:
    """One call that left its executor thread: when (time.monotonic()), and how."""

    at: float
    error: BaseException | None
    thread: str


class ObservedExecutor(concurrent.futures.ThreadPoolExecutor):
    """A thread pool that puts a :class:`Returned` on :attr:`returned` as each call's function
    returns or raises in its thread (before its future completes), and counts the calls
    submitted and the calls that are running."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers, thread_name_prefix="observed")
        self.returned: queue.Queue[Returned] = queue.Queue()
        self._lock = threading.Lock()
        self._submitted_changed = threading.Condition(self._lock)
        self.submitted = 0
        self.running = 0
        self.peak = 0

    def wait_submitted(self, count: int, timeout: float = 10.0) -> None:
        """Waits until ``count`` calls have been submitted (queued or running). From a
        coroutine: ``await asyncio.to_thread(executor.wait_submitted, n)``, so the loop that
        submits them keeps running."""
        with self._submitted_changed:
            done = self._submitted_changed.wait_for(lambda: self.submitted >= count, timeout)
        assert done, f"{self.submitted} calls were submitted, not {count}"

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> concurrent.futures.Future[_T]:
        with self._submitted_changed:
            self.submitted += 1
            self._submitted_changed.notify_all()

        def observed() -> _T:
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            error: BaseException | None = None
            try:
                return fn(*args, **kwargs)
            except BaseException as e:
                error = e
                raise
            finally:
                with self._lock:
                    self.running -= 1
                self.returned.put(Returned(time.monotonic(), error, threading.current_thread().name))

        return super().submit(observed)

    def next_return(self, timeout: float = 10.0) -> Returned:
        """The next call to return (waits for it)."""
        return self.returned.get(timeout=timeout)


def wait_for_faults_applied(sandbox: Sandbox, count: int, timeout: float = 15.0) -> None:
    """Waits until the sandbox has matched ``count`` requests to fault rules since its reset: a
    request a "delay" rule matched is then held there, in flight. One admin request, which the
    sandbox answers when its counter gets there (or after ``timeout``)."""
    counters = sandbox.admin("GET", f"/counters?faults_applied={count}&wait_ms={int(timeout * 1000)}",
                             timeout=timeout + 10)
    assert isinstance(counters, dict)
    applied = counters.get("faults_applied")
    assert isinstance(applied, int) and applied >= count, f"the sandbox matched {applied} faulted requests, not {count}"


async def async_wait_for_faults_applied(sandbox: Sandbox, count: int, timeout: float = 15.0) -> None:
    """:func:`wait_for_faults_applied` for a coroutine: the admin request waits on a thread, the
    event loop keeps running."""
    await asyncio.to_thread(wait_for_faults_applied, sandbox, count, timeout)
