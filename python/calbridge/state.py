"""Signed, expiring states: :class:`StateSigner`, for web apps that run many workers.

The state of an authorization link ties the redirect back to the browser that started it. With
one process, keeping a random state in memory is enough; with many workers (or none that keeps
memory) the state must prove itself. A signed state carries a nonce, its expiry and a keyed tag
of a binding value (the browser session's id), authenticated with HMAC-SHA256 under a key every
worker holds. Any worker with the key verifies it; nobody without the key can forge one, move
it to another session, or make it live longer.

It does not stop replay within its lifetime: a state captured together with its session can be
used again until it expires. Keep ``max_age`` short and take the pending authorization out of
the server-side store on first use (see python/README.md, "Web apps with many workers").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import NamedTuple, NoReturn

from . import _core
from ._types import Seconds, seconds
from .errors import InvalidArgumentError

__all__ = ["StateSigner", "VerifiedState"]


class VerifiedState(NamedTuple):
    """What :meth:`StateSigner.verify` found in a genuine state."""

    app_data: str
    expires_at: datetime


class StateSigner:
    """Issues and verifies signed states bound to a browser session.

    ``key``: the signing key, at least 32 bytes (a ``str`` is taken as its UTF-8 bytes), the
    same on every worker, e.g. ``secrets.token_bytes(32)`` kept with the app's other secrets.
    It is never shown: not in ``repr()``, logs or error messages. ``max_age``: how long an issued
    state stays valid (whole seconds, at least one; default ten minutes); the expiry travels
    signed inside the state, so every worker enforces it. ``clock``: the time source as Unix
    seconds (default: the system clock; tests pass their own instead of sleeping).

    >>> signer = calbridge.StateSigner(os.environ["STATE_KEY"], max_age=timedelta(minutes=10))
    >>> state = signer.issue(session_id)
    >>> auth = client.authorization_url(redirect_uri, scope, state=state, pkce=True)
    >>> # ... on the redirect back, in any worker:
    >>> signer.verify(request.args["state"], session_id)   # StateMismatchError if not genuine
    """

    __slots__ = ("_native", "_max_age")

    def __init__(
        self,
        key: bytes | str,
        *,
        max_age: Seconds = timedelta(minutes=10),
        clock: Callable[[], float] | None = None,
    ) -> None:
        if isinstance(key, str):
            key = key.encode()
        elif isinstance(key, (bytearray, memoryview)):
            key = bytes(key)
        elif not isinstance(key, bytes):
            raise TypeError(f"key must be bytes or str, not {type(key).__name__}")
        age = seconds(max_age, "max_age")
        assert age is not None
        if not math.isfinite(age) or age < 1 or age != int(age):
            raise InvalidArgumentError("max_age must be a whole number of seconds, at least one")
        self._max_age = int(age)
        self._native = _core.StateSigner(key, clock=clock)

    @property
    def max_age(self) -> timedelta:
        return timedelta(seconds=self._max_age)

    def __repr__(self) -> str:
        return f"StateSigner(max_age={self.max_age!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a StateSigner holds a secret key and is not picklable: build one in each worker")

    def issue(self, binding: str, *, app_data: str = "") -> str:
        """A new state for the browser session ``binding`` (non-empty; e.g. the session id;
        only a keyed tag of it travels). ``app_data`` travels signed but readable: no secrets
        in it. Pass the result as ``state=`` to :meth:`Client.authorization_url`."""
        if not isinstance(binding, str) or not isinstance(app_data, str):
            raise TypeError("binding and app_data must be str")
        return self._native.issue(binding, lifetime=self._max_age, app_data=app_data.encode())

    def verify(self, state: str, binding: str) -> VerifiedState:
        """Checks a state from the redirect back against the browser session ``binding``.
        Raises :class:`calbridge.StateMismatchError` when it is malformed, altered, signed with
        another key, issued for another session, or expired."""
        if not isinstance(state, str) or not isinstance(binding, str):
            raise TypeError("state and binding must be str")
        app_data, expires_at = self._native.verify(state, binding)
        return VerifiedState(app_data.decode(), datetime.fromtimestamp(expires_at, timezone.utc))
