"""AuthorizationRequest.to_dict / from_dict: the pending authorization in server-side storage."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

import calbridge
from calbridge.sandbox import Sandbox

SCOPE = "read_account list_calendars read_events"


@pytest.fixture(params=[True, False], ids=["pkce", "no-pkce"])
def auth(request: pytest.FixtureRequest, calbridge_client: calbridge.Client) -> calbridge.AuthorizationRequest:
    pkce: bool = request.param
    return calbridge_client.authorization_url("http://127.0.0.1:8080/callback", SCOPE, pkce=pkce)


def test_the_dict_round_trips_through_json(auth: calbridge.AuthorizationRequest) -> None:
    d = auth.to_dict()
    assert d["format"] == "calbridge.authorization_request" and d["version"] == 1
    assert d["secret"] == {"code_verifier": auth.code_verifier}  # the secret, clearly named
    assert {k: v for k, v in d.items() if k != "secret"} == {
        "format": "calbridge.authorization_request", "version": 1,
        "url": auth.url, "redirect_uri": auth.redirect_uri, "state": auth.state,
    }  # fmt: skip
    again = calbridge.AuthorizationRequest.from_dict(json.loads(json.dumps(d)))
    assert again == auth


def test_a_request_read_back_completes_the_flow(calbridge_sandbox: Sandbox) -> None:
    # One client makes the link; another (with its own memory: another worker) completes it.
    maker, completer = calbridge_sandbox.client(), calbridge_sandbox.client()
    auth = maker.authorization_url(calbridge_sandbox.redirect_uri, SCOPE, pkce=True)
    stored = json.dumps(auth.to_dict())
    callback = calbridge_sandbox.consent(auth.url)
    read_back = calbridge.AuthorizationRequest.from_dict(json.loads(stored))
    credentials = completer.complete_authorization(callback, read_back)
    assert credentials.account_id == "acc_sandbox_ada"
    # The sandbox checked the verifier against the challenge of the link.
    grant = calbridge_sandbox.grants()[0]
    assert grant["account_id"] == "acc_sandbox_ada"


def test_a_wrong_verifier_is_what_the_server_refuses(calbridge_sandbox: Sandbox) -> None:
    # The check from_dict makes (verifier against the URL's challenge) is the server's too:
    # a request put together from two links fails at the token endpoint when not caught first.
    client = calbridge_sandbox.client()
    first = client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE, pkce=True)
    second = client.authorization_url(calbridge_sandbox.redirect_uri, SCOPE, pkce=True)
    mixed = first.to_dict()
    mixed["secret"] = second.to_dict()["secret"]
    with pytest.raises(calbridge.InvalidArgumentError, match="does not match the URL's S256 code challenge"):
        calbridge.AuthorizationRequest.from_dict(mixed)
    callback = calbridge_sandbox.consent(first.url)
    with pytest.raises(calbridge.InvalidGrantError):
        client.complete_authorization(callback, expected_state=first.state, redirect_uri=first.redirect_uri,
                                      code_verifier=second.code_verifier)  # fmt: skip


def _without(key: str) -> Callable[[dict[str, object]], None]:
    def change(d: dict[str, object]) -> None:
        del d[key]

    return change


def _set(key: str, value: object) -> Callable[[dict[str, object]], None]:
    def change(d: dict[str, object]) -> None:
        d[key] = value

    return change


def _set_secret(value: object) -> Callable[[dict[str, object]], None]:
    def change(d: dict[str, object]) -> None:
        d["secret"] = value

    return change


def _set_verifier(value: object) -> Callable[[dict[str, object]], None]:
    def change(d: dict[str, object]) -> None:
        d["secret"] = {"code_verifier": value}

    return change


MALFORMED: list[tuple[str, Callable[[dict[str, object]], None], str]] = [
    ("no format", _without("format"), "field 'format' must be"),
    ("another format", _set("format", "something.else"), "field 'format' must be"),
    ("no version", _without("version"), "field 'version' must be an integer"),
    ("version as text", _set("version", "1"), "field 'version' must be an integer"),
    ("version as bool", _set("version", True), "field 'version' must be an integer"),
    ("unknown version", _set("version", 2), "format version 2 is unknown"),
    ("unknown field", _set("verifier", "x"), "'verifier' is unknown"),
    ("no url", _without("url"), "field 'url' is missing"),
    ("no state", _without("state"), "field 'state' is missing"),
    ("no redirect_uri", _without("redirect_uri"), "field 'redirect_uri' is missing"),
    ("empty state", _set("state", ""), "field 'state' must be a non-empty string"),
    ("url not text", _set("url", 42), "field 'url' must be a non-empty string"),
    ("relative url", _set("url", "/oauth/authorize?state=x"), "must be an absolute http"),
    ("another state", _set("state", "not-the-one"), "field 'state' is not the state of the URL"),
    ("another redirect", _set("redirect_uri", "http://127.0.0.1:9/cb"), "is not the redirect URI of the URL"),
    ("no secret", _without("secret"), "field 'secret' is missing"),
    ("secret not a dict", _set_secret("abc"), "field 'secret' must be a dict"),
    ("secret without verifier", _set_secret({}), "'secret.code_verifier' is missing"),
    ("unknown secret field", _set_secret({"code_verifier": None, "x": 1}), "'secret.x' is unknown"),
    ("short verifier", _set_verifier("a" * 42), "is not a PKCE code verifier"),
    ("verifier with a space", _set_verifier("a" * 42 + " "), "is not a PKCE code verifier"),
    ("verifier not text", _set_verifier(12345), "is not a PKCE code verifier"),
]


@pytest.mark.parametrize(("case", "change", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_dicts_raise_a_typed_error_naming_the_field(
    calbridge_client: calbridge.Client, case: str, change: Callable[[dict[str, object]], None], message: str
) -> None:
    auth = calbridge_client.authorization_url("http://127.0.0.1:8080/callback", SCOPE, pkce=True)
    d: dict[str, object] = dict(copy.deepcopy(auth.to_dict()))
    change(d)
    with pytest.raises(calbridge.InvalidArgumentError, match=message) as caught:
        calbridge.AuthorizationRequest.from_dict(d)
    assert caught.value.code == calbridge.ErrorCode.INVALID_ARGUMENT
    assert auth.code_verifier is not None and auth.code_verifier not in str(caught.value)


def test_pkce_and_its_absence_must_agree_with_the_url(calbridge_client: calbridge.Client) -> None:
    with_pkce = calbridge_client.authorization_url("http://127.0.0.1:8080/callback", SCOPE, pkce=True).to_dict()
    with_pkce["secret"] = {"code_verifier": None}
    with pytest.raises(calbridge.InvalidArgumentError, match="is null but the URL has a code challenge"):
        calbridge.AuthorizationRequest.from_dict(with_pkce)
    without = calbridge_client.authorization_url("http://127.0.0.1:8080/callback", SCOPE, pkce=False).to_dict()
    without["secret"] = {"code_verifier": "v" * 43}
    with pytest.raises(calbridge.InvalidArgumentError, match="does not match the URL's S256 code challenge"):
        calbridge.AuthorizationRequest.from_dict(without)


def test_not_a_dict_is_refused() -> None:
    with pytest.raises(calbridge.InvalidArgumentError, match="must be a dict, not str"):
        calbridge.AuthorizationRequest.from_dict("{}")  # type: ignore[arg-type]


def test_the_repr_hides_the_verifier(calbridge_client: calbridge.Client) -> None:
    auth = calbridge_client.authorization_url("http://127.0.0.1:8080/callback", SCOPE, pkce=True)
    assert auth.code_verifier is not None
    for text in (repr(auth), str(auth), repr(calbridge.AuthorizationRequest.from_dict(auth.to_dict()))):
        assert auth.code_verifier not in text and "code_verifier='****'" in text
