"""calbridge for asyncio: :class:`AsyncClient`, :class:`AsyncSession` and :class:`AsyncPaged`.

The same calls as :class:`calbridge.Client` and :class:`calbridge.Session`, as coroutines. Each
runs on a thread pool of the client's own (:data:`DEFAULT_MAX_WORKERS` threads unless told
otherwise), with the GIL released while it waits; cancelling the awaiting task cancels the call
in the core at once and frees its thread.

    client = calbridge.Client(CLIENT_ID, CLIENT_SECRET, store="sqlite:/var/lib/app/tokens.db")
    async with client.aio() as aclient:
        session = aclient.session(account_id)
        async for event in session.events(from_=date.today()):
            ...
"""

from __future__ import annotations

from ._runner import DEFAULT_MAX_WORKERS
from .client import AsyncClient
from .paged import AsyncPaged
from .session import AsyncSession

__all__ = ["AsyncClient", "AsyncSession", "AsyncPaged", "DEFAULT_MAX_WORKERS"]
