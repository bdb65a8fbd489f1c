"""calbridge.aio in a real ASGI app (Starlette under uvicorn, asgi_app.py): 200 concurrent
requests all succeed; a call cancelled server-side, and one whose HTTP client disconnects
mid-request, are cancelled in the core and free their thread at once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

import calbridge
from calbridge.sandbox import Sandbox

from aio_support import ObservedExecutor, wait_for_faults_applied
from asgi_app import AppState, make_app, serve

#: How long the sandbox holds a delayed reply (see test_cancel.py).
HELD = 3.0


@dataclass
class Served:
    url: str
    executor: ObservedExecutor
    state: AppState


@pytest.fixture
def served(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials
) -> Iterator[Served]:
    executor = ObservedExecutor(max_workers=64)
    state = AppState(calbridge_client.aio(executor=executor), calbridge_credentials.account_key)
    with serve(make_app(state)) as url:
        yield Served(url, executor, state)
    executor.shutdown()


def test_200_concurrent_requests_all_succeed(
    served: Served, calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session
) -> None:
    expected = [c.calendar_id for c in calbridge_session.calendars()]
    before = calbridge_sandbox.counters()

    async def main() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=served.url, limits=limits, timeout=60) as http:
            return await asyncio.gather(*(http.get("/calendars") for _ in range(200)))

    answers = asyncio.run(main())
    assert [a.status_code for a in answers] == [200] * 200
    assert all(a.json() == expected for a in answers)
    returned = [served.executor.next_return() for _ in range(200)]
    assert all(r.error is None for r in returned)
    assert served.executor.peak > 1  # the pool ran calls side by side
    after = calbridge_sandbox.counters()
    ok_before, ok_after = before["responses"], after["responses"]
    assert isinstance(ok_before, dict) and isinstance(ok_after, dict)
    assert isinstance(ok_before["2xx"], int) and isinstance(ok_after["2xx"], int)
    assert ok_after["2xx"] - ok_before["2xx"] >= 200


def test_a_call_cancelled_server_side_is_cancelled_in_the_core_and_frees_its_thread(
    served: Served, calbridge_sandbox: Sandbox
) -> None:
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=HELD)
    with httpx.Client(base_url=served.url, timeout=30) as http:
        answers: list[httpx.Response] = []
        request = threading.Thread(target=lambda: answers.append(http.get("/calendars", params={"tag": "a"})))
        request.start()
        wait_for_faults_applied(calbridge_sandbox, 1)  # the call is held at the sandbox
        with httpx.Client(base_url=served.url, timeout=30) as other:
            cancelled_at = other.post("/cancel/a").json()["cancelled_at"]
        returned = served.executor.next_return()
        request.join(30)
    assert isinstance(returned.error, calbridge.CancelledError), returned.error
    assert returned.at - cancelled_at < 0.1
    assert answers[0].status_code == 503 and answers[0].json() == {"error": "cancelled"}


def test_a_client_disconnecting_mid_request_cancels_the_core_call(served: Served, calbridge_sandbox: Sandbox) -> None:
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=HELD)
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"GET /calendars?tag=b HTTP/1.1\r\nHost: test\r\n\r\n")
        wait_for_faults_applied(calbridge_sandbox, 1)  # the call is held at the sandbox
        disconnected_at = time.monotonic()
    returned = served.executor.next_return()
    assert isinstance(returned.error, calbridge.CancelledError), returned.error
    assert returned.at - disconnected_at < 0.1
    # The app carries on.
    assert httpx.get(f"{served.url}/calendars", timeout=30).status_code == 200
