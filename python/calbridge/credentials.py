"""One user's tokens: :class:`Credentials`, immutable, with an aware UTC expiry."""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Final, NoReturn

from . import _core
from ._types import JSON, JSONObject, Seconds, seconds

__all__ = ["Credentials", "LinkingProfile"]

#: The calendar profile an authorization linked (provider, profile id and name).
LinkingProfile = _core.LinkingProfile

class _Unset(enum.Enum):
    UNSET = 0


_UNSET: Final = _Unset.UNSET


def _unix(value: datetime | float | int | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("expires_at must be an aware datetime (e.g. datetime.now(timezone.utc))")
        return value.timestamp()
    return float(value)


def _scope_list(scope: Iterable[str] | str) -> list[str]:
    return scope.split() if isinstance(scope, str) else list(scope)


class Credentials:
    """One user's tokens, as the token endpoint issued them. Immutable and thread-safe.

    ``repr()`` and ``str()`` show the account, scope and expiry, and the tokens only redacted.
    :meth:`to_json` is the stored form (it contains the tokens): every later calbridge
    version reads it.
    """

    __slots__ = ("_native",)
    _native: _core.Credentials

    def __init__(
        self,
        *,
        access_token: str,
        refresh_token: str = "",
        scope: Iterable[str] | str = (),
        expires_at: datetime | float | None = None,
        account_id: str = "",
        sub: str = "",
        linking_profile: _core.LinkingProfile | None = None,
        token_type: str = "bearer",
        extra: Mapping[str, JSON] | None = None,
    ) -> None:
        native = _core.Credentials(
            access_token=access_token,
            refresh_token=refresh_token,
            token_type=token_type,
            scope=_scope_list(scope),
            expires_at=_unix(expires_at),
            account_id=account_id,
            sub=sub,
            linking_profile=linking_profile,
            extra_json=json.dumps(dict(extra)) if extra else "",
        )
        object.__setattr__(self, "_native", native)

    @classmethod
    def _wrap(cls, native: _core.Credentials) -> Credentials:
        self = cls.__new__(cls)
        object.__setattr__(self, "_native", native)
        return self

    # --- the tokens -------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        return self._native.access_token

    @property
    def refresh_token(self) -> str:
        """The refresh token ("" when the server issued none)."""
        return self._native.refresh_token

    @property
    def token_type(self) -> str:
        return self._native.token_type

    @property
    def scope(self) -> tuple[str, ...]:
        return tuple(self._native.scope)

    @property
    def expires_at(self) -> datetime | None:
        """When the access token expires (aware, UTC), or ``None`` when the server did not say."""
        ts = self._native.expires_at
        return None if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc)

    @property
    def account_id(self) -> str:
        return self._native.account_id

    @property
    def sub(self) -> str:
        return self._native.sub

    @property
    def account_key(self) -> str:
        """What token stores file these credentials under: ``account_id``, else ``sub``."""
        return self._native.account_key

    @property
    def linking_profile(self) -> _core.LinkingProfile | None:
        return self._native.linking_profile

    @property
    def extra(self) -> JSONObject:
        """Fields of the token reply calbridge does not know (e.g. ``userinfo``), kept verbatim."""
        text = self._native.extra_json
        if not text:
            return {}
        value = json.loads(text)
        return value if isinstance(value, dict) else {}

    def is_expired(self, leeway: Seconds = 0) -> bool:
        """True when the access token expires within ``leeway`` from now (unknown expiry: False)."""
        return self._native.expires_within(time.time(), seconds(leeway, "leeway") or 0.0)

    # --- the stored form ----------------------------------------------------------------------

    def to_json(self) -> str:
        """The stored form, as JSON text (contains the tokens)."""
        return self._native.to_json()

    def to_dict(self) -> JSONObject:
        """The stored form as a dict (contains the tokens)."""
        value = json.loads(self._native.to_json())
        assert isinstance(value, dict)
        return value

    @classmethod
    def from_json(cls, text: str | bytes) -> Credentials:
        """Reads the stored form of any calbridge version, or a token endpoint reply as stored
        by other tools (``scope`` a string, ``expires_at`` in Unix seconds)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return cls._wrap(_core.Credentials.from_json(text))

    @classmethod
    def from_dict(cls, value: Mapping[str, JSON]) -> Credentials:
        return cls.from_json(json.dumps(dict(value)))

    @classmethod
    def from_token_response(
        cls, response: Mapping[str, JSON] | str, *, requested_at: datetime | float | None = None
    ) -> Credentials:
        """Reads a token endpoint reply (e.g. from another library); ``expires_in`` counts from
        ``requested_at`` (default: now)."""
        text = response if isinstance(response, str) else json.dumps(dict(response))
        at = _unix(requested_at)
        return cls._wrap(_core.Credentials.from_token_response(text, time.time() if at is None else at))

    def replace(
        self,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        scope: Iterable[str] | str | None = None,
        expires_at: datetime | float | None | _Unset = _UNSET,
    ) -> Credentials:
        """A copy with some fields changed (e.g. ``expires_at`` in a test)."""
        n = self._native
        new_expiry = n.expires_at if isinstance(expires_at, _Unset) else _unix(expires_at)
        return Credentials._wrap(
            _core.Credentials(
                access_token=n.access_token if access_token is None else access_token,
                refresh_token=n.refresh_token if refresh_token is None else refresh_token,
                token_type=n.token_type,
                scope=list(n.scope) if scope is None else _scope_list(scope),
                expires_at=new_expiry,
                account_id=n.account_id,
                sub=n.sub,
                linking_profile=n.linking_profile,
                extra_json=n.extra_json,
            )
        )

    # --- Python protocols -------------------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Credentials are immutable (use .replace() to change {name!r})")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Credentials are immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return self._native == other._native

    def __hash__(self) -> int:
        return hash((self.access_token, self.refresh_token, self.account_key))

    def __copy__(self) -> Credentials:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Credentials:
        return self

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Credentials.from_json, (self.to_json(),))

    def __repr__(self) -> str:
        expiry = self.expires_at
        fields = [
            f"account_id={self.account_id!r}",
            f"sub={self.sub!r}" if self.sub and self.sub != self.account_id else "",
            f"scope={' '.join(self.scope)!r}",
            f"expires_at={expiry.isoformat() if expiry else None!r}",
            f"access_token={_core.redact(self.access_token)!r}",
            f"refresh_token={_core.redact(self.refresh_token)!r}",
        ]
        return f"Credentials({', '.join(f for f in fields if f)})"

    __str__ = __repr__

