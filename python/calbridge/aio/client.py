"""The asyncio face of :class:`calbridge.Client`: :class:`AsyncClient`."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar, overload

from .._core import CancelToken
from .._types import JSON, Seconds
from ..client import AuthorizationRequest, Client, TransportStats
from ..credentials import Credentials
from ..push import PushNotification
from ..scheduling import AvailabilityQuery, AvailabilityResult
from ..stores import TokenStore
from ._runner import DEFAULT_MAX_WORKERS, Runner
from .session import AsyncSession

if TYPE_CHECKING:
    from ..session import EventValue, QueryValue

__all__ = ["AsyncClient"]

_T = TypeVar("_T")


class AsyncClient:
    """A :class:`calbridge.Client` for asyncio code: the same calls, as coroutines.

    >>> client = calbridge.Client(CLIENT_ID, CLIENT_SECRET, store="sqlite:/var/lib/app/tokens.db")
    >>> async with client.aio() as aclient:            # or AsyncClient(client)
    ...     session = aclient.session(account_id)
    ...     calendars = await session.calendars()
    ...     async for event in session.events(from_=date.today()):
    ...         ...

    It wraps ``client`` (the same core client, so the same token store, connection pool and
    refresh coordination: sync and async callers of one client share one refresh) and runs each
    call on a thread pool of its own, ``max_workers`` threads (default
    :data:`~calbridge.aio.DEFAULT_MAX_WORKERS`), never the event loop's default executor; or
    on ``executor`` when given (then closing does not shut it down).

    Cancelling the task that awaits a call (``task.cancel()``, ``asyncio.timeout``, a client
    that disconnects from your web server...) cancels the call itself at once: its thread is
    free again and the task sees :class:`asyncio.CancelledError`. What the server did with a
    request already sent stays done, and a call cancelled during its own token refresh keeps
    its thread until the refreshed credentials are stored (see :class:`calbridge.CancelToken`).

    Close it (``async with``, or :meth:`aclose`) to cancel the calls still running and release
    its threads. Calls that do no I/O (:meth:`authorization_url`, :meth:`verify_push`,
    :meth:`session`, :meth:`transport_stats`) are plain methods.
    """

    __slots__ = ("_client", "_runner")

    def __init__(
        self,
        client: Client,
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
        executor: concurrent.futures.Executor | None = None,
    ) -> None:
        if not isinstance(client, Client):
            raise TypeError(f"AsyncClient() wraps a calbridge.Client, not {type(client).__name__}")
        self._client = client
        self._runner = Runner(executor, max_workers)

    @classmethod
    def from_client(
        cls,
        client: Client,
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
        executor: concurrent.futures.Executor | None = None,
    ) -> AsyncClient:
        """The same as ``AsyncClient(client, ...)`` and ``client.aio(...)``."""
        return cls(client, max_workers=max_workers, executor=executor)

    async def _run(self, call: Callable[[CancelToken], _T]) -> _T:
        return await self._runner.run(call)

    # --- lifetime -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Cancels the calls still running, waits for their threads, and shuts the thread pool
        down (unless it was given). Later calls raise RuntimeError. The wrapped
        :class:`~calbridge.Client` stays usable."""
        await self._runner.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        return self._runner.closed

    @property
    def executor(self) -> concurrent.futures.Executor:
        """Where the calls run."""
        return self._runner.executor

    # --- what it is ---------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The wrapped synchronous client."""
        return self._client

    @property
    def client_id(self) -> str:
        return self._client.client_id

    @property
    def data_center(self) -> str:
        return self._client.data_center

    @property
    def api_url(self) -> str:
        return self._client.api_url

    @property
    def app_url(self) -> str:
        return self._client.app_url

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        return self._client.redirect_uris

    @property
    def store(self) -> TokenStore:
        return self._client.store

    def __repr__(self) -> str:
        return f"AsyncClient({self._client!r})"

    def transport_stats(self) -> TransportStats:
        """See :meth:`calbridge.Client.transport_stats` (no I/O)."""
        return self._client.transport_stats()

    # --- the browser leg ----------------------------------------------------------------------

    def authorization_url(
        self,
        redirect_uri: str,
        scope: Iterable[str] | str,
        *,
        state: str | None = None,
        pkce: bool = True,
        avoid_linking: bool | None = None,
        link_token: str | None = None,
        provider_name: str | None = None,
        delegated_scope: str | None = None,
    ) -> AuthorizationRequest:
        """See :meth:`calbridge.Client.authorization_url` (no I/O)."""
        return self._client.authorization_url(
            redirect_uri,
            scope,
            state=state,
            pkce=pkce,
            avoid_linking=avoid_linking,
            link_token=link_token,
            provider_name=provider_name,
            delegated_scope=delegated_scope,
        )

    @overload
    async def complete_authorization(
        self,
        callback_url: str,
        request: AuthorizationRequest,
        *,
        account: str | None = None,
        timeout: Seconds | None = None,
    ) -> Credentials: ...

    @overload
    async def complete_authorization(
        self,
        callback_url: str,
        *,
        expected_state: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        account: str | None = None,
        timeout: Seconds | None = None,
    ) -> Credentials: ...

    async def complete_authorization(
        self,
        callback_url: str,
        request: AuthorizationRequest | None = None,
        *,
        expected_state: str | None = None,
        redirect_uri: str | None = None,
        code_verifier: str | None = None,
        account: str | None = None,
        timeout: Seconds | None = None,
    ) -> Credentials:
        """See :meth:`calbridge.Client.complete_authorization`."""
        if request is not None:
            expected_state = request.state if expected_state is None else expected_state
            redirect_uri = request.redirect_uri if redirect_uri is None else redirect_uri
            code_verifier = request.code_verifier if code_verifier is None else code_verifier
        if expected_state is None or redirect_uri is None:
            raise TypeError("complete_authorization() needs the AuthorizationRequest, or expected_state and redirect_uri")
        state, uri = expected_state, redirect_uri
        return await self._run(
            lambda cancel: self._client.complete_authorization(
                callback_url,
                expected_state=state,
                redirect_uri=uri,
                code_verifier=code_verifier,
                account=account,
                timeout=timeout,
                cancel=cancel,
            )
        )

    # --- the token endpoint -------------------------------------------------------------------

    async def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        *,
        account: str | None = None,
        timeout: Seconds | None = None,
    ) -> Credentials:
        """See :meth:`calbridge.Client.exchange_code`."""
        return await self._run(
            lambda cancel: self._client.exchange_code(
                code, redirect_uri, code_verifier, account=account, timeout=timeout, cancel=cancel
            )
        )

    async def refresh(self, credentials: Credentials, *, timeout: Seconds | None = None) -> Credentials:
        """See :meth:`calbridge.Client.refresh`."""
        return await self._run(lambda cancel: self._client.refresh(credentials, timeout=timeout, cancel=cancel))

    async def revoke(self, credentials_or_sub: Credentials | str, *, timeout: Seconds | None = None) -> None:
        """See :meth:`calbridge.Client.revoke`."""
        await self._run(lambda cancel: self._client.revoke(credentials_or_sub, timeout=timeout, cancel=cancel))

    # --- calls with the client secret ---------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, QueryValue] | Iterable[tuple[str, str]] | None = None,
        json: Mapping[str, EventValue] | Sequence[EventValue] | None = None,
        *,
        timeout: Seconds | None = None,
    ) -> JSON:
        """See :meth:`calbridge.Client.request`."""
        return await self._run(
            lambda cancel: self._client.request(method, path, params, json, timeout=timeout, cancel=cancel)
        )

    async def availability(self, query: AvailabilityQuery, *, timeout: Seconds | None = None) -> AvailabilityResult:
        """See :meth:`calbridge.Client.availability`."""
        return await self._run(lambda cancel: self._client.availability(query, timeout=timeout, cancel=cancel))

    async def create_application_calendar(
        self, application_calendar_id: str, *, timeout: Seconds | None = None
    ) -> Credentials:
        """See :meth:`calbridge.Client.create_application_calendar`."""
        return await self._run(
            lambda cancel: self._client.create_application_calendar(
                application_calendar_id, timeout=timeout, cancel=cancel
            )
        )

    # --- push and sessions --------------------------------------------------------------------

    def verify_push(
        self, signature_header: str | None, body: bytes, *, previous_secrets: Iterable[str] = ()
    ) -> PushNotification:
        """See :meth:`calbridge.Client.verify_push` (no I/O: call it on the loop)."""
        return self._client.verify_push(signature_header, body, previous_secrets=previous_secrets)

    def session(
        self,
        credentials_or_account_id: Credentials | str,
        on_refresh: Callable[[Credentials], None] | None = None,
    ) -> AsyncSession:
        """An :class:`AsyncSession` for a user (see :meth:`calbridge.Client.session`; no I/O).
        ``on_refresh`` runs in the pool's thread that made the refresh."""
        return AsyncSession(self._client.session(credentials_or_account_id, on_refresh), self, self._runner)
