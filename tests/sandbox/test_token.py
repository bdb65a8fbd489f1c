"""POST /oauth/token: the authorization_code and refresh_token grants, client authentication,
single-use codes, PKCE, rotation and reuse detection, lifetimes, and RFC 6749 §5.2 errors."""

from __future__ import annotations

import pytest

from sandbox_client import DEFAULT_REDIRECT, Reply, Sandbox, pkce_pair

OTHER_APP = {"client_id": "other-app", "client_secret": "other-secret", "name": "Other"}


def assert_oauth_error(r: Reply, status: int, error: str, description: str | None = None) -> None:
    assert r.status == status, r.body
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert r.header("Cache-Control") == "no-store"
    assert r.header("Pragma") == "no-cache"
    body = r.json()
    assert body["error"] == error
    assert set(body) <= {"error", "error_description", "error_uri"}
    if description is not None:
        assert body["error_description"] == description


def account_status(sandbox: Sandbox, access_token: str) -> int:
    return sandbox.get("/v1/account", token=access_token).status


def test_code_exchange_returns_the_documented_token_response(sandbox: Sandbox) -> None:
    r = sandbox.exchange(sandbox.code_for(scope="read_account list_calendars"))
    assert r.status == 200
    assert r.header("Cache-Control") == "no-store"
    assert r.header("Pragma") == "no-cache"
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    t = r.json()
    assert t["token_type"] == "bearer"
    assert t["expires_in"] == 3600
    assert t["scope"] == "read_account list_calendars"
    assert t["account_id"] == t["sub"] == "acc_sandbox_ada"
    assert t["linking_profile"] == {"provider_name": "google", "profile_id": "pro_sandbox_google",
                                    "profile_name": "ada@example.com"}
    assert t["userinfo"] == {"sub": "acc_sandbox_ada", "email": "ada@example.com", "name": "Ada Lovelace"}
    assert len(t["access_token"]) >= 40 and len(t["refresh_token"]) >= 40
    assert t["access_token"] != t["refresh_token"]
    assert account_status(sandbox, t["access_token"]) == 200


def test_code_exchange_accepts_a_json_body(sandbox: Sandbox) -> None:
    r = sandbox.exchange(sandbox.code_for(), as_json=True)
    assert r.status == 200
    assert r.json()["token_type"] == "bearer"


def test_code_exchange_accepts_http_basic_client_authentication(sandbox: Sandbox) -> None:
    assert sandbox.exchange(sandbox.code_for(), basic=True).status == 200


def test_basic_credentials_are_form_decoded_after_base64(sandbox: Sandbox) -> None:
    # RFC 6749 §2.3.1: id and secret are form-encoded before base64, so ':' and '%' survive.
    app = {"client_id": "odd:id+1", "client_secret": "s:e%c+r/t", "name": "Odd"}
    sandbox.admin_ok("POST", "/admin/applications", app)
    code = sandbox.code_for(client_id="odd:id+1")
    r = sandbox.exchange(code, client_id="odd:id+1", client_secret="s:e%c+r/t", basic=True)
    assert r.status == 200, r.body


def test_basic_and_a_body_secret_together_are_refused(sandbox: Sandbox) -> None:
    code = sandbox.code_for()
    r = sandbox.token({"grant_type": "authorization_code", "code": code, "redirect_uri": DEFAULT_REDIRECT,
                       "client_secret": sandbox.client_secret}, basic=True)
    assert_oauth_error(r, 400, "invalid_request")


@pytest.mark.parametrize(("client_id", "secret"), [
    (None, "wrong-secret"),
    ("no-such-client", "whatever"),
    (None, ""),
])
def test_wrong_client_credentials_are_401_invalid_client(sandbox: Sandbox, client_id, secret) -> None:
    r = sandbox.exchange(sandbox.code_for(), client_id=client_id, client_secret=secret)
    assert_oauth_error(r, 401, "invalid_client")


def test_wrong_basic_credentials_ask_for_basic_authentication(sandbox: Sandbox) -> None:
    r = sandbox.exchange(sandbox.code_for(), client_secret="nope", basic=True)
    assert_oauth_error(r, 401, "invalid_client")
    assert r.header("WWW-Authenticate") == 'Basic realm="calbridge-sandbox"'


def test_a_missing_client_id_is_invalid_client(sandbox: Sandbox) -> None:
    r = sandbox.request("POST", "/oauth/token", form={"grant_type": "refresh_token", "refresh_token": "x"})
    assert_oauth_error(r, 401, "invalid_client", "client_id is missing")


