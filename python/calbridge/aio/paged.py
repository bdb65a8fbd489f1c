"""Paged listings (events, free/busy) for asyncio: :class:`AsyncPaged`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Generic

from .._core import CancelToken
from ..session import Item, Paged, _NativePages
from ._runner import Runner

__all__ = ["AsyncPaged"]


class AsyncPaged(Generic[Item]):
    """The items of a paged listing, fetched a page at a time (each fetch on the client's
    thread pool) as you iterate with ``async for``. Nothing is requested before the first item
    is wanted. One consumer at a time; iterate it once.

    Cancelling the task while it waits for a page cancels that fetch at once and leaves the
    listing cancelled: any later fetch raises :class:`calbridge.CancelledError` (make a new
    listing to start again).

    >>> async for event in session.events(from_=date.today()):
    ...     print(event.summary)
    """

    __slots__ = ("_runner", "_token", "_pages", "_buffer", "_done", "_current_page", "_total_pages")

    def __init__(self, make: Callable[[CancelToken], Paged[Item]], runner: Runner) -> None:
        self._runner = runner
        self._token = CancelToken()
        # The native pages under the sync listing (no I/O yet): unlike its iterator, they raise
        # CancelledError again on every fetch once cancelled, rather than looking finished.
        self._pages: _NativePages[Item] = make(self._token)._pages
        self._buffer: list[Item] = []
        self._done = False
        # Read in the fetching thread: the native counters wait for a fetch in flight.
        self._current_page = 0
        self._total_pages = 0

    def _fetch(self) -> list[Item] | None:
        page = self._pages.next()
        self._current_page, self._total_pages = self._pages.current_page, self._pages.total_pages
        return page

    async def _next_page(self) -> list[Item] | None:
        if self._done:
            return None
        page = await self._runner.run(lambda _: self._fetch(), self._token)
        if page is None:
            self._done = True
        return page

    def __aiter__(self) -> AsyncPaged[Item]:
        return self

    async def __anext__(self) -> Item:
        while not self._buffer:
            page = await self._next_page()
            if page is None:
                raise StopAsyncIteration
            self._buffer = list(reversed(page))
        return self._buffer.pop()

    async def pages(self) -> AsyncIterator[list[Item]]:
        """The remaining pages, as lists (the rest of a page already started comes first)."""
        if self._buffer:
            rest, self._buffer = list(reversed(self._buffer)), []
            yield rest
        while (page := await self._next_page()) is not None:
            yield page

    async def all(self) -> list[Item]:
        """Every remaining item."""
        return [item async for item in self]

    @property
    def current_page(self) -> int:
        """The last page fetched; 0 before the first (no I/O, never waits)."""
        return self._current_page

    @property
    def total_pages(self) -> int:
        """How many pages the server said there are; 0 before the first fetch or when unknown."""
        return self._total_pages

    def __repr__(self) -> str:
        return f"<AsyncPaged page {self.current_page} of {self.total_pages or '?'}>"
