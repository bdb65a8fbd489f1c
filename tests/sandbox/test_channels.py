"""Push notification channels (docs/PROTOCOL.md §7): create, list, close, per grant; 422 field
errors for bad callback URLs and filters; any valid token will do."""

from __future__ import annotations

import pytest

from sandbox_client import Sandbox

LOOPBACK = "http://127.0.0.1:9/push"


def create(sandbox: Sandbox, token: str, body: dict) -> tuple[int, dict]:
    r = sandbox.request("POST", "/v1/channels", json_body=body, token=token)
    return r.status, (r.json() if r.body else {})


def test_create_list_close(sandbox: Sandbox) -> None:
    token = sandbox.connect(scope="read_account")["access_token"]  # no particular scope needed
    status, body = create(sandbox, token, {"callback_url": LOOPBACK,
                                           "filters": {"calendar_ids": ["cal_sandbox_work"], "only_managed": True}})
    assert status == 200, body
    ch = body["channel"]
    assert ch["channel_id"].startswith("chn_")
    assert ch == {"channel_id": ch["channel_id"], "callback_url": LOOPBACK,
                  "filters": {"calendar_ids": ["cal_sandbox_work"], "only_managed": True}}
    status, plain = create(sandbox, token, {"callback_url": "https://app.example.com/push"})
    assert status == 200 and plain["channel"]["filters"] == {}

    listed = sandbox.get("/v1/channels", token=token)
    assert listed.status == 200
    assert listed.json()["channels"] == [ch, plain["channel"]]

    r = sandbox.request("DELETE", f"/v1/channels/{ch['channel_id']}", token=token)
    assert r.status == 202
    assert sandbox.get("/v1/channels", token=token).json()["channels"] == [plain["channel"]]
    assert sandbox.request("DELETE", f"/v1/channels/{ch['channel_id']}", token=token).status == 404


def test_channels_belong_to_the_grant(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/users", {"email": "bob@example.com", "account_id": "acc_bob"})
    ada = sandbox.connect()["access_token"]
    bob = sandbox.connect(user="bob@example.com")["access_token"]
    _, body = create(sandbox, ada, {"callback_url": LOOPBACK})
    assert sandbox.get("/v1/channels", token=bob).json()["channels"] == []
    assert sandbox.request("DELETE", f"/v1/channels/{body['channel']['channel_id']}", token=bob).status == 404
    assert len(sandbox.get("/v1/channels", token=ada).json()["channels"]) == 1


def test_needs_a_valid_token(sandbox: Sandbox) -> None:
    assert sandbox.get("/v1/channels").status == 401
    assert sandbox.get("/v1/channels", token="not-a-token").status == 401
    assert sandbox.request("POST", "/v1/channels", json_body={"callback_url": LOOPBACK}, token="nope").status == 401
    token = sandbox.connect()["access_token"]
    assert sandbox.request("PUT", "/v1/channels", token=token).status == 405


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "callback_url"),
        ({"callback_url": 5}, "callback_url"),
        ({"callback_url": ""}, "callback_url"),
        ({"callback_url": "https://a.example.com/" + "x" * 107}, "callback_url"),  # 129 characters
        ({"callback_url": "http://app.example.com/push"}, "callback_url"),  # plain http, not loopback
        ({"callback_url": "ftp://127.0.0.1/push"}, "callback_url"),
        ({"callback_url": "/relative"}, "callback_url"),
        ({"callback_url": LOOPBACK, "filters": []}, "filters"),
        ({"callback_url": LOOPBACK, "filters": {"calendar_ids": "cal_sandbox_work"}}, "filters.calendar_ids"),
        ({"callback_url": LOOPBACK, "filters": {"calendar_ids": ["cal_nope"]}}, "filters.calendar_ids"),
        ({"callback_url": LOOPBACK, "filters": {"only_managed": "yes"}}, "filters.only_managed"),
        ({"callback_url": LOOPBACK, "filters": {"colour": 1}}, "filters.colour"),
    ],
)
def test_invalid_channels(sandbox: Sandbox, body: dict, field: str) -> None:
    token = sandbox.connect()["access_token"]
    status, reply = create(sandbox, token, body)
    assert status == 422, reply
    assert field in reply["errors"], reply
    assert reply["errors"][field][0]["key"].startswith("errors.")
    assert sandbox.get("/v1/channels", token=token).json()["channels"] == []


def test_limits_of_callback_urls(sandbox: Sandbox) -> None:
    token = sandbox.connect()["access_token"]
    exactly_128 = "https://a.example.com/" + "x" * 106
    assert len(exactly_128) == 128
    for url in (exactly_128, "http://localhost:1/cb", "http://[::1]:1/cb", "http://127.0.0.1/cb?x=1"):
        status, body = create(sandbox, token, {"callback_url": url})
        assert status == 200, (url, body)
        assert body["channel"]["callback_url"] == url
    assert create(sandbox, token, {"callback_url": "not json"})[0] == 422
    r = sandbox.request("POST", "/v1/channels", body="{", token=token,
                        headers={"Content-Type": "application/json"})
    assert r.status == 422
