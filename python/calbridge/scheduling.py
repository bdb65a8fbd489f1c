"""Scheduling: availability queries and their results, availability rules, and the other calls a
scheduling product makes. :class:`Session` (the account's token) and :class:`Client` (the
application's client secret) take these through the mixins at the end of this module.

Times are aware :class:`~datetime.datetime` objects; durations are :class:`~datetime.timedelta`
in whole minutes (the API's unit: anything finer is a :class:`ValueError`, never rounded).
"""

from __future__ import annotations

import json as _json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal

from . import _core
from ._core import CancelToken
from ._types import JSON, JSONObject, Seconds, seconds
from .credentials import Credentials

if TYPE_CHECKING:
    from .session import EventValue, QueryValue

__all__ = [
    "AvailabilityMember",
    "Participants",
    "Period",
    "AvailabilityQuery",
    "AvailableTime",
    "AvailabilityResult",
    "WeeklyPeriod",
    "AvailabilityRule",
    "PermissionsRequest",
    "ParticipationStatus",
    "ResponseFormat",
]

#: "accepted", "tentative" or "declined".
ParticipationStatus = Literal["accepted", "tentative", "declined"]
#: "periods" (free periods), "slots" (back to back, each required_duration long) or
#: "overlapping_slots" (starting every start_interval).
ResponseFormat = Literal["periods", "slots", "overlapping_slots"]


def _utc_text(value: datetime, what: str) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime (give it a tzinfo)")
    if value.microsecond:
        raise ValueError(f"{what} must be whole seconds")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(value: timedelta, what: str, *, positive: bool) -> JSONObject:
    if not isinstance(value, timedelta):
        raise TypeError(f"{what} must be a timedelta, not {type(value).__name__}")
    minutes, rest = divmod(value, timedelta(minutes=1))
    if rest:
        raise ValueError(f"{what} must be whole minutes")
    if minutes < 0 or (positive and minutes == 0):
        raise ValueError(f"{what} must be {'positive' if positive else 'zero or more'}")
    out: JSONObject = {"minutes": int(minutes)}
    return out


def _parse_time(text: object) -> datetime:
    if not isinstance(text, str):
        raise ValueError("a time in the reply is not a string")
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if value.tzinfo is None:
        raise ValueError(f"the time {text!r} in the reply has no offset")
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class AvailabilityMember:
    """An account taking part, by its ``sub``; ``calendar_ids`` limits the calendars whose
    events count as busy."""

    sub: str
    calendar_ids: Sequence[str] = ()

    def _json(self) -> JSONObject:
        out: JSONObject = {"sub": self.sub}
        if self.calendar_ids:
            out["calendar_ids"] = list(self.calendar_ids)
        return out


@dataclass(frozen=True)
class Participants:
    """A group of members of whom ``required`` must be free: ``"all"`` or a number."""

    members: Sequence[AvailabilityMember | str]
    required: int | Literal["all"] = "all"

    def _json(self) -> JSONObject:
        members: list[JSON] = [
            (AvailabilityMember(m) if isinstance(m, str) else m)._json() for m in self.members
        ]
        if isinstance(self.required, bool) or not (self.required == "all" or isinstance(self.required, int)):
            raise ValueError('required must be "all" or a number')
        return {"members": members, "required": self.required}


