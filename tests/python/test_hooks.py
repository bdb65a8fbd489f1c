"""Refresh and reauthorization hooks, called from the core with the GIL taken."""

from __future__ import annotations

import pytest
from helpers import DictStore

import calbridge
from calbridge.sandbox import Sandbox


def test_on_refresh_runs_once_the_new_credentials_are_stored(calbridge_sandbox: Sandbox) -> None:
    store = DictStore()
    seen_by_client: list[calbridge.Credentials] = []
    seen_by_session: list[tuple[calbridge.Credentials, calbridge.Credentials | None]] = []
    client = calbridge_sandbox.client(store=store, on_refresh=seen_by_client.append)
    credentials = calbridge_sandbox.authorize(client)
    session = client.session(
        credentials.account_key, on_refresh=lambda c: seen_by_session.append((c, store.current(c.account_key)))
    )
    other = client.session(credentials.account_key)  # no hook of its own
    calbridge_sandbox.expire_access_tokens(account_id=credentials.account_key)

    other.calendars()

    assert len(seen_by_client) == 1
    assert seen_by_client[0].refresh_token != credentials.refresh_token
    assert seen_by_session == [(seen_by_client[0], seen_by_client[0])]  # stored before the hook ran
    assert session.credentials() == seen_by_client[0]


def test_an_on_refresh_that_raises_fails_the_call_but_keeps_the_credentials(calbridge_sandbox: Sandbox) -> None:
    store = DictStore()

    def hook(credentials: calbridge.Credentials) -> None:
        raise KeyError("audit log unavailable")

    client = calbridge_sandbox.client(store=store, on_refresh=hook)
    credentials = calbridge_sandbox.authorize(client)
    calbridge_sandbox.expire_access_tokens(account_id=credentials.account_key)
    with pytest.raises(calbridge.UserCallbackError) as caught:
        client.session(credentials.account_key).calendars()
    assert isinstance(caught.value.__cause__, KeyError)
    stored = store.current(credentials.account_key)
    assert stored is not None and stored.refresh_token != credentials.refresh_token


def test_on_reauthorization_required_names_the_account(calbridge_sandbox: Sandbox) -> None:
    accounts: list[str] = []
    client = calbridge.Client(
        calbridge_sandbox.client_id,
        calbridge_sandbox.client_secret,
        api_url=calbridge_sandbox.api_url,
        app_url=calbridge_sandbox.app_url,
        ca_file=calbridge_sandbox.ca_file,
        on_reauthorization_required=accounts.append,
    )
    credentials = calbridge_sandbox.authorize(client)
    client.revoke(credentials)
    with pytest.raises(calbridge.InvalidGrantError):
        client.session(credentials.account_key).calendars()
    assert accounts == [credentials.account_key]


def test_a_session_for_an_unknown_account_needs_authorization(calbridge_client: calbridge.Client) -> None:
    with pytest.raises(calbridge.InvalidGrantError):
        calbridge_client.session("acc_nobody").calendars()
