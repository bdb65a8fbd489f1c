"""Push notifications: the channels an intermediary pushes to, and verifying its pushes.

A receiver passes the ``Cronofy-HMAC-SHA256`` header and the raw request body (the bytes as
received, never JSON re-serialized by a framework) to :meth:`calbridge.Client.verify_push`,
which checks the signature with the client secret and returns a typed
:class:`PushNotification`; a bad signature raises :class:`calbridge.InvalidSignatureError`.
"""

from __future__ import annotations

import enum
import json as _json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

from . import _core
from ._types import JSONObject

#: The header each push is signed with.
SIGNATURE_HEADER = "Cronofy-HMAC-SHA256"


class PushType(str, enum.Enum):
    """What a push says. Treat ``UNKNOWN`` (a type calbridge does not know) as "something
    changed"."""

    VERIFICATION = "verification"
    CHANGE = "change"
    PROFILE_DISCONNECTED = "profile_disconnected"
    PROFILE_INITIAL_SYNC_REQUIRED = "profile_initial_sync_required"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ChannelFilters:
    """Which changes a channel hears of: some calendars (empty: all), managed events only
    (``None``: the server's default)."""

    calendar_ids: tuple[str, ...] = ()
    only_managed: Optional[bool] = None


@dataclass(frozen=True)
class Channel:
    """A push notification channel (``POST``/``GET /v1/channels``)."""

    channel_id: str
    callback_url: str
    filters: ChannelFilters = field(default_factory=ChannelFilters)
    raw_json: str = field(default="", repr=False)

    @property
    def raw(self) -> JSONObject:
        """The channel object as the server sent it."""
        value = _json.loads(self.raw_json) if self.raw_json else {}
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class PushNotification:
    """A verified push. For ``CHANGE``, read events with ``last_modified=changes_since``."""

    type: PushType
    type_name: str
    changes_since: Optional[datetime]
    channel: Optional[Channel]
    raw_json: str = field(repr=False)

    @property
    def raw(self) -> JSONObject:
        """The whole body, parsed."""
        value = _json.loads(self.raw_json)
        return value if isinstance(value, dict) else {}


_ChannelTuple = tuple[str, str, list[str], Optional[bool], str]


def _channel(t: _ChannelTuple) -> Channel:
    channel_id, callback_url, calendar_ids, only_managed, raw_json = t
    return Channel(channel_id, callback_url, ChannelFilters(tuple(calendar_ids), only_managed), raw_json)


def parse_push(body: bytes) -> PushNotification:
    """Reads a push body. Does NOT verify it: use :meth:`calbridge.Client.verify_push`.
    :class:`calbridge.ProtocolError` when it is not a push notification."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(f"body must be the raw request body as bytes, not {type(body).__name__}")
    kind, type_name, since, channel, raw_json = _core.parse_push(bytes(body))
    return PushNotification(
        type=PushType(kind),
        type_name=type_name,
        changes_since=None if since is None else datetime.fromtimestamp(since, tz=timezone.utc),
        channel=None if channel is None else _channel(channel),
        raw_json=raw_json,
    )
