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
    returns or raises in its thread (before its future completes), and counts the calls that
    are running."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers, thread_name_prefix="observed")
        self.returned: queue.Queue[Returned] = queue.Queue()
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> concurrent.futures.Future[_T]:
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
    request a "delay" rule matched is then held there, in flight."""
    deadline = time.monotonic() + timeout
    while True:
        applied = sandbox.counters().get("faults_applied")
        if isinstance(applied, int) and applied >= count:
            return
        assert time.monotonic() < deadline, f"the sandbox matched {applied} faulted requests, not {count}"
        time.sleep(0.01)  # the sandbox has no wait for this counter: ask again


async def async_wait_for_faults_applied(sandbox: Sandbox, count: int, timeout: float = 15.0) -> None:
    """:func:`wait_for_faults_applied` for a coroutine (the event loop keeps running)."""
    deadline = time.monotonic() + timeout
    while True:
        applied = sandbox.counters().get("faults_applied")
        if isinstance(applied, int) and applied >= count:
            return
        assert time.monotonic() < deadline, f"the sandbox matched {applied} faulted requests, not {count}"
        await asyncio.sleep(0.01)