@dataclass(frozen=True)
class Period:
    """A span of time (aware datetimes, start before end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class AvailabilityQuery:
    """The query of POST /v1/availability.

    >>> AvailabilityQuery(
    ...     participants=[Participants(["acc_1", "acc_2"])],
    ...     required_duration=timedelta(minutes=60),
    ...     available_periods=[Period(datetime(2026, 12, 7, 9, tzinfo=timezone.utc),
    ...                               datetime(2026, 12, 7, 17, tzinfo=timezone.utc))],
    ...     response_format="slots")
    """

    participants: Sequence[Participants]
    required_duration: timedelta
    available_periods: Sequence[Period]
    buffer_before: timedelta | None = None
    buffer_after: timedelta | None = None
    start_interval: timedelta | None = None
    max_results: int | None = None
    response_format: ResponseFormat = "periods"

    def to_json(self) -> str:
        """The request body. The core checks the values again before anything is sent
        (:class:`calbridge.errors.InvalidArgumentError`)."""
        body: JSONObject = {
            "participants": [p._json() for p in self.participants],
            "required_duration": _minutes(self.required_duration, "required_duration", positive=True),
            "available_periods": [
                {"start": _utc_text(p.start, "a period's start"), "end": _utc_text(p.end, "a period's end")}
                for p in self.available_periods
            ],
        }
        if self.buffer_before is not None or self.buffer_after is not None:
            buffer: JSONObject = {}
            if self.buffer_before is not None:
                buffer["before"] = _minutes(self.buffer_before, "buffer_before", positive=False)
            if self.buffer_after is not None:
                buffer["after"] = _minutes(self.buffer_after, "buffer_after", positive=False)
            body["buffer"] = buffer
        if self.start_interval is not None:
            body["start_interval"] = _minutes(self.start_interval, "start_interval", positive=True)
        if self.max_results is not None:
            body["max_results"] = self.max_results
        body["response_format"] = self.response_format
        return _json.dumps(body, separators=(",", ":"))


@dataclass(frozen=True)
class AvailableTime:
    """One available period or slot (UTC datetimes) and the subs of the accounts free in it."""

    start: datetime
    end: datetime
    participants: tuple[str, ...]
    raw: JSONObject = field(repr=False, compare=False)

    @classmethod
    def _read(cls, item: JSONObject) -> AvailableTime:
        subs: list[str] = []
        participants = item.get("participants")
        if isinstance(participants, list):
            for p in participants:
                if isinstance(p, dict) and isinstance(p.get("sub"), str):
                    subs.append(p["sub"])  # type: ignore[arg-type]
        return cls(_parse_time(item.get("start")), _parse_time(item.get("end")), tuple(subs), item)


@dataclass(frozen=True)
class AvailabilityResult:
    """The reply: ``available_periods`` (response_format "periods") or ``available_slots``."""

    available_periods: list[AvailableTime]
    available_slots: list[AvailableTime]
    raw: JSONObject = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> AvailabilityResult:
        raw = _json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("the availability reply is not an object")

        def read(key: str) -> list[AvailableTime]:
            items = raw.get(key) or []
            return [AvailableTime._read(i) for i in items if isinstance(i, dict)]

        return cls(read("available_periods"), read("available_slots"), raw)


@dataclass(frozen=True)
class WeeklyPeriod:
    """``day`` "monday".."sunday"; local times "09:00" in the rule's time zone."""

    day: str
    start_time: str
    end_time: str


@dataclass(frozen=True)
class AvailabilityRule:
    """A recurring weekly availability, upserted by ``availability_rule_id``."""

    availability_rule_id: str
    tzid: str
    weekly_periods: Sequence[WeeklyPeriod]
    calendar_ids: Sequence[str] = ()
    raw: JSONObject = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> str:
        body: JSONObject = {"availability_rule_id": self.availability_rule_id, "tzid": self.tzid}
        if self.calendar_ids:
            body["calendar_ids"] = list(self.calendar_ids)
        body["weekly_periods"] = [
            {"day": p.day, "start_time": p.start_time, "end_time": p.end_time} for p in self.weekly_periods
        ]
        return _json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> AvailabilityRule:
        raw = _json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("an availability rule is not an object")
        periods = raw.get("weekly_periods") or []
        ids = raw.get("calendar_ids") or []
        return cls(
            availability_rule_id=str(raw.get("availability_rule_id", "")),
            tzid=str(raw.get("tzid", "")),
            weekly_periods=[
                WeeklyPeriod(str(p.get("day", "")), str(p.get("start_time", "")), str(p.get("end_time", "")))
                for p in (periods if isinstance(periods, list) else [])
                if isinstance(p, dict)
            ],
            calendar_ids=[i for i in (ids if isinstance(ids, list) else []) if isinstance(i, str)],
            raw=raw,
        )


@dataclass(frozen=True)
class PermissionsRequest:
    """The reply of an elevated permissions request: unless ``accepted``, send the user to
    ``url``."""

    accepted: bool
    url: str | None
    raw: JSONObject = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> PermissionsRequest:
        raw = _json.loads(text)
        url = raw.get("url")
        return cls(raw.get("accepted") is True, url if isinstance(url, str) and url else None, raw)


def _reply(text: str) -> JSON:
    if not text:
        return None
    value: JSON = _json.loads(text)
    return value