def test_a_code_is_single_use_and_its_reuse_revokes_what_it_issued(sandbox: Sandbox) -> None:
    code = sandbox.code_for()
    first = sandbox.exchange(code)
    assert first.status == 200
    tokens = first.json()
    second = sandbox.exchange(code)
    assert_oauth_error(second, 400, "invalid_grant",
                       "the authorization code has already been used; the tokens it gave are revoked")
    assert account_status(sandbox, tokens["access_token"]) == 401
    assert_oauth_error(sandbox.refresh(tokens["refresh_token"]), 400, "invalid_grant")
    grants = sandbox.admin_ok("GET", "/admin/grants")["grants"]
    assert [(g["revoked"], g["revoked_reason"]) for g in grants] == [(True, "authorization code reused")]


def test_a_redirect_uri_that_differs_is_invalid_grant_and_spends_the_code(sandbox: Sandbox) -> None:
    code = sandbox.code_for()
    assert_oauth_error(sandbox.exchange(code, "http://localhost:8080/callback/"), 400, "invalid_grant",
                       "redirect_uri does not match the one of the authorization request")
    assert_oauth_error(sandbox.exchange(code), 400, "invalid_grant")


def test_redirect_uri_must_be_byte_identical(sandbox: Sandbox) -> None:
    code = sandbox.code_for(redirect_uri="http://localhost:8080/cb?a=1")
    assert_oauth_error(sandbox.exchange(code, "http://LOCALHOST:8080/cb?a=1"), 400, "invalid_grant")


@pytest.mark.parametrize(("fields", "error", "description"), [
    ({"code": "c", "redirect_uri": DEFAULT_REDIRECT}, "invalid_request", "grant_type is required"),
    ({"grant_type": "authorization_code", "redirect_uri": DEFAULT_REDIRECT}, "invalid_request", "code is required"),
    ({"grant_type": "authorization_code", "code": "c"}, "invalid_request", "redirect_uri is required"),
    ({"grant_type": "refresh_token"}, "invalid_request", "refresh_token is required"),
    ({"grant_type": "password", "username": "u"}, "unsupported_grant_type", None),
    ({"grant_type": "authorization_code", "code": "bogus", "redirect_uri": DEFAULT_REDIRECT}, "invalid_grant",
     "unknown authorization code"),
    ({"grant_type": "refresh_token", "refresh_token": "bogus"}, "invalid_grant", "unknown or revoked refresh token"),
])
def test_malformed_token_requests_get_rfc6749_errors(sandbox: Sandbox, fields, error, description) -> None:
    assert_oauth_error(sandbox.token(fields), 400, error, description)


def test_a_code_of_another_client_is_invalid_grant(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/applications", OTHER_APP)
    code = sandbox.code_for()
    r = sandbox.exchange(code, client_id="other-app", client_secret="other-secret")
    assert_oauth_error(r, 400, "invalid_grant", "the authorization code was issued to another client")
    assert sandbox.exchange(code).status == 200  # not spent by the wrong client


def test_a_code_expires_after_the_code_lifetime(sandbox: Sandbox) -> None:
    code = sandbox.code_for()
    sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 61})
    assert_oauth_error(sandbox.exchange(code), 400, "invalid_grant", "the authorization code has expired")


def test_the_code_lifetime_is_configurable(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/clock", {"stopped": True})  # only advance_seconds moves it
    sandbox.admin_ok("PATCH", "/admin/settings", {"code_lifetime": 600})
    code = sandbox.code_for()
    sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 599})
    assert sandbox.exchange(code).status == 200
    sandbox.admin_ok("PATCH", "/admin/settings", {"code_lifetime": 5})
    code = sandbox.code_for()
    sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 5})
    assert_oauth_error(sandbox.exchange(code), 400, "invalid_grant", "the authorization code has expired")


