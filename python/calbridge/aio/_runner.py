"""Where the asyncio API's blocking calls run: a thread pool of their own, and the link from an
awaiting task's cancellation to the call's :class:`~calbridge.CancelToken`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .._core import CancelToken

__all__ = ["DEFAULT_MAX_WORKERS", "Runner"]

#: Threads of the pool an :class:`~calbridge.aio.AsyncClient` makes when it is given none: how
#: many calls can wait on the network at once. Each waiting call holds one thread (without the
#: GIL); a call beyond that waits for a free thread, and that wait counts in its latency but
#: not in its ``timeout``.
DEFAULT_MAX_WORKERS = 64

_T = TypeVar("_T")


class Runner:
    """Runs blocking calls on an executor, one :class:`CancelToken` per call.

    When the task awaiting :meth:`run` is cancelled, the call's token is cancelled at once: the
    core call ends with :class:`calbridge.CancelledError` in its thread (dropped there), the
    thread is free again, and the task sees :class:`asyncio.CancelledError`. A call still queued
    for a thread never starts."""

    def __init__(self, executor: concurrent.futures.Executor | None, max_workers: int) -> None:
        if executor is None:
            if max_workers < 1:
                raise ValueError("max_workers must be at least 1")
            executor = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="calbridge-aio")
            self._owned = True
        else:
            self._owned = False
        self._executor = executor
        self._lock = threading.Lock()
        self._closed = False
        # Calls submitted and not yet returned, with their tokens (aclose cancels them).
        self._running: dict[concurrent.futures.Future[Any], CancelToken] = {}

    @property
    def executor(self) -> concurrent.futures.Executor:
        return self._executor

    @property
    def closed(self) -> bool:
        return self._closed

    def _finished(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._running.pop(future, None)

    async def run(self, call: Callable[[CancelToken], _T], token: CancelToken | None = None) -> _T:
        """``call(token)`` on the executor; ``token`` defaults to a new one."""
        if token is None:
            token = CancelToken()
        with self._lock:
            if self._closed:
                raise RuntimeError("the AsyncClient is closed")
            future = self._executor.submit(call, token)
            self._running[future] = token
        future.add_done_callback(self._finished)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # wrap_future has cancelled `future` already (effective only while it is queued).
            token.cancel()
            raise

    async def aclose(self) -> None:
        """Cancels the calls still running, waits for their threads to return them, and shuts
        the executor down when it is this runner's own. Idempotent."""
        with self._lock:
            first = not self._closed
            self._closed = True
            running = list(self._running.items())
        for future, token in running:
            token.cancel()
            future.cancel()
        if first and self._owned:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if running:
            await asyncio.wait([asyncio.wrap_future(future) for future, _ in running])
