"""A Starlette app over calbridge.aio, served by a real uvicorn server on a loopback port, for
test_aio_asgi.py (checked with mypy --strict).

``GET /calendars?tag=T`` lists the user's calendars through an AsyncSession. The call runs as
a task of its own that is cancelled when the HTTP client disconnects (the handler watches the
ASGI ``http.disconnect`` message: uvicorn does not cancel handlers itself), or when
``POST /cancel/T`` asks for it (a server-side cancellation, as a deadline or a shutdown would
make); a cancelled call answers 503.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeVar

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import calbridge
from calbridge.aio import AsyncClient, AsyncSession

_T = TypeVar("_T")


class AppState:
    """What the app holds: the async client (closed with the app), the user's session, and the
    calls in flight by tag."""

    def __init__(self, aclient: AsyncClient, account: str) -> None:
        self.aclient = aclient
        self.session: AsyncSession = aclient.session(account)
        self.calls: dict[str, asyncio.Task[list[calbridge.Calendar]]] = {}


async def _cancel_on_disconnect(request: Request, call: asyncio.Task[_T]) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            call.cancel()
            return


def make_app(state: AppState) -> Starlette:
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def calendars(request: Request) -> JSONResponse:
        tag = request.query_params.get("tag", "")
        call = asyncio.create_task(state.session.calendars(timeout=30))
        if tag:
            state.calls[tag] = call
        watcher = asyncio.create_task(_cancel_on_disconnect(request, call))
        try:
            found = await call
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the handler itself is cancelled (shutdown)
            return JSONResponse({"error": "cancelled"}, status_code=503)
        finally:
            watcher.cancel()
            state.calls.pop(tag, None)
        return JSONResponse([c.calendar_id for c in found])

    async def cancel(request: Request) -> JSONResponse:
        call = state.calls.get(request.path_params["tag"])
        if call is None:
            return JSONResponse({"error": "no such call"}, status_code=404)
        cancelled_at = time.monotonic()
        call.cancel()
        return JSONResponse({"cancelled_at": cancelled_at})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with state.aclient:
            yield

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/calendars", calendars),
            Route("/cancel/{tag}", cancel, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Serves ``app`` with uvicorn in a thread on a loopback port; yields its base URL once it
    has answered a request, and stops it on the way out."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)  # connections queue until uvicorn accepts them: no retry loop needed
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="uvicorn")
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        answer = httpx.get(f"{url}/health", timeout=30)  # waits for the server to serve it
        assert answer.status_code == 200
        yield url
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()
        assert not thread.is_alive(), "uvicorn did not stop"
