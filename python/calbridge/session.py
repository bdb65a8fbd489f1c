"""One user's live connection to their calendars: :class:`Session`."""

from __future__ import annotations

import json as _json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, Union

from . import _core
from ._core import CancelToken
from ._types import JSON, Seconds, seconds
from .credentials import Credentials
from .scheduling import _AccountCalls
from .push import Channel, _channel

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Session", "Paged", "DateLike", "EventValue", "QueryValue"]

#: ``from_``/``to`` of a query: a date, an aware datetime (its date in the query's time zone), or
#: "YYYY-MM-DD" (checked: an invalid date is an :class:`InvalidArgumentError`).
DateLike = Union[date, datetime, str]
#: What an event dict may hold: JSON values, and dates and datetimes (sent as ISO 8601).
EventValue = Union[JSON, date, datetime, Sequence["EventValue"], Mapping[str, "EventValue"]]
#: A query parameter's value; a sequence repeats the key; booleans go out as true/false.
QueryValue = Union[str, int, float, bool, Sequence[Union[str, int, float, bool]]]

Item = TypeVar("Item", _core.Event, _core.FreeBusyPeriod)
_T = TypeVar("_T")


class _NativePages(Protocol[_T]):
    def next(self) -> list[_T] | None: ...

    @property
    def current_page(self) -> int: ...

    @property
    def total_pages(self) -> int: ...


class Paged(Generic[Item]):
    """The items of a paged listing (events, free/busy), fetched a page at a time as you
    iterate: nothing is requested until the first item is wanted, and each next page follows
    the server's ``next_page`` link. One consumer at a time; iterate it once.

    >>> for event in session.events(from_=date.today(), to=date.today() + timedelta(days=7)):
    ...     print(event.summary)
    """

    __slots__ = ("_pages", "_buffer", "_done")

    def __init__(self, pages: _NativePages[Item]) -> None:
        self._pages: _NativePages[Item] = pages
        self._buffer: list[Item] = []
        self._done = False

    def __iter__(self) -> Iterator[Item]:
        return self

    def __next__(self) -> Item:
        while not self._buffer:
            if self._done:
                raise StopIteration
            page = self._pages.next()
            if page is None:
                self._done = True
                raise StopIteration
            self._buffer = list(reversed(page))
        return self._buffer.pop()

    def pages(self) -> Iterator[list[Item]]:
        """The remaining pages, as lists (the rest of a page already started comes first)."""
        if self._buffer:
            rest, self._buffer = list(reversed(self._buffer)), []
            yield rest
        while not self._done:
            page = self._pages.next()
            if page is None:
                self._done = True
                return
            yield page

    def all(self) -> list[Item]:
        """Every remaining item."""
        return list(self)

    @property
    def current_page(self) -> int:
        """The last page fetched ("pages": {"current"}); 0 before the first."""
        return self._pages.current_page

    @property
    def total_pages(self) -> int:
        """How many pages the server said there are; 0 before the first fetch or when unknown."""
        return self._pages.total_pages

    def __repr__(self) -> str:
        return f"<Paged page {self.current_page} of {self.total_pages or '?'}>"


def _zone(tzid: str) -> tzinfo:
    if tzid in ("Etc/UTC", "UTC", "Etc/GMT", "GMT", "Z"):
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(tzid)
    except Exception:  # unknown zone or no tz database: the server will say if tzid is bad
        return timezone.utc


