"""Credentials: immutable, aware expiry, the stored form."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from datetime import datetime, timedelta, timezone

import pytest

import calbridge


def _credentials(**changes: object) -> calbridge.Credentials:
    fields: dict[str, object] = {
        "access_token": "access-token-0123456789-abcdefghij",
        "refresh_token": "refresh-token-0123456789-abcdefghij",
        "scope": "read_account read_events",
        "expires_at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        "account_id": "acc_1",
        "sub": "acc_1",
        "linking_profile": calbridge.LinkingProfile(provider_name="google", profile_id="pro_1", profile_name="a@example.com"),
        **changes,
    }
    return calbridge.Credentials(**fields)  # type: ignore[arg-type]


def test_fields_read_back() -> None:
    c = _credentials()
    assert c.access_token == "access-token-0123456789-abcdefghij"
    assert c.scope == ("read_account", "read_events")
    assert c.expires_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert c.expires_at is not None and c.expires_at.tzinfo is timezone.utc
    assert c.account_key == "acc_1"
    assert c.linking_profile == calbridge.LinkingProfile(provider_name="google", profile_id="pro_1", profile_name="a@example.com")
    assert c.token_type == "bearer"


def test_credentials_are_immutable() -> None:
    c = _credentials()
    with pytest.raises(AttributeError):
        c.access_token = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        c.anything = 1
    assert copy.deepcopy(c) is c
    assert c.replace(access_token="other-token").access_token == "other-token"
    assert c.access_token == "access-token-0123456789-abcdefghij"
    assert not dataclasses.is_dataclass(c)


def test_is_expired_uses_the_wall_clock_and_a_leeway() -> None:
    now = datetime.now(timezone.utc)
    assert _credentials(expires_at=now - timedelta(seconds=1)).is_expired()
    assert not _credentials(expires_at=now + timedelta(minutes=10)).is_expired()
    assert _credentials(expires_at=now + timedelta(minutes=10)).is_expired(leeway=timedelta(minutes=11))
    assert not _credentials(expires_at=None).is_expired(leeway=10**6)


def test_a_naive_expiry_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        _credentials(expires_at=datetime(2030, 1, 1))


def test_the_stored_form_round_trips() -> None:
    c = _credentials(extra={"userinfo": {"email": "a@example.com"}})
    assert calbridge.Credentials.from_json(c.to_json()) == c
    assert calbridge.Credentials.from_dict(c.to_dict()) == c
    assert pickle.loads(pickle.dumps(c)) == c
    stored = json.loads(c.to_json())
    assert stored["expires_at"] == "2030-01-02T03:04:05Z"
    assert c.extra == {"userinfo": {"email": "a@example.com"}}


def test_a_token_reply_stored_by_other_tools_is_read() -> None:
    reply: dict[str, calbridge.JSON] = {
        "token_type": "bearer",
        "access_token": "access-token-0123456789-abcdefghij",
        "refresh_token": "refresh-token-0123456789-abcdefghij",
        "expires_in": 3600,
        "scope": "read_events",
        "account_id": "acc_1",
        "sub": "acc_1",
    }
    at = datetime(2030, 1, 1, tzinfo=timezone.utc)
    c = calbridge.Credentials.from_token_response(reply, requested_at=at)
    assert c.expires_at == at + timedelta(hours=1)
    assert c.scope == ("read_events",)


def test_an_unreadable_stored_form_is_a_protocol_error() -> None:
    with pytest.raises(calbridge.ProtocolError):
        calbridge.Credentials.from_json("{not json")
