"""The exception tree, and the typed error each failure gives."""

from __future__ import annotations

import builtins
import pickle
import socket

import pytest

import calbridge
from calbridge import errors
from calbridge.sandbox import Sandbox

BUILTIN_BASES = {BaseException, Exception, object}


def test_every_error_derives_from_calbridge_error_and_from_no_other_builtin_but_two() -> None:
    classes = [getattr(calbridge, name) for name in errors.__all__ if name not in ("ErrorCode", "FieldError")]
    for cls in classes:
        assert issubclass(cls, calbridge.Error)
        builtin_bases = {b for b in cls.__mro__ if b.__module__ == "builtins"} - BUILTIN_BASES
        if cls is calbridge.TimeoutError:
            assert builtin_bases == {builtins.TimeoutError, OSError}
        elif cls is calbridge.ConnectionError:
            assert builtin_bases == {builtins.ConnectionError, OSError}
        else:
            assert builtin_bases == set(), cls
    assert not issubclass(calbridge.AuthorizationError, ValueError)


def test_each_core_code_has_its_own_class() -> None:
    for code in calbridge.ErrorCode:
        cls = errors.error_class(code)
        assert cls.default_code == code
        assert calbridge._core.error_code_name(code) == code.name.lower()
    # ... and no core code is missing here: the one below the lowest has no name.
    assert calbridge._core.error_code_name(min(calbridge.ErrorCode) - 1) == "unknown"


def test_errors_pickle_with_their_details() -> None:
    original = errors._from_core(-15, "slow down", 429, "", "", "", 7, [("f", "k", "d")])
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is calbridge.RateLimitedError
    assert (copy.code, copy.http_status, copy.retry_after, str(copy)) == (calbridge.ErrorCode.RATE_LIMITED, 429, 7.0, "slow down")
    assert copy.field_errors == (calbridge.FieldError("f", "k", "d"),)


def test_429_beyond_the_deadline_carries_retry_after(calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session) -> None:
    calbridge_session.calendars()
    calbridge_sandbox.fault("/v1/calendars", status=429, headers={"Retry-After": "120"})
    with pytest.raises(calbridge.RateLimitedError) as caught:
        calbridge_session.calendars(timeout=5)
    assert caught.value.http_status == 429
    assert caught.value.retry_after == 120.0


def test_server_errors_are_retried_then_typed(calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session) -> None:
    calbridge_session.calendars()
    calbridge_sandbox.fault("/v1/calendars", status=503, count=1)
    assert len(calbridge_session.calendars()) == 3  # retried once, then fine
    calbridge_sandbox.fault("/v1/calendars", status=503, count=100)
    with pytest.raises(calbridge.ServiceUnavailableError) as caught:
        calbridge_session.calendars()
    assert caught.value.http_status == 503
    assert isinstance(caught.value, calbridge.ServerError)


def test_a_client_without_max_retries_has_the_cores_retry_budget(
    calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client, calbridge_session: calbridge.Session
) -> None:
    # calbridge_client is made without max_retries: the core's RetryPolicy decides (3 retries).
    calbridge_session.calendars()
    before = calbridge_client.transport_stats().requests
    calbridge_sandbox.fault("/v1/calendars", status=503, count=3)
    assert len(calbridge_session.calendars()) == 3
    assert calbridge_client.transport_stats().requests - before == 4
    calbridge_sandbox.fault("/v1/calendars", status=503, count=4)
    with pytest.raises(calbridge.ServiceUnavailableError):
        calbridge_session.calendars()
    assert calbridge_client.transport_stats().requests - before == 8


def test_a_deadline_is_a_timeout_error_and_a_builtin_timeout(
    calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session
) -> None:
    calbridge_session.calendars()
    calbridge_sandbox.fault("/v1/calendars", "delay", delay=1.5)
    with pytest.raises(TimeoutError) as caught:  # the built-in
        calbridge_session.calendars(timeout=0.3)
    assert isinstance(caught.value, calbridge.TimeoutError)
    assert caught.value.code == calbridge.ErrorCode.TIMEOUT


def test_a_refused_connection_is_a_connection_error_and_a_builtin_one() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = calbridge.Client("id", "secret", api_url=f"http://127.0.0.1:{port}", app_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(ConnectionError) as caught:  # the built-in
        client.exchange_code("code", "http://127.0.0.1/cb")
    assert isinstance(caught.value, calbridge.ConnectionError)


def test_an_untrusted_certificate_is_a_tls_error(calbridge_sandbox: Sandbox) -> None:
    client = calbridge.Client(
        calbridge_sandbox.client_id, calbridge_sandbox.client_secret, api_url=calbridge_sandbox.api_url, app_url=calbridge_sandbox.app_url
    )  # the system's trust store does not know the sandbox's CA
    with pytest.raises(calbridge.TlsError):
        client.exchange_code("code", calbridge_sandbox.redirect_uri)


def test_a_wrong_client_secret_is_an_invalid_client_error(calbridge_sandbox: Sandbox) -> None:
    client = calbridge_sandbox.client(client_secret="wrong-secret-value")
    auth = client.authorization_url(calbridge_sandbox.redirect_uri, "read_events")
    with pytest.raises(calbridge.InvalidClientError) as caught:
        client.complete_authorization(calbridge_sandbox.consent(auth.url), auth)
    assert isinstance(caught.value, calbridge.ConfigurationError)
    assert caught.value.oauth_error == "invalid_client"


def test_a_malformed_reply_is_a_protocol_error(calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session) -> None:
    calbridge_session.calendars()
    calbridge_sandbox.fault("/v1/calendars", "malformed_json", count=100)
    with pytest.raises(calbridge.ProtocolError):
        calbridge_session.calendars()


def test_bad_configuration_is_refused_before_any_request() -> None:
    with pytest.raises(calbridge.ConfigurationError, match="data"):
        calbridge.Client("id", "secret", data_center="mars")
    with pytest.raises(calbridge.ConfigurationError):
        calbridge.Client("id", "secret", api_url="http://api.example.com")  # plain http off loopback


def test_a_403_carries_the_oauth_error_and_description(calbridge_sandbox: Sandbox, calbridge_client: calbridge.Client) -> None:
    credentials = calbridge_sandbox.authorize(calbridge_client, "read_account")
    with pytest.raises(calbridge.AuthorizationError) as info:
        calbridge_client.session(credentials).calendars()
    assert info.value.http_status == 403
    assert info.value.oauth_error == "insufficient_scope"
    assert info.value.description is not None and "list_calendars" in info.value.description