def _query_date(value: DateLike | None, tzid: str, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a date or an aware datetime (give it a tzinfo), not a naive datetime")
        return value.astimezone(_zone(tzid)).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a date, a datetime or 'YYYY-MM-DD', not {type(value).__name__}")


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("datetimes sent to the calendar API must be aware (give them a tzinfo)")
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return _rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _query_pairs(params: Mapping[str, QueryValue] | Iterable[tuple[str, str]] | None) -> list[tuple[str, str]]:
    def text(v: str | int | float | bool) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    if params is None:
        return []
    if not isinstance(params, Mapping):
        return [(str(k), str(v)) for k, v in params]
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            pairs.extend((key, text(v)) for v in value)
        else:
            assert not isinstance(value, Sequence) or isinstance(value, str)
            pairs.append((key, text(value)))
    return pairs


class Session(_AccountCalls):
    """One user's connection to their calendars, from :meth:`Client.session`.

    Thread-safe: share one across threads. The access token is kept fresh (refreshed
    proactively before it expires, once for all threads, written to the token store before it
    is used), and a 401 leads to one refresh and one retry. Every call blocks (without the
    GIL) for at most ``timeout`` seconds (default: the client's), can be interrupted with
    Ctrl-C, and ends at once with :class:`CancelledError` when its ``cancel=``
    :class:`~calbridge.CancelToken` is cancelled from another thread.
    """

    __slots__ = ("_native", "_client", "_on_refresh", "__weakref__")

    def __init__(
        self,
        native: _core.Session,
        client: Client,
        on_refresh: Callable[[Credentials], None] | None = None,
    ) -> None:
        self._native = native
        self._client = client
        self._on_refresh = on_refresh

    @property
    def account_key(self) -> str:
        """The account the session is for (its key in the token store)."""
        return self._native.account_key

    @property
    def client(self) -> Client:
        return self._client

    def credentials(self, *, timeout: Seconds | None = None, cancel: CancelToken | None = None) -> Credentials:
        """The current credentials (loaded from the store, refreshed if about to expire)."""
        return Credentials._wrap(self._native.credentials(timeout=seconds(timeout, "timeout"), cancel=cancel))

    def calendars(self, *, timeout: Seconds | None = None, cancel: CancelToken | None = None) -> list[_core.Calendar]:
        """Every calendar of the account (GET /v1/calendars)."""
        return self._native.calendars(timeout=seconds(timeout, "timeout"), cancel=cancel)

    def events(
        self,
        *,
        from_: DateLike | None = None,
        to: DateLike | None = None,
        tzid: str = "Etc/UTC",
        calendar_ids: Iterable[str] | None = None,
        last_modified: datetime | str | None = None,
        include_managed: bool | None = None,
        only_managed: bool | None = None,
        include_deleted: bool | None = None,
        include_moved: bool | None = None,
        localized_times: bool | None = None,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> Paged[_core.Event]:
        """Events from the day ``from_`` up to the day ``to`` (exclusive), lazily over all pages.
        ``last_modified`` (an aware datetime or RFC 3339 text) is sent floored to the second.
        ``timeout`` applies to each page's fetch.

        Each event's ``start`` and ``end`` are aware datetimes (in the offset the server wrote,
        UTC for "Z") or dates (all-day events); ``start_raw``/``end_raw`` keep the text as sent.
        """
        if last_modified is not None and not isinstance(last_modified, (datetime, str)):
            raise TypeError(f"last_modified must be an aware datetime or RFC 3339 text, not {type(last_modified).__name__}")
        modified = _rfc3339(last_modified) if isinstance(last_modified, datetime) else last_modified
        return Paged(
            self._native.events(
                tzid=tzid,
                from_=_query_date(from_, tzid, "from_"),
                to=_query_date(to, tzid, "to"),
                calendar_ids=list(calendar_ids or ()),
                last_modified=modified,
                include_managed=include_managed,
                only_managed=only_managed,
                include_deleted=include_deleted,
                include_moved=include_moved,
                localized_times=localized_times,
                timeout=seconds(timeout, "timeout"),
                cancel=cancel,
            )
        )

    def free_busy(
        self,
        *,
        from_: DateLike | None = None,
        to: DateLike | None = None,
        tzid: str = "Etc/UTC",
        calendar_ids: Iterable[str] | None = None,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> Paged[_core.FreeBusyPeriod]:
        """Busy periods from the day ``from_`` up to the day ``to`` (exclusive), lazily over all
        pages; ``start``/``end`` typed like those of :meth:`events`."""
        return Paged(
            self._native.free_busy(
                tzid=tzid,
                from_=_query_date(from_, tzid, "from_"),
                to=_query_date(to, tzid, "to"),
                calendar_ids=list(calendar_ids or ()),
                timeout=seconds(timeout, "timeout"),
                cancel=cancel,
            )
        )

    def upsert_event(
        self,
        calendar_id: str,
        event: Mapping[str, EventValue],
        *,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Creates or updates an event. ``event`` needs an ``event_id`` (your id: it makes the
        call idempotent) and ``summary``, ``start``, ``end``; dates and aware datetimes are
        sent in ISO 8601 (a naive datetime is a :class:`ValueError`), strings as given.

        >>> session.upsert_event(cal_id, {"event_id": "booking-42", "summary": "Call",
        ...     "start": datetime(2026, 12, 1, 9, tzinfo=timezone.utc),
        ...     "end": datetime(2026, 12, 1, 10, tzinfo=timezone.utc)})
        """
        body = _json.dumps(dict(event), default=_json_default)
        self._native.upsert_event(calendar_id, body, timeout=seconds(timeout, "timeout"), cancel=cancel)

    def delete_event(
        self, calendar_id: str, event_id: str, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> None:
        """Deletes an event your application created (by its ``event_id``)."""
        self._native.delete_event(calendar_id, event_id, timeout=seconds(timeout, "timeout"), cancel=cancel)

    def delete_external_event(
        self, calendar_id: str, event_uid: str, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> None:
        """Deletes an event your application did not create (by its ``event_uid``)."""
        self._native.delete_external_event(calendar_id, event_uid, timeout=seconds(timeout, "timeout"), cancel=cancel)

    def account(self, *, timeout: Seconds | None = None, cancel: CancelToken | None = None) -> _core.Account:
        """GET /v1/account."""
        return self._native.account(timeout=seconds(timeout, "timeout"), cancel=cancel)

    def userinfo(self, *, timeout: Seconds | None = None, cancel: CancelToken | None = None) -> _core.UserInfo:
        """GET /v1/userinfo."""
        return self._native.userinfo(timeout=seconds(timeout, "timeout"), cancel=cancel)

    def profiles(self, *, timeout: Seconds | None = None, cancel: CancelToken | None = None) -> list[_core.Profile]:
        """The account's calendar profiles; one with ``connected`` False needs relinking at
        its ``relink_url``."""
        return self._native.profiles(timeout=seconds(timeout, "timeout"), cancel=cancel)

    def revoke_profile(
        self, profile_id: str, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> None:
        """Disconnects one calendar profile."""
        self._native.revoke_profile(profile_id, timeout=seconds(timeout, "timeout"), cancel=cancel)

    def link_token(self, *, timeout: Seconds | None = None, cancel: CancelToken | None = None) -> str:
        """A link token: pass it as ``link_token`` to :meth:`Client.authorization_url` to add
        another calendar account to this user."""
        return self._native.create_link_token(timeout=seconds(timeout, "timeout"), cancel=cancel)

    def create_channel(
        self,
        callback_url: str,
        *,
        calendar_ids: Iterable[str] | None = None,
        only_managed: bool | None = None,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> Channel:
        """Creates a push notification channel: the intermediary will POST signed
        notifications of this account's changes to ``callback_url`` (at most 128 characters;
        https, or http to a loopback address: :class:`InvalidArgumentError` otherwise, before
        anything is sent). Verify each push with :meth:`Client.verify_push`."""
        if isinstance(calendar_ids, str):
            raise TypeError("calendar_ids must be a list of ids, not a str")
        native = _core.create_channel(
            self._native,
            callback_url,
            calendar_ids=None if calendar_ids is None else list(calendar_ids),
            only_managed=only_managed,
            timeout=seconds(timeout, "timeout"),
            cancel=cancel,
        )
        return _channel(native)

    def list_channels(self, *, timeout: Seconds | None = None, cancel: CancelToken | None = None) -> list[Channel]:
        """The account's push notification channels."""
        natives = _core.list_channels(self._native, timeout=seconds(timeout, "timeout"), cancel=cancel)
        return [_channel(c) for c in natives]

    def close_channel(
        self, channel_id: str, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> None:
        """Closes a channel: no more pushes to it."""
        _core.close_channel(self._native, channel_id, timeout=seconds(timeout, "timeout"), cancel=cancel)

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, QueryValue] | Iterable[tuple[str, str]] | None = None,
        json: Mapping[str, EventValue] | Sequence[EventValue] | None = None,
        *,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> JSON:
        """Any API call: ``path`` on the API host ("/v1/calendars") or an absolute URL on its
        origin (the token never goes elsewhere). Returns the parsed JSON reply (None when
        empty)."""
        body = None if json is None else _json.dumps(json, default=_json_default)
        text = self._native.request(
            method.upper(),
            path,
            query=_query_pairs(params),
            json_body=body,
            timeout=seconds(timeout, "timeout"),
            cancel=cancel,
        )
        if not text:
            return None
        value: JSON = _json.loads(text)
        return value

    def __repr__(self) -> str:
        return f"<Session account={self.account_key!r}>"
