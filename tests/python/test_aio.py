"""calbridge.aio: the calls as coroutines on the client's own thread pool; cancelling the
awaiting task cancels the core call and frees its thread at once; sync and async callers of one
client share one refresh."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

import calbridge
from calbridge.aio import DEFAULT_MAX_WORKERS, AsyncClient, AsyncSession
from calbridge.sandbox import Sandbox

from aio_support import ObservedExecutor, async_wait_for_faults_applied
from helpers import token_requests

#: How long the sandbox holds a delayed reply (see test_cancel.py).
HELD = 3.0


def test_the_async_classes_mirror_every_public_method_of_the_sync_ones() -> None:
    for sync_cls, async_cls in ((calbridge.Client, AsyncClient), (calbridge.Session, AsyncSession)):
        for name, fn in inspect.getmembers(sync_cls, inspect.isfunction):
            if name.startswith("_") or name == "aio":
                continue
            mirror = getattr(async_cls, name, None)
            assert mirror is not None, f"{async_cls.__name__}.{name} is missing"
            sync_params = inspect.signature(fn).parameters
            assert list(inspect.signature(mirror).parameters) == [p for p in sync_params if p != "cancel"], name
            blocking = "cancel" in sync_params and name not in ("events", "free_busy")
            assert inspect.iscoroutinefunction(mirror) == blocking, f"{async_cls.__name__}.{name}"


def test_calls_and_listings_run_on_the_clients_own_pool(
    calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials
) -> None:
    session = calbridge_client.session(calbridge_credentials.account_key)

    async def main() -> None:
        async with calbridge_client.aio() as aclient:
            assert aclient.client is calbridge_client
            assert isinstance(aclient.executor, concurrent.futures.ThreadPoolExecutor)
            assert aclient.executor._max_workers == DEFAULT_MAX_WORKERS
            asession = aclient.session(calbridge_credentials.account_key)
            assert asession.session.account_key == session.account_key
            calendars = await asession.calendars()
            assert [c.calendar_id for c in calendars] == [c.calendar_id for c in session.calendars()]
            assert (await asession.account()).account_id == calbridge_credentials.account_key
            events = [e.event_uid async for e in asession.events()]
            assert events and events == [e.event_uid for e in session.events()]
            listing = asession.free_busy()
            pages = [page async for page in listing.pages()]
            assert sum(len(p) for p in pages) == len(session.free_busy().all())
            assert listing.current_page >= 1
            start = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
            await asession.upsert_event(
                calendars[0].calendar_id,
                {"event_id": "aio-1", "summary": "aio", "start": start, "end": start + timedelta(hours=1)},
            )
            managed = await asession.events(from_="2026-12-01", to="2026-12-02", only_managed=True).all()
            assert [e.event_id for e in managed] == ["aio-1"]
            # Never the loop's default executor.
            assert getattr(asyncio.get_running_loop(), "_default_executor") is None
        assert aclient.closed
        with pytest.raises(RuntimeError):
            await asession.calendars()

    asyncio.run(main())


def test_cancelling_the_task_cancels_the_core_call_and_frees_its_thread_at_once(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials
) -> None:
    executor = ObservedExecutor(max_workers=1)
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=HELD)

    async def main() -> None:
        async with AsyncClient.from_client(calbridge_client, executor=executor) as aclient:
            session = aclient.session(calbridge_credentials.account_key)
            task = asyncio.create_task(session.calendars(timeout=30))
            await async_wait_for_faults_applied(calbridge_sandbox, 1)
            cancelled_at = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            returned = executor.next_return()
            assert isinstance(returned.error, calbridge.CancelledError), returned.error
            assert returned.at - cancelled_at < 0.1
            # The pool's only thread is free: the next call runs (the fault was used up).
            assert await session.calendars()

    asyncio.run(main())
    executor.shutdown()


def test_a_call_cancelled_while_queued_never_starts(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials
) -> None:
    executor = ObservedExecutor(max_workers=1)
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=HELD, count=2)

    async def main() -> None:
        async with calbridge_client.aio(executor=executor) as aclient:
            session = aclient.session(calbridge_credentials.account_key)
            running = asyncio.create_task(session.calendars(timeout=30))
            await async_wait_for_faults_applied(calbridge_sandbox, 1)
            queued = asyncio.create_task(session.calendars(timeout=30))
            await asyncio.to_thread(executor.wait_submitted, 2)  # it has queued its call
            queued.cancel()
            running.cancel()
            for task in (queued, running):
                with pytest.raises(asyncio.CancelledError):
                    await task
            assert isinstance(executor.next_return().error, calbridge.CancelledError)
            assert executor.returned.empty()  # the queued call never ran
            assert calbridge_sandbox.counters()["faults_applied"] == 1

    asyncio.run(main())
    executor.shutdown()


def test_cancelling_a_page_fetch_frees_its_thread_and_the_listing_stays_cancelled(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials
) -> None:
    executor = ObservedExecutor(max_workers=2)
    calbridge_sandbox.fault("/v1/events", "delay", method="GET", delay=HELD)

    async def main() -> None:
        async with calbridge_client.aio(executor=executor) as aclient:
            listing = aclient.session(calbridge_credentials.account_key).events(timeout=30)

            async def first() -> calbridge.Event:
                async for event in listing:
                    return event
                raise AssertionError("no events")

            task = asyncio.create_task(first())
            await async_wait_for_faults_applied(calbridge_sandbox, 1)
            cancelled_at = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            returned = executor.next_return()
            assert isinstance(returned.error, calbridge.CancelledError)
            assert returned.at - cancelled_at < 0.1
            with pytest.raises(calbridge.CancelledError):
                await listing.all()

    asyncio.run(main())
    executor.shutdown()


def test_closing_cancels_the_calls_still_running(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials
) -> None:
    calbridge_sandbox.fault("/v1/calendars", "delay", method="GET", delay=HELD)

    async def main() -> None:
        aclient = AsyncClient(calbridge_client, max_workers=4)
        task = asyncio.create_task(aclient.session(calbridge_credentials.account_key).calendars(timeout=30))
        await async_wait_for_faults_applied(calbridge_sandbox, 1)
        closed_at = time.monotonic()
        await aclient.aclose()
        assert time.monotonic() - closed_at < 0.1  # the thread returned: aclose waited for it
        with pytest.raises(calbridge.CancelledError):
            await task
        await aclient.aclose()  # idempotent
        # The sync client carries on.
        assert calbridge_client.session(calbridge_credentials.account_key).calendars()

    asyncio.run(main())


def test_sync_and_async_callers_of_one_client_share_one_refresh(
    calbridge_sandbox: Sandbox, calbridge_credentials: calbridge.Credentials
) -> None:
    client = calbridge_sandbox.client()
    expired = calbridge_credentials.replace(expires_at=datetime.now(timezone.utc) - timedelta(minutes=5))
    session = client.session(expired)  # stored, already expired
    # The first caller's refresh is held at the sandbox while every other caller arrives.
    calbridge_sandbox.fault("/oauth/token", "delay", method="POST", delay=1.0)
    before = token_requests(calbridge_sandbox, "refresh_token")
    results: list[int] = []
    lock = threading.Lock()

    def sync_call() -> None:
        count = len(session.calendars())
        with lock:
            results.append(count)

    async def main() -> None:
        async with client.aio(max_workers=8) as aclient:
            asession = aclient.session(expired.account_key)
            first = asyncio.create_task(asession.calendars())
            await async_wait_for_faults_applied(calbridge_sandbox, 1)  # the refresh is in flight
            threads = [threading.Thread(target=sync_call) for _ in range(8)]
            for t in threads:
                t.start()
            counts = await asyncio.gather(first, *(asession.calendars() for _ in range(8)))
            for t in threads:
                await asyncio.to_thread(t.join, 30)
            results.extend(len(c) for c in counts)

    asyncio.run(main())
    assert results == [3] * 17
    assert token_requests(calbridge_sandbox, "refresh_token") == before + 1
    assert calbridge_sandbox.counters()["faults_applied"] == 1