class TestPkce:
    def test_s256_verifier_is_checked(self, sandbox: Sandbox) -> None:
        verifier, challenge = pkce_pair()
        code = sandbox.code_for(code_challenge=challenge, code_challenge_method="S256")
        assert sandbox.exchange(code, extra={"code_verifier": verifier}).status == 200

    def test_plain_method_compares_the_verifier_itself(self, sandbox: Sandbox) -> None:
        verifier = "v" * 50
        code = sandbox.code_for(code_challenge=verifier, code_challenge_method="plain")
        assert sandbox.exchange(code, extra={"code_verifier": verifier}).status == 200

    def test_a_challenge_without_a_method_is_plain(self, sandbox: Sandbox) -> None:
        verifier = "p" * 43
        code = sandbox.code_for(code_challenge=verifier)
        assert sandbox.exchange(code, extra={"code_verifier": verifier}).status == 200

    def test_a_wrong_verifier_is_invalid_grant(self, sandbox: Sandbox) -> None:
        _, challenge = pkce_pair()
        other, _ = pkce_pair()
        code = sandbox.code_for(code_challenge=challenge, code_challenge_method="S256")
        assert_oauth_error(sandbox.exchange(code, extra={"code_verifier": other}), 400, "invalid_grant",
                           "code_verifier does not match the code_challenge")

    def test_a_missing_verifier_is_invalid_grant(self, sandbox: Sandbox) -> None:
        _, challenge = pkce_pair()
        code = sandbox.code_for(code_challenge=challenge, code_challenge_method="S256")
        assert_oauth_error(sandbox.exchange(code), 400, "invalid_grant", "code_verifier is required (PKCE)")

    @pytest.mark.parametrize("verifier", ["short", "x" * 129, "has space" + "x" * 40, "é" * 43])
    def test_a_malformed_verifier_is_invalid_grant(self, sandbox: Sandbox, verifier: str) -> None:
        _, challenge = pkce_pair()
        code = sandbox.code_for(code_challenge=challenge, code_challenge_method="S256")
        assert_oauth_error(sandbox.exchange(code, extra={"code_verifier": verifier}), 400, "invalid_grant",
                           "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")

    def test_a_verifier_without_a_challenge_is_a_downgrade_and_refused(self, sandbox: Sandbox) -> None:
        verifier, _ = pkce_pair()
        code = sandbox.code_for()
        assert_oauth_error(sandbox.exchange(code, extra={"code_verifier": verifier}), 400, "invalid_grant",
                           "code_verifier given, but the authorization request had no code_challenge")


class TestRefresh:
    def test_refresh_rotates_by_default(self, sandbox: Sandbox) -> None:
        t = sandbox.connect()
        r = sandbox.refresh(t["refresh_token"])
        assert r.status == 200
        assert r.header("Cache-Control") == "no-store"
        n = r.json()
        assert n["token_type"] == "bearer" and n["expires_in"] == 3600
        assert n["refresh_token"] != t["refresh_token"]
        assert n["access_token"] != t["access_token"]
        assert n["account_id"] == "acc_sandbox_ada" and n["scope"] == t["scope"]
        assert "linking_profile" not in n
        assert account_status(sandbox, n["access_token"]) == 200
        assert sandbox.refresh(n["refresh_token"]).status == 200

    def test_refresh_accepts_a_json_body(self, sandbox: Sandbox) -> None:
        t = sandbox.connect()
        assert sandbox.refresh(t["refresh_token"], as_json=True).status == 200

    def test_reusing_a_rotated_refresh_token_revokes_the_grant(self, sandbox: Sandbox) -> None:
        t = sandbox.connect()
        n = sandbox.refresh(t["refresh_token"]).json()
        assert_oauth_error(sandbox.refresh(t["refresh_token"]), 400, "invalid_grant",
                           "the refresh token was already rotated; reuse detected, the grant is revoked")
        assert account_status(sandbox, n["access_token"]) == 401
        assert account_status(sandbox, t["access_token"]) == 401
        assert_oauth_error(sandbox.refresh(n["refresh_token"]), 400, "invalid_grant")

    def test_without_reuse_detection_a_rotated_token_fails_alone(self, sandbox: Sandbox) -> None:
        sandbox.admin_ok("PATCH", "/admin/settings", {"refresh_reuse_detection": False})
        t = sandbox.connect()
        n = sandbox.refresh(t["refresh_token"]).json()
        assert_oauth_error(sandbox.refresh(t["refresh_token"]), 400, "invalid_grant",
                           "the refresh token was already rotated")
        assert account_status(sandbox, n["access_token"]) == 200
        assert sandbox.refresh(n["refresh_token"]).status == 200

    def test_without_rotation_the_refresh_token_stays_and_keeps_working(self, sandbox: Sandbox) -> None:
        sandbox.admin_ok("PATCH", "/admin/settings", {"refresh_rotation": False})
        t = sandbox.connect()
        for _ in range(3):
            n = sandbox.refresh(t["refresh_token"]).json()
            assert n["refresh_token"] == t["refresh_token"]
            assert account_status(sandbox, n["access_token"]) == 200

    def test_a_refresh_token_of_another_client_is_invalid_grant(self, sandbox: Sandbox) -> None:
        sandbox.admin_ok("POST", "/admin/applications", OTHER_APP)
        t = sandbox.connect()
        r = sandbox.refresh(t["refresh_token"], client_id="other-app", client_secret="other-secret")
        assert_oauth_error(r, 400, "invalid_grant", "the refresh token was issued to another client")
        assert sandbox.refresh(t["refresh_token"]).status == 200

    def test_scope_can_be_narrowed_but_not_widened(self, sandbox: Sandbox) -> None:
        t = sandbox.connect(scope="read_account list_calendars")
        narrowed = sandbox.token({"grant_type": "refresh_token", "refresh_token": t["refresh_token"],
                                  "scope": "read_account"}).json()
        assert narrowed["scope"] == "read_account"
        assert sandbox.get("/v1/calendars", token=narrowed["access_token"]).status == 403
        r = sandbox.token({"grant_type": "refresh_token", "refresh_token": narrowed["refresh_token"],
                           "scope": "read_account read_events"})
        assert_oauth_error(r, 400, "invalid_scope", 'scope "read_events" was not granted')


