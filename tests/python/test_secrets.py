"""No token, client secret, code or PKCE verifier in repr(), str() or the logs."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import DictStore, assert_no_secret, secrets_of

import calbridge
from calbridge.sandbox import Sandbox


def test_credentials_print_only_redacted_tokens() -> None:
    credentials = calbridge.Credentials(
        access_token="access-token-0123456789-abcdefghij",
        refresh_token="short-refresh",
        scope=["read_events"],
        expires_at=1_900_000_000,
        account_id="acc_1",
    )
    for text in (repr(credentials), str(credentials), f"{credentials}", repr([credentials])):
        assert_no_secret(text, secrets_of([credentials]))
    assert "…ghij" in repr(credentials)  # the last 4 characters of a long token
    assert "'****'" in repr(credentials)  # a short one is masked whole
    assert "acc_1" in repr(credentials)
    assert "2030-03-17T17:46:40+00:00" in repr(credentials)


def test_clients_requests_and_errors_print_no_secret(calbridge_sandbox: Sandbox) -> None:
    client = calbridge_sandbox.client()
    auth = client.authorization_url(calbridge_sandbox.redirect_uri, "read_events", pkce=True)
    assert auth.code_verifier is not None
    for text in (repr(client), str(client), repr(auth), str(auth)):
        assert calbridge_sandbox.client_secret not in text
        assert auth.code_verifier not in text

    callback = calbridge_sandbox.consent(auth.url)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    client.complete_authorization(callback, auth)
    with pytest.raises(calbridge.InvalidGrantError) as caught:
        client.complete_authorization(callback, auth)  # the code again
    for text in (repr(caught.value), str(caught.value), caught.value.description or ""):
        assert code not in text
        assert auth.code_verifier not in text
        assert calbridge_sandbox.client_secret not in text


def test_the_trace_log_of_a_whole_flow_has_no_secret(
    calbridge_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(calbridge.TRACE, logger="calbridge")
    client = calbridge_sandbox.client()  # logs at the level the logger has now: TRACE
    auth = client.authorization_url(calbridge_sandbox.redirect_uri, "read_account list_calendars read_events", pkce=True)
    callback = calbridge_sandbox.consent(auth.url)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    credentials = client.complete_authorization(callback, auth)
    session = client.session(credentials)
    session.calendars()
    calbridge_sandbox.expire_access_tokens(account_id=credentials.account_key)
    session.calendars()  # 401, refresh, retry
    list(session.events())
    link = session.link_token()
    latest = session.credentials()
    client.revoke(latest)

    text = "\n".join(r.getMessage() for r in caplog.records)
    assert len(caplog.records) >= 10, text
    assert {r.name for r in caplog.records} == {"calbridge"}
    assert_no_secret(
        text,
        secrets_of([credentials, latest]) | {code, calbridge_sandbox.client_secret, auth.code_verifier or "", link},
    )


def test_a_store_or_hook_error_echoing_the_new_tokens_prints_none_of_them(
    calbridge_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A database refusing a row says "Failing row contains (...)": the row holds the new tokens."""
    caplog.set_level(calbridge.TRACE, logger="calbridge")
    store = DictStore()
    client = calbridge_sandbox.client(store=store)
    original = calbridge_sandbox.authorize(client)
    written: list[calbridge.Credentials] = []

    def refuse(method: str, credentials: calbridge.Credentials) -> None:
        written.append(credentials)
        raise RuntimeError(
            f"Failing row contains ({credentials.account_key}, {credentials.access_token}, "
            f"{credentials.refresh_token}, {calbridge_sandbox.client_secret})"
        )

    store.before_write = refuse
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    with pytest.raises(calbridge.StoreError) as caught:
        client.session(original.account_key).calendars()
    assert written, "the store was never asked to write"
    secrets = secrets_of(written) | {calbridge_sandbox.client_secret}
    assert "Failing row contains (" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), repr(caught.value.__cause__)):
        assert_no_secret(text, secrets)
    assert_no_secret("\n".join(r.getMessage() for r in caplog.records), secrets)

    # The on_refresh hook is handed the new credentials: its error must not carry them either.
    def hook(credentials: calbridge.Credentials) -> None:
        written.append(credentials)
        raise ValueError(f"cannot forward {credentials.access_token} / {credentials.refresh_token}")

    hooked = calbridge_sandbox.client(on_refresh=hook)
    granted = calbridge_sandbox.authorize(hooked)
    session = hooked.session(granted)
    calbridge_sandbox.expire_access_tokens(account_id=granted.account_key)
    with pytest.raises(calbridge.UserCallbackError) as hook_error:
        session.calendars()
    secrets = secrets_of(written) | {calbridge_sandbox.client_secret}
    assert "cannot forward" in str(hook_error.value)
    for text in (str(hook_error.value), repr(hook_error.value), repr(hook_error.value.__cause__)):
        assert_no_secret(text, secrets)
    assert_no_secret("\n".join(r.getMessage() for r in caplog.records), secrets)


def test_a_422_echoing_the_token_as_field_name_or_key_prints_none_of_it(
    calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session
) -> None:
    calbridge_session.calendars()
    token = calbridge_session.credentials().access_token
    body = json.dumps({"errors": {token: [{"key": f"bad {token}", "description": f"{token} is wrong"}]}})
    calbridge_sandbox.fault("/v1/calendars", status=422, body=body, content_type="application/json")
    with pytest.raises(calbridge.ValidationError) as caught:
        calbridge_session.calendars()
    assert len(caught.value.field_errors) == 1
    field_error = caught.value.field_errors[0]
    for text in (field_error.field, field_error.key, field_error.description, repr(field_error), str(caught.value)):
        assert_no_secret(text, {token})


def test_the_repr_of_an_authorization_request_hides_the_link_token(
    calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox
) -> None:
    link_token = "link-token-0123456789-abcdefghij"
    auth = calbridge_client.authorization_url(
        calbridge_sandbox.redirect_uri, "read_events", link_token=link_token, pkce=True
    )
    assert link_token in auth.url  # it has to travel, but never print
    for text in (repr(auth), str(auth), f"{auth}", repr([auth])):
        assert_no_secret(text, {link_token})
    assert "link_token=****" in repr(auth)
    assert auth.state in repr(auth)