class _AccountCalls:
    """The scheduling calls of :class:`~calbridge.Session` (the account's token)."""

    __slots__ = ()
    _native: _core.Session

    def availability(
        self, query: AvailabilityQuery, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> AvailabilityResult:
        """POST /v1/availability with this account's token."""
        text = self._native.availability(query.to_json(), timeout=seconds(timeout, "timeout"), cancel=cancel)
        return AvailabilityResult.from_json(text)

    def change_participation_status(
        self,
        calendar_id: str,
        event_uid: str,
        status: ParticipationStatus,
        *,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Accepts, tentatively accepts or declines an event the user was invited to."""
        self._native.change_participation_status(
            calendar_id, event_uid, status, timeout=seconds(timeout, "timeout"), cancel=cancel
        )

    def create_calendar(
        self, profile_id: str, name: str, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> _core.Calendar:
        """A new calendar in one of the account's profiles (scope create_calendar)."""
        return self._native.create_calendar(profile_id, name, timeout=seconds(timeout, "timeout"), cancel=cancel)

    def delete_all_events(
        self,
        calendar_ids: Iterable[str] | None = None,
        *,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Deletes every event your application manages: everywhere (no ``calendar_ids``) or in
        these calendars (an empty list is an error, never "everywhere")."""
        ids = None if calendar_ids is None else list(calendar_ids)
        self._native.delete_all_events(calendar_ids=ids, timeout=seconds(timeout, "timeout"), cancel=cancel)

    def upsert_availability_rule(
        self, rule: AvailabilityRule, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> AvailabilityRule:
        """Creates or updates a rule; returns it as stored."""
        return AvailabilityRule.from_json(
            self._native.upsert_availability_rule(rule.to_json(), timeout=seconds(timeout, "timeout"), cancel=cancel)
        )

    def availability_rules(
        self, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> list[AvailabilityRule]:
        texts = self._native.availability_rules(timeout=seconds(timeout, "timeout"), cancel=cancel)
        return [AvailabilityRule.from_json(t) for t in texts]

    def availability_rule(
        self, availability_rule_id: str, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> AvailabilityRule:
        return AvailabilityRule.from_json(
            self._native.availability_rule(availability_rule_id, timeout=seconds(timeout, "timeout"), cancel=cancel)
        )

    def delete_availability_rule(
        self, availability_rule_id: str, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> None:
        self._native.delete_availability_rule(availability_rule_id, timeout=seconds(timeout, "timeout"), cancel=cancel)

    def request_elevated_permissions(
        self,
        permissions: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        redirect_uri: str | None = None,
        timeout: Seconds | None = None,
        cancel: CancelToken | None = None,
    ) -> PermissionsRequest:
        """Asks for elevated permissions: ``{calendar_id: "unrestricted" | "sandbox"}``."""
        pairs = list(permissions.items()) if isinstance(permissions, Mapping) else [(c, p) for c, p in permissions]
        return PermissionsRequest.from_json(
            self._native.request_elevated_permissions(
                pairs, redirect_uri=redirect_uri, timeout=seconds(timeout, "timeout"), cancel=cancel
            )
        )


class _ApplicationCalls:
    """The calls of :class:`~calbridge.Client` authenticated with the client secret."""

    __slots__ = ()
    _native: _core.Client

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
        """Any call authenticated with the **client secret** (real-time scheduling, smart
        invites, ...): ``path`` on the API host or an absolute URL on its origin (the secret
        never goes elsewhere: anything else is refused before sending). Returns the parsed JSON
        reply (None when empty)."""
        from .session import _json_default, _query_pairs

        body = None if json is None else _json.dumps(json, default=_json_default)
        text = self._native.request(
            method.upper(),
            path,
            query=_query_pairs(params),
            json_body=body,
            timeout=seconds(timeout, "timeout"),
            cancel=cancel,
        )
        return _reply(text)

    def availability(
        self, query: AvailabilityQuery, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> AvailabilityResult:
        """POST /v1/availability across your application's accounts (client secret)."""
        text = self._native.availability(query.to_json(), timeout=seconds(timeout, "timeout"), cancel=cancel)
        return AvailabilityResult.from_json(text)

    def create_application_calendar(
        self, application_calendar_id: str, *, timeout: Seconds | None = None, cancel: CancelToken | None = None
    ) -> Credentials:
        """Creates (or finds) an application calendar and stores its credentials like a new
        authorization: ``client.session(credentials.account_key)`` then works and refreshes
        like any account."""
        native = self._native.create_application_calendar(
            application_calendar_id, timeout=seconds(timeout, "timeout"), cancel=cancel
        )
        return Credentials._wrap(native)

