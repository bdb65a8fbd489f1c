"""The connect flow end to end against the sandbox, and each way it can go wrong."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import DictStore, token_requests

import calbridge
from calbridge.sandbox import Sandbox, SandboxError

SCOPE = ["read_account", "list_calendars", "read_events"]


def test_the_whole_flow_connects_lists_and_revokes(calbridge_sandbox: Sandbox) -> None:
    store = DictStore()
    client = calbridge_sandbox.client(store=store)

    auth = client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE, pkce=True)
    query = parse_qs(urlsplit(auth.url).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [calbridge_sandbox.client_id]
    assert query["redirect_uri"] == [calbridge_sandbox.redirect_uri]
    assert query["scope"] == ["read_account list_calendars read_events"]
    assert query["state"] == [auth.state]
    assert query["code_challenge_method"] == ["S256"]
    assert auth.code_verifier is not None and len(auth.code_verifier) == 43

    callback = calbridge_sandbox.consent(auth.url)
    credentials = client.complete_authorization(callback, auth)

    assert credentials.account_id == "acc_sandbox_ada"
    assert credentials.scope == ("read_account", "list_calendars", "read_events")
    assert credentials.expires_at is not None
    assert credentials.expires_at.tzinfo is timezone.utc
    assert timedelta(minutes=59) < credentials.expires_at - datetime.now(timezone.utc) <= timedelta(hours=1)
    assert not credentials.is_expired()
    assert credentials.linking_profile is not None
    assert store.current("acc_sandbox_ada") == credentials  # saved on completion

    session = client.session("acc_sandbox_ada")
    assert session.account().email == "ada@example.com"
    assert [c.calendar_id for c in session.calendars()] == [
        "cal_sandbox_primary",
        "cal_sandbox_holidays",
        "cal_sandbox_work",
    ]
    client.revoke(credentials)
    with pytest.raises((calbridge.InvalidGrantError, calbridge.AuthenticationError)):
        session.calendars()


def test_the_scope_may_be_a_space_separated_string(calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox) -> None:
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, "read_account  list_calendars")
    assert parse_qs(urlsplit(auth.url).query)["scope"] == ["read_account list_calendars"]


def test_pkce_is_on_by_default_and_off_only_when_asked(calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox) -> None:
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, "read_account")
    query = parse_qs(urlsplit(auth.url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert auth.code_verifier is not None and len(auth.code_verifier) == 43
    assert calbridge_client.complete_authorization(calbridge_sandbox.consent(auth.url), auth).account_id

    without = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, "read_account", pkce=False)
    assert "code_challenge" not in parse_qs(urlsplit(without.url).query)
    assert without.code_verifier is None
    assert calbridge_client.complete_authorization(calbridge_sandbox.consent(without.url), without).account_id


def test_complete_authorization_takes_the_parts_instead_of_the_request(
    calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox
) -> None:
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE, state="my-state-1234567890abcdef")
    assert auth.state == "my-state-1234567890abcdef"
    callback = calbridge_sandbox.consent(auth.url)
    credentials = calbridge_client.complete_authorization(
        callback,
        expected_state="my-state-1234567890abcdef",
        redirect_uri=calbridge_sandbox.redirect_uri,
        code_verifier=auth.code_verifier,
    )
    assert credentials.account_id == "acc_sandbox_ada"


def test_a_state_that_does_not_match_is_refused_before_any_request(
    calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox
) -> None:
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE)
    callback = calbridge_sandbox.consent(auth.url)
    forged = callback.replace(f"state={auth.state}", "state=someone-elses-state")
    before = token_requests(calbridge_sandbox, "authorization_code")
    with pytest.raises(calbridge.StateMismatchError) as caught:
        calbridge_client.complete_authorization(forged, auth)
    assert caught.value.code == calbridge.ErrorCode.STATE_MISMATCH
    assert isinstance(caught.value, calbridge.AuthorizationFlowError)
    assert token_requests(calbridge_sandbox, "authorization_code") == before


def test_denied_consent_raises_authorization_denied(calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox) -> None:
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE)
    callback = calbridge_sandbox.deny(auth.url)
    with pytest.raises(calbridge.AuthorizationDeniedError) as caught:
        calbridge_client.complete_authorization(callback, auth)
    assert caught.value.oauth_error == "access_denied"
    assert caught.value.http_status is None


def test_a_denial_with_invalid_utf8_is_still_an_authorization_denied_error(
    calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox
) -> None:
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE)
    callback = f"{calbridge_sandbox.redirect_uri}?error=access%FFdenied&error_description=bad%C3%28byte&state={auth.state}"
    with pytest.raises(calbridge.AuthorizationDeniedError) as caught:
        calbridge_client.complete_authorization(callback, auth)
    assert caught.value.oauth_error == "access\ufffddenied"
    assert caught.value.description == "bad\ufffd(byte"
    assert "access\ufffddenied" in str(caught.value)


def test_a_reused_code_is_an_invalid_grant(calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox) -> None:
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE)
    callback = calbridge_sandbox.consent(auth.url)
    calbridge_client.complete_authorization(callback, auth)
    with pytest.raises(calbridge.InvalidGrantError) as caught:
        calbridge_client.complete_authorization(callback, auth)
    assert caught.value.oauth_error == "invalid_grant"
    assert caught.value.http_status == 400
    assert isinstance(caught.value, calbridge.OAuthError)


def test_an_unregistered_redirect_uri_of_a_verified_app_never_reaches_consent(calbridge_sandbox: Sandbox) -> None:
    app = calbridge_sandbox.add_application(verified=True, redirect_uris=["https://app.example.com/callback"])
    assert isinstance(app["client_id"], str) and isinstance(app["client_secret"], str)

    # The sandbox's authorization page refuses it: no consent, no redirect.
    client = calbridge_sandbox.client(app["client_id"], app["client_secret"])
    auth = client.authorization_url("https://elsewhere.example.com/callback", SCOPE)
    with pytest.raises(SandboxError) as caught:
        calbridge_sandbox.consent(auth.url)
    assert caught.value.status == 400

    # A client that knows its registered URIs refuses before sending anyone anywhere.
    strict = calbridge_sandbox.client(app["client_id"], app["client_secret"], redirect_uris=["https://app.example.com/callback"])
    with pytest.raises(calbridge.ConfigurationError):
        strict.authorization_url("https://elsewhere.example.com/callback", SCOPE)
    assert strict.authorization_url("https://app.example.com/callback", SCOPE).redirect_uri == "https://app.example.com/callback"


def test_a_token_about_to_expire_is_refreshed_before_the_call(
    calbridge_sandbox: Sandbox, calbridge_credentials: calbridge.Credentials
) -> None:
    client = calbridge_sandbox.client()  # a fresh store: the session stores these credentials
    soon = calbridge_credentials.replace(expires_at=datetime.now(timezone.utc) + timedelta(seconds=30))
    session = client.session(soon)
    before = token_requests(calbridge_sandbox, "refresh_token")

    assert len(session.calendars()) == 3

    assert token_requests(calbridge_sandbox, "refresh_token") == before + 1
    renewed = session.credentials()
    assert renewed.access_token != calbridge_credentials.access_token
    assert renewed.refresh_token != calbridge_credentials.refresh_token  # the sandbox rotates
    assert not renewed.is_expired(leeway=60)


def test_a_401_refreshes_once_and_retries(calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session) -> None:
    calbridge_session.calendars()
    assert calbridge_sandbox.expire_access_tokens(account_id=calbridge_session.account_key) == 1
    before = token_requests(calbridge_sandbox, "refresh_token")

    assert len(calbridge_session.calendars()) == 3

    assert token_requests(calbridge_sandbox, "refresh_token") == before + 1


def test_after_revoke_the_next_call_needs_reauthorization(
    calbridge_client: calbridge.Client, calbridge_session: calbridge.Session, calbridge_sandbox: Sandbox
) -> None:
    calbridge_client.revoke(calbridge_session.credentials())
    grants = calbridge_sandbox.grants()
    assert [g["revoked"] for g in grants] == [True]

    with pytest.raises(calbridge.InvalidGrantError) as caught:
        calbridge_session.calendars()
    assert caught.value.oauth_error == "invalid_grant"


def test_revoke_by_sub_revokes_every_grant_of_the_account(
    calbridge_client: calbridge.Client, calbridge_credentials: calbridge.Credentials, calbridge_sandbox: Sandbox
) -> None:
    calbridge_client.revoke(calbridge_credentials.sub)
    assert [g["revoked"] for g in calbridge_sandbox.grants()] == [True]


def test_refresh_and_exchange_code_talk_to_the_token_endpoint_only(
    calbridge_client: calbridge.Client, calbridge_sandbox: Sandbox
) -> None:
    auth = calbridge_client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE)
    code = parse_qs(urlsplit(calbridge_sandbox.consent(auth.url)).query)["code"][0]
    credentials = calbridge_client.exchange_code(code, calbridge_sandbox.redirect_uri, code_verifier=auth.code_verifier)
    assert calbridge_client.store.load(credentials.account_key) is None  # nothing stored

    refreshed = calbridge_client.refresh(credentials)
    assert refreshed.account_id == credentials.account_id
    assert refreshed.refresh_token != credentials.refresh_token
    assert calbridge_client.store.load(credentials.account_key) is None
