"""The application's side of Individual Connect: :class:`Client`."""

from __future__ import annotations

import json
import logging
import os
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal, NamedTuple, overload

from . import _core
from ._core import CancelToken
from .authorization import AuthorizationRequest
from ._types import Seconds, seconds
from .credentials import Credentials
from .scheduling import _ApplicationCalls
from .push import PushNotification, parse_push
from .session import Session
from .stores import MemoryStore, TokenStore, _for_core, open_store

if TYPE_CHECKING:
    import concurrent.futures

    from .aio import AsyncClient

__all__ = ["Client", "AuthorizationRequest", "DataCenter", "TransportStats"]

DataCenter = Literal["us", "uk", "de", "au", "ca", "sg"]

logger = logging.getLogger("calbridge")




class TransportStats(NamedTuple):
    """What :meth:`Client.transport_stats` counts since the client was made: HTTP requests
    made (each retry counts), connections opened, and TLS handshakes done (one per new
    connection; a kept-alive connection is reused without one)."""

    requests: int
    connections_opened: int
    tls_handshakes: int


class Client(_ApplicationCalls):
    """One application (client id) talking to the intermediary. Thread-safe: make one and
    share it.

    >>> client = calbridge.Client("my-client-id", os.environ["CRONOFY_CLIENT_SECRET"], data_center="de")
    >>> auth = client.authorization_url("https://app.example.com/callback", "read_events list_calendars")
    >>> # ... the user comes back to /callback?code=...&state=...
    >>> credentials = client.complete_authorization(request_url, auth)
    >>> for calendar in client.session(credentials).calendars(): ...

    Log lines go to ``logging.getLogger("calbridge")`` (secrets redacted), at the level that
    logger has when each call starts: a client made before ``logging.basicConfig`` follows
    it (``calbridge.TRACE`` shows every request line).

    ``store`` is where credentials live: a store object (see :mod:`calbridge.stores`) or a
    store's name (``"sqlite:/var/lib/app/credentials.db"``, ``"postgresql://..."``,
    ``"file:DIR"``, ``"memory:"``; see :func:`calbridge.open_store`); default: this process's
    memory. A store shared by several processes holds a refresh lease, tuned here:
    ``lease_ttl`` (how long a lease lives unless renewed: a holder that dies blocks the
    account's refresh that long at most), ``lease_request_timeout`` (the holder's token request
    deadline; None: ``lease_ttl / 3``), ``lease_poll_interval`` (how often waiters look at a
    store that cannot notify them) and ``lease_owner`` (who holds a lease, as stored, for
    diagnosis; None: "<host>:<pid>:<random>").

    ``max_retries`` is each call's retry budget (transport retries, 429/503 waits, the retry
    after a 401); None: the core's default (3, backoff from 0.2 s doubling up to 5 s).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        data_center: DataCenter | str = "us",
        api_url: str | None = None,
        app_url: str | None = None,
        redirect_uris: Iterable[str] | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        ca_pem: str | None = None,
        timeout: Seconds = 30.0,
        connect_timeout: Seconds = 10.0,
        leeway: Seconds = 60.0,
        store: TokenStore | str | None = None,
        user_agent: str | None = None,
        max_retries: int | None = None,
        token_encoding: Literal["form", "json"] = "form",
        client_authentication: Literal["request_body", "http_basic"] = "request_body",
        require_secure_redirect_uri: bool = True,
        on_refresh: Callable[[Credentials], None] | None = None,
        on_reauthorization_required: Callable[[str], None] | None = None,
        lease_ttl: Seconds = 30.0,
        lease_request_timeout: Seconds | None = None,
        lease_poll_interval: Seconds = 0.05,
        lease_owner: str | None = None,
    ) -> None:
        config: dict[str, object] = {
            "client_id": client_id,
            "client_secret": client_secret,
            "data_center": data_center,
            "request_timeout_ms": round((seconds(timeout, "timeout") or 0.0) * 1000),
            "connect_timeout_ms": round((seconds(connect_timeout, "connect_timeout") or 0.0) * 1000),
            "leeway_seconds": round(seconds(leeway, "leeway") or 0.0),
            "token_encoding": token_encoding,
            "client_authentication": client_authentication,
            "require_secure_redirect_uri": require_secure_redirect_uri,
            "lease_ttl_ms": round((seconds(lease_ttl, "lease_ttl") or 0.0) * 1000),
            "lease_poll_interval_ms": round((seconds(lease_poll_interval, "lease_poll_interval") or 0.0) * 1000),
        }
        if lease_request_timeout is not None:
            config["lease_request_timeout_ms"] = round(
                (seconds(lease_request_timeout, "lease_request_timeout") or 0.0) * 1000
            )
        if lease_owner is not None:
            config["lease_owner"] = lease_owner
        if api_url is not None:
            config["api_url"] = api_url
        if app_url is not None:
            config["app_url"] = app_url
        if redirect_uris is not None:
            if isinstance(redirect_uris, str):
                redirect_uris = [redirect_uris]
            config["redirect_uris"] = list(redirect_uris)
        if ca_file is not None:
            config["ca_file"] = os.fspath(ca_file)
        if ca_pem is not None:
            config["ca_pem"] = ca_pem
        if user_agent is not None:
            config["user_agent"] = user_agent

        if isinstance(store, str):
            store = open_store(store)
        self._store: TokenStore = store if store is not None else MemoryStore()
        self._on_refresh = on_refresh
        self._sessions_with_hooks: weakref.WeakSet[Session] = weakref.WeakSet()
        # The core holds the hook; it must not hold the client (a cycle through C++ that the
        # garbage collector cannot see), so the hook reaches the client through a weak ref.
        me = weakref.ref(self)

        def dispatch_refresh(native: _core.Credentials) -> None:
            client = me()
            if client is not None:
                client._refreshed(Credentials._wrap(native))

        self._native = _core.Client(
            json.dumps(config),
            store=_for_core(self._store),
            logger=logger,
            on_refresh=dispatch_refresh,
            on_reauthorization_required=on_reauthorization_required,
            max_retries=max_retries,
        )

    # --- what it is -------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self._native.client_id

    @property
    def data_center(self) -> str:
        return self._native.data_center

    @property
    def api_url(self) -> str:
        return self._native.api_url

    @property
    def app_url(self) -> str:
        return self._native.app_url

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        return tuple(self._native.redirect_uris)

    @property
    def store(self) -> TokenStore:
        return self._store

    def __repr__(self) -> str:
        return f"Client(client_id={self.client_id!r}, api_url={self.api_url!r}, app_url={self.app_url!r})"

    def transport_stats(self) -> TransportStats:
        """The HTTPS transport's counters, shared by every session of this client. No I/O.

        >>> client.transport_stats()
        TransportStats(requests=12, connections_opened=1, tls_handshakes=1)
        """
        native = self._native.transport_stats()
        return TransportStats(native.requests, native.connections_opened, native.tls_handshakes)

    def aio(
        self, *, max_workers: int | None = None, executor: concurrent.futures.Executor | None = None
    ) -> AsyncClient:
        """An :class:`calbridge.aio.AsyncClient` over this client: the same calls as coroutines,
        sharing this client's store, connections and refresh coordination. It runs calls on a
        thread pool of its own (``max_workers`` threads, default
        :data:`calbridge.aio.DEFAULT_MAX_WORKERS`) or on ``executor``. No I/O."""
        from .aio import DEFAULT_MAX_WORKERS, AsyncClient

        workers = DEFAULT_MAX_WORKERS if max_workers is None else max_workers
        return AsyncClient(self, max_workers=workers, executor=executor)

    # --- the browser leg --------------------------------------------------------------------

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
        """The link to send the user to. ``scope`` is a list or a space-separated string;
        ``state`` defaults to 128 random bits. PKCE is on by default: the link carries an S256
        code challenge and ``code_verifier`` is set (keep it server-side, like the state);
        ``pkce=False`` opts out."""
        scopes = scope.split() if isinstance(scope, str) else list(scope)
        native = self._native.authorization_request(
            redirect_uri,
            scope=scopes,
            state=state,
            pkce=pkce,
            avoid_linking=avoid_linking,
            link_token=link_token,
            provider_name=provider_name,
            delegated_scope=delegated_scope,
        )
        return AuthorizationRequest(
            url=native.url, state=native.state, redirect_uri=native.redirect_uri, code_verifier=native.code_verifier
        )

    @overload
    def complete_authorization(
        self,
        callback_url: str,
        request: AuthorizationRequest,
        *,
        account: str | None = None,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> Credentials: ...

    @overload
    def complete_authorization(
        self,
        callback_url: str,
        *,
        expected_state: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        account: str | None = None,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> Credentials: ...

    def complete_authorization(
        self,
        callback_url: str,
        request: AuthorizationRequest | None = None,
        *,
        expected_state: str | None = None,
        redirect_uri: str | None = None,
        code_verifier: str | None = None,
        account: str | None = None,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> Credentials:
        """The redirect back: checks it (state, errors), exchanges the code and saves the
        credentials in the store. ``callback_url`` is the full URL the browser came back to, or
        its query string. Pass the :class:`AuthorizationRequest`, or its parts.

        The credentials are stored under the account the token reply names (``account_id``,
        else ``sub``). A plain OAuth2 server names none: pass ``account``, the key your
        application chose for this user (at most 255 characters, no whitespace); it becomes the
        credentials' ``account_id``. A reply that names an account wins over it. Neither:
        :class:`ProtocolError` (the code is spent by then)."""
        if request is not None:
            expected_state = request.state if expected_state is None else expected_state
            redirect_uri = request.redirect_uri if redirect_uri is None else redirect_uri
            code_verifier = request.code_verifier if code_verifier is None else code_verifier
        if expected_state is None or redirect_uri is None:
            raise TypeError("complete_authorization() needs the AuthorizationRequest, or expected_state and redirect_uri")
        native = self._native.complete_authorization(
            callback_url,
            expected_state=expected_state,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
            account=account,
            timeout=seconds(timeout, "timeout"),
            cancel=cancel,
        )
        return Credentials._wrap(native)

    # --- the token endpoint -------------------------------------------------------------------

    def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        *,
        account: str | None = None,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> Credentials:
        """Exchanges an authorization code (nothing is read from or written to the store).
        ``account`` as for :meth:`complete_authorization`; here a reply that names no account is
        not an error (``account_key`` is then "")."""
        return Credentials._wrap(
            self._native.exchange_code(
                code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
                account=account,
                timeout=seconds(timeout, "timeout"),
                cancel=cancel,
            )
        )

    def refresh(
        self, credentials: Credentials, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> Credentials:
        """Refreshes now (nothing is read from or written to the store: sessions do that)."""
        native = self._native.refresh(credentials._native, timeout=seconds(timeout, "timeout"), cancel=cancel)
        return Credentials._wrap(native)

    def revoke(
        self,
        credentials_or_sub: Credentials | str,
        *,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Revokes a grant (with its refresh token), or every grant of the account with this
        ``sub``. The store is left as it is."""
        if isinstance(credentials_or_sub, Credentials):
            self._native.revoke(credentials_or_sub._native, timeout=seconds(timeout, "timeout"), cancel=cancel)
        elif isinstance(credentials_or_sub, str):
            self._native.revoke_sub(credentials_or_sub, timeout=seconds(timeout, "timeout"), cancel=cancel)
        else:
            raise TypeError(f"revoke() takes Credentials or a sub (str), not {type(credentials_or_sub).__name__}")

    # --- sessions -----------------------------------------------------------------------------

    def verify_push(
        self, signature_header: str | None, body: bytes, *, previous_secrets: Iterable[str] = ()
    ) -> PushNotification:
        """Verifies a push with this client's secret and reads it.

        ``signature_header``: the ``Cronofy-HMAC-SHA256`` header as received (None when
        absent); ``body``: the raw request body, as bytes (Flask ``request.get_data()``,
        Django ``request.body``, Starlette ``await request.body()``). While the client secret
        is being rotated, pass the old one in ``previous_secrets``: the push is authentic when
        any value of the header matches any secret. Raises :class:`InvalidSignatureError`
        (answer 401) when the header is missing, malformed or matches none, and
        :class:`ProtocolError` when a signed body is not a notification."""
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"body must be the raw request body as bytes, not {type(body).__name__}")
        if signature_header is not None and not isinstance(signature_header, str):
            raise TypeError(f"signature_header must be a str or None, not {type(signature_header).__name__}")
        raw = bytes(body)
        _core.verify_push(self._native, signature_header, raw, list(previous_secrets))
        return parse_push(raw)

    def session(
        self,
        credentials_or_account_id: Credentials | str,
        on_refresh: Callable[[Credentials], None] | None = None,
    ) -> Session:
        """A session for a user: by account id (credentials come from the store), or with
        credentials (stored on first use unless the store has that account already: the
        store's may be a newer rotation). ``on_refresh`` runs after each refresh of this
        account, once the new credentials are stored. No I/O here."""
        if isinstance(credentials_or_account_id, Credentials):
            native = self._native.session_for(credentials_or_account_id._native)
        elif isinstance(credentials_or_account_id, str):
            native = self._native.session(credentials_or_account_id)
        else:
            raise TypeError(
                f"session() takes Credentials or an account id (str), not {type(credentials_or_account_id).__name__}"
            )
        session = Session(native, self, on_refresh)
        if on_refresh is not None:
            self._sessions_with_hooks.add(session)
        return session

    def _refreshed(self, credentials: Credentials) -> None:
        if self._on_refresh is not None:
            self._on_refresh(credentials)
        for session in list(self._sessions_with_hooks):
            hook = session._on_refresh
            if hook is not None and session.account_key == credentials.account_key:
                hook(credentials)