class TestLifetimes:
    def test_access_tokens_expire_after_the_configured_lifetime(self, sandbox: Sandbox) -> None:
        sandbox.admin_ok("POST", "/admin/clock", {"stopped": True})  # only advance_seconds moves it
        sandbox.admin_ok("PATCH", "/admin/settings", {"access_token_lifetime": 120})
        t = sandbox.connect()
        assert t["expires_in"] == 120
        sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 119})
        assert account_status(sandbox, t["access_token"]) == 200
        sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 1})
        assert account_status(sandbox, t["access_token"]) == 401
        n = sandbox.refresh(t["refresh_token"]).json()
        assert account_status(sandbox, n["access_token"]) == 200

    def test_an_application_can_override_the_lifetime(self, sandbox: Sandbox) -> None:
        sandbox.admin_ok("POST", "/admin/applications", {**OTHER_APP, "settings": {"access_token_lifetime": 30}})
        t = sandbox.connect(client_id="other-app", client_secret="other-secret")
        assert t["expires_in"] == 30
        assert sandbox.connect()["expires_in"] == 3600

    def test_admin_can_expire_a_token_at_once(self, sandbox: Sandbox) -> None:
        t = sandbox.connect()
        out = sandbox.admin_ok("POST", "/admin/tokens/expire", {"access_token": t["access_token"]})
        assert out == {"expired": 1}
        assert account_status(sandbox, t["access_token"]) == 401
        assert sandbox.refresh(t["refresh_token"]).status == 200


class TestBodies:
    def test_malformed_json_is_invalid_request(self, sandbox: Sandbox) -> None:
        r = sandbox.request("POST", "/oauth/token", body='{"grant_type": "refresh_token",',
                            headers={"Content-Type": "application/json"})
        assert_oauth_error(r, 400, "invalid_request", "the body is not a JSON object")

    def test_non_string_json_fields_are_invalid_request(self, sandbox: Sandbox) -> None:
        r = sandbox.request("POST", "/oauth/token", json_body={"grant_type": ["refresh_token"]})
        assert_oauth_error(r, 400, "invalid_request", "grant_type must be a string")

    def test_an_unsupported_content_type_is_invalid_request(self, sandbox: Sandbox) -> None:
        r = sandbox.request("POST", "/oauth/token", body="<xml/>", headers={"Content-Type": "text/xml"})
        assert_oauth_error(r, 400, "invalid_request")

    def test_a_malformed_form_is_invalid_request(self, sandbox: Sandbox) -> None:
        r = sandbox.request("POST", "/oauth/token", body="grant_type=%zz",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert_oauth_error(r, 400, "invalid_request", "the form body is malformed")

    def test_get_is_not_allowed(self, sandbox: Sandbox) -> None:
        r = sandbox.get("/oauth/token")
        assert r.status == 405 and r.header("Allow") == "POST"


def test_token_requests_are_counted_by_grant_type(sandbox: Sandbox) -> None:
    t = sandbox.connect()
    sandbox.refresh(t["refresh_token"])
    sandbox.token({"grant_type": "password"})
    sandbox.token({})
    counters = sandbox.admin_ok("GET", "/admin/counters")
    assert counters["token_requests"] == {"authorization_code": 1, "refresh_token": 1, "other": 2}
