"""POST /oauth/token/revoke (RFC 7009) by token or by sub."""

from __future__ import annotations

from sandbox_client import Sandbox

OTHER_APP = {"client_id": "other-app", "client_secret": "other-secret", "name": "Other"}


def revoke(sandbox: Sandbox, fields: dict[str, str], *, as_json: bool = False, secret: str | None = None):
    body = {"client_id": sandbox.client_id, "client_secret": secret or sandbox.client_secret, **fields}
    if as_json:
        return sandbox.request("POST", "/oauth/token/revoke", json_body=body)
    return sandbox.request("POST", "/oauth/token/revoke", form=body)


def alive(sandbox: Sandbox, tokens: dict[str, str]) -> tuple[bool, bool]:
    """(access token accepted by the API, refresh token accepted by the token endpoint)"""
    access = sandbox.get("/v1/account", token=tokens["access_token"]).status == 200
    refresh = sandbox.refresh(tokens["refresh_token"]).status == 200
    return access, refresh


def test_revoking_the_refresh_token_revokes_the_whole_grant(sandbox: Sandbox) -> None:
    t = sandbox.connect()
    r = revoke(sandbox, {"token": t["refresh_token"]})
    assert r.status == 200 and r.body == b""
    assert alive(sandbox, t) == (False, False)
    assert sandbox.get("/v1/account", token=t["access_token"]).json()["error"] == "invalid_token"


def test_revoking_the_access_token_revokes_the_grant(sandbox: Sandbox) -> None:
    t = sandbox.connect()
    assert revoke(sandbox, {"token": t["access_token"]}, as_json=True).status == 200
    assert alive(sandbox, t) == (False, False)


def test_revoking_by_sub_revokes_every_grant_of_this_client_for_the_account(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/applications", OTHER_APP)
    sandbox.admin_ok("POST", "/admin/users", {"account_id": "acc_bob", "email": "bob@example.com"})
    first, second = sandbox.connect(), sandbox.connect()
    bob = sandbox.connect(user="acc_bob")
    other = sandbox.connect(client_id="other-app", client_secret="other-secret")
    assert revoke(sandbox, {"sub": "acc_sandbox_ada"}).status == 200
    assert alive(sandbox, first) == (False, False)
    assert alive(sandbox, second) == (False, False)
    assert sandbox.get("/v1/account", token=bob["access_token"]).status == 200
    assert sandbox.get("/v1/account", token=other["access_token"]).status == 200


def test_token_wins_over_sub(sandbox: Sandbox) -> None:
    first, second = sandbox.connect(), sandbox.connect()
    assert revoke(sandbox, {"token": first["refresh_token"], "sub": "acc_sandbox_ada"}).status == 200
    assert sandbox.get("/v1/account", token=first["access_token"]).status == 401
    assert sandbox.get("/v1/account", token=second["access_token"]).status == 200


def test_an_unknown_token_is_not_an_error(sandbox: Sandbox) -> None:
    assert revoke(sandbox, {"token": "never-issued"}).status == 200


def test_another_clients_token_is_left_alone(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/applications", OTHER_APP)
    t = sandbox.connect()
    r = sandbox.request("POST", "/oauth/token/revoke",
                        form={"client_id": "other-app", "client_secret": "other-secret", "token": t["refresh_token"]})
    assert r.status == 200
    assert sandbox.get("/v1/account", token=t["access_token"]).status == 200


def test_wrong_client_credentials_are_401(sandbox: Sandbox) -> None:
    t = sandbox.connect()
    r = revoke(sandbox, {"token": t["refresh_token"]}, secret="wrong")
    assert r.status == 401 and r.json()["error"] == "invalid_client"
    assert sandbox.get("/v1/account", token=t["access_token"]).status == 200


def test_neither_token_nor_sub_is_invalid_request(sandbox: Sandbox) -> None:
    r = revoke(sandbox, {})
    assert r.status == 400
    assert r.json() == {"error": "invalid_request", "error_description": "token or sub is required"}


def test_revocations_are_counted(sandbox: Sandbox) -> None:
    revoke(sandbox, {"token": "x"})
    revoke(sandbox, {"sub": "y"})
    assert sandbox.admin_ok("GET", "/admin/counters")["revocations"] == 2
