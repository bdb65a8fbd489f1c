"""The asyncio face of :class:`calbridge.Session`: :class:`AsyncSession`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from .. import _core
from .._core import CancelToken
from .._types import JSON, Seconds
from ..credentials import Credentials
from ..push import Channel
from ..scheduling import (
    AvailabilityQuery,
    AvailabilityResult,
    AvailabilityRule,
    ParticipationStatus,
    PermissionsRequest,
)
from ..session import DateLike, EventValue, QueryValue, Session
from ._runner import Runner
from .paged import AsyncPaged

if TYPE_CHECKING:
    from .client import AsyncClient

__all__ = ["AsyncSession"]

_T = TypeVar("_T")


class AsyncSession:
    """A :class:`calbridge.Session` for asyncio code, from :meth:`AsyncClient.session`: the
    same calls as coroutines, run on the client's thread pool. Cancelling the awaiting task
    cancels the call (see :class:`AsyncClient`). Listings (:meth:`events`,
    :meth:`free_busy`) are :class:`AsyncPaged`: ``async for`` over them."""

    __slots__ = ("_session", "_client", "_runner")

    def __init__(self, session: Session, client: AsyncClient, runner: Runner) -> None:
        self._session = session
        self._client = client
        self._runner = runner

    async def _run(self, call: Callable[[CancelToken], _T]) -> _T:
        return await self._runner.run(call)

    @property
    def account_key(self) -> str:
        return self._session.account_key

    @property
    def client(self) -> AsyncClient:
        return self._client

    @property
    def session(self) -> Session:
        """The wrapped synchronous session."""
        return self._session

    def __repr__(self) -> str:
        return f"<AsyncSession account={self.account_key!r}>"

    # --- calendars and events -----------------------------------------------------------------

    async def credentials(self, *, timeout: Seconds | None = None) -> Credentials:
        return await self._run(lambda cancel: self._session.credentials(timeout=timeout, cancel=cancel))

    async def calendars(self, *, timeout: Seconds | None = None) -> list[_core.Calendar]:
        return await self._run(lambda cancel: self._session.calendars(timeout=timeout, cancel=cancel))

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
    ) -> AsyncPaged[_core.Event]:
        """See :meth:`calbridge.Session.events`; ``async for`` over the result."""
        return AsyncPaged(
            lambda cancel: self._session.events(
                from_=from_,
                to=to,
                tzid=tzid,
                calendar_ids=calendar_ids,
                last_modified=last_modified,
                include_managed=include_managed,
                only_managed=only_managed,
                include_deleted=include_deleted,
                include_moved=include_moved,
                localized_times=localized_times,
                timeout=timeout,
                cancel=cancel,
            ),
            self._runner,
        )

    def free_busy(
        self,
        *,
        from_: DateLike | None = None,
        to: DateLike | None = None,
        tzid: str = "Etc/UTC",
        calendar_ids: Iterable[str] | None = None,
        timeout: Seconds | None = None,
    ) -> AsyncPaged[_core.FreeBusyPeriod]:
        """See :meth:`calbridge.Session.free_busy`; ``async for`` over the result."""
        return AsyncPaged(
            lambda cancel: self._session.free_busy(
                from_=from_, to=to, tzid=tzid, calendar_ids=calendar_ids, timeout=timeout, cancel=cancel
            ),
            self._runner,
        )

    async def upsert_event(
        self, calendar_id: str, event: Mapping[str, EventValue], *, timeout: Seconds | None = None
    ) -> None:
        await self._run(lambda cancel: self._session.upsert_event(calendar_id, event, timeout=timeout, cancel=cancel))

    async def delete_event(self, calendar_id: str, event_id: str, *, timeout: Seconds | None = None) -> None:
        await self._run(
            lambda cancel: self._session.delete_event(calendar_id, event_id, timeout=timeout, cancel=cancel)
        )

    async def delete_external_event(self, calendar_id: str, event_uid: str, *, timeout: Seconds | None = None) -> None:
        await self._run(
            lambda cancel: self._session.delete_external_event(calendar_id, event_uid, timeout=timeout, cancel=cancel)
        )

    # --- the account --------------------------------------------------------------------------

    async def account(self, *, timeout: Seconds | None = None) -> _core.Account:
        return await self._run(lambda cancel: self._session.account(timeout=timeout, cancel=cancel))

    async def userinfo(self, *, timeout: Seconds | None = None) -> _core.UserInfo:
        return await self._run(lambda cancel: self._session.userinfo(timeout=timeout, cancel=cancel))

    async def profiles(self, *, timeout: Seconds | None = None) -> list[_core.Profile]:
        return await self._run(lambda cancel: self._session.profiles(timeout=timeout, cancel=cancel))

    async def revoke_profile(self, profile_id: str, *, timeout: Seconds | None = None) -> None:
        await self._run(lambda cancel: self._session.revoke_profile(profile_id, timeout=timeout, cancel=cancel))

    async def link_token(self, *, timeout: Seconds | None = None) -> str:
        return await self._run(lambda cancel: self._session.link_token(timeout=timeout, cancel=cancel))

    # --- push channels ------------------------------------------------------------------------

    async def create_channel(
        self,
        callback_url: str,
        *,
        calendar_ids: Iterable[str] | None = None,
        only_managed: bool | None = None,
        timeout: Seconds | None = None,
    ) -> Channel:
        return await self._run(
            lambda cancel: self._session.create_channel(
                callback_url, calendar_ids=calendar_ids, only_managed=only_managed, timeout=timeout, cancel=cancel
            )
        )

    async def list_channels(self, *, timeout: Seconds | None = None) -> list[Channel]:
        return await self._run(lambda cancel: self._session.list_channels(timeout=timeout, cancel=cancel))

    async def close_channel(self, channel_id: str, *, timeout: Seconds | None = None) -> None:
        await self._run(lambda cancel: self._session.close_channel(channel_id, timeout=timeout, cancel=cancel))

    # --- any call -----------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, QueryValue] | Iterable[tuple[str, str]] | None = None,
        json: Mapping[str, EventValue] | Sequence[EventValue] | None = None,
        *,
        timeout: Seconds | None = None,
    ) -> JSON:
        return await self._run(
            lambda cancel: self._session.request(method, path, params, json, timeout=timeout, cancel=cancel)
        )

    # --- scheduling ---------------------------------------------------------------------------

    async def availability(self, query: AvailabilityQuery, *, timeout: Seconds | None = None) -> AvailabilityResult:
        return await self._run(lambda cancel: self._session.availability(query, timeout=timeout, cancel=cancel))

    async def change_participation_status(
        self, calendar_id: str, event_uid: str, status: ParticipationStatus, *, timeout: Seconds | None = None
    ) -> None:
        await self._run(
            lambda cancel: self._session.change_participation_status(
                calendar_id, event_uid, status, timeout=timeout, cancel=cancel
            )
        )

    async def create_calendar(self, profile_id: str, name: str, *, timeout: Seconds | None = None) -> _core.Calendar:
        return await self._run(
            lambda cancel: self._session.create_calendar(profile_id, name, timeout=timeout, cancel=cancel)
        )

    async def delete_all_events(
        self, calendar_ids: Iterable[str] | None = None, *, timeout: Seconds | None = None
    ) -> None:
        await self._run(lambda cancel: self._session.delete_all_events(calendar_ids, timeout=timeout, cancel=cancel))

    async def upsert_availability_rule(
        self, rule: AvailabilityRule, *, timeout: Seconds | None = None
    ) -> AvailabilityRule:
        return await self._run(
            lambda cancel: self._session.upsert_availability_rule(rule, timeout=timeout, cancel=cancel)
        )

    async def availability_rules(self, *, timeout: Seconds | None = None) -> list[AvailabilityRule]:
        return await self._run(lambda cancel: self._session.availability_rules(timeout=timeout, cancel=cancel))

    async def availability_rule(self, availability_rule_id: str, *, timeout: Seconds | None = None) -> AvailabilityRule:
        return await self._run(
            lambda cancel: self._session.availability_rule(availability_rule_id, timeout=timeout, cancel=cancel)
        )

    async def delete_availability_rule(self, availability_rule_id: str, *, timeout: Seconds | None = None) -> None:
        await self._run(
            lambda cancel: self._session.delete_availability_rule(availability_rule_id, timeout=timeout, cancel=cancel)
        )

    async def request_elevated_permissions(
        self,
        permissions: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        redirect_uri: str | None = None,
        timeout: Seconds | None = None,
    ) -> PermissionsRequest:
        return await self._run(
            lambda cancel: self._session.request_elevated_permissions(
                permissions, redirect_uri=redirect_uri, timeout=timeout, cancel=cancel
            )
        )
