"""Rate limits: off by default, the published 50/s and 500/min, custom limits, per
application; 429 with Retry-After."""

from __future__ import annotations

from sandbox_client import Reply, Sandbox

OTHER_APP = {"client_id": "other-app", "client_secret": "other-secret", "name": "Other"}


def burst(sandbox: Sandbox, token: str, n: int, stop_at_429: bool = True) -> list[Reply]:
    """Up to `n` GET /v1/account on one keep-alive connection, as fast as possible."""
    conn = sandbox.connection()
    replies: list[Reply] = []
    try:
        for _ in range(n):
            replies.append(sandbox.request("GET", "/v1/account", token=token, conn=conn))
            if stop_at_429 and replies[-1].status == 429:
                break
    finally:
        conn.close()
    return replies


def assert_429(r: Reply, max_wait: int) -> None:
    assert r.status == 429
    assert r.json()["error"] == "too_many_requests"
    retry_after = r.header("Retry-After")
    assert retry_after is not None and retry_after.isdigit()
    assert 1 <= int(retry_after) <= max_wait


def test_there_is_no_limit_by_default(sandbox: Sandbox) -> None:
    t = sandbox.connect()["access_token"]
    assert {r.status for r in burst(sandbox, t, 120)} == {200}
    assert sandbox.admin_ok("GET", "/admin/settings")["rate_limit"] == "off"


def test_a_per_second_limit_answers_429_with_retry_after_1(sandbox: Sandbox) -> None:
    t = sandbox.connect()["access_token"]
    sandbox.admin_ok("PATCH", "/admin/settings", {"rate_limit": {"per_second": 3}})
    replies = burst(sandbox, t, 40)
    assert_429(replies[-1], 1)
    assert replies[-1].header("Retry-After") == "1"
    assert sum(r.status == 200 for r in replies) >= 3
    assert sandbox.admin_ok("GET", "/admin/counters")["rate_limited"] == 1


def test_a_per_minute_limit_answers_429_until_the_minute_ends(sandbox: Sandbox) -> None:
    t = sandbox.connect()["access_token"]
    sandbox.admin_ok("PATCH", "/admin/settings", {"rate_limit": {"per_minute": 4}})
    replies = burst(sandbox, t, 10)
    assert_429(replies[-1], 60)
    assert 4 <= sum(r.status == 200 for r in replies) <= 8  # 8 only if a minute ended mid-burst


def test_the_published_limit_is_50_per_second_and_500_per_minute(sandbox: Sandbox) -> None:
    t = sandbox.connect()["access_token"]
    out = sandbox.admin_ok("PATCH", "/admin/settings", {"rate_limit": "published"})
    assert out["rate_limit"] == {"per_second": 50, "per_minute": 500}
    replies = burst(sandbox, t, 1100)
    assert_429(replies[-1], 60)
    assert sum(r.status == 200 for r in replies) >= 50


def test_limits_count_per_application(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/applications", OTHER_APP)
    mine = sandbox.connect()["access_token"]
    other = sandbox.connect(client_id="other-app", client_secret="other-secret")["access_token"]
    sandbox.admin_ok("PATCH", "/admin/settings", {"rate_limit": {"per_minute": 3}})
    assert burst(sandbox, mine, 10)[-1].status == 429
    assert sandbox.get("/v1/account", token=other).status == 200


def test_an_application_can_have_its_own_limit(sandbox: Sandbox) -> None:
    sandbox.admin_ok("POST", "/admin/applications", {**OTHER_APP, "settings": {"rate_limit": {"per_minute": 3}}})
    other = sandbox.connect(client_id="other-app", client_secret="other-secret")["access_token"]  # one of the 3
    assert [r.status for r in burst(sandbox, other, 6)][-1] == 429
    mine = sandbox.connect()["access_token"]
    assert {r.status for r in burst(sandbox, mine, 20)} == {200}


def test_the_token_endpoint_is_limited_too(sandbox: Sandbox) -> None:
    t = sandbox.connect()
    sandbox.admin_ok("PATCH", "/admin/settings", {"rate_limit": {"per_minute": 2}})
    refresh = t["refresh_token"]
    statuses = []
    for _ in range(6):
        r = sandbox.refresh(refresh)
        statuses.append(r.status)
        if r.status == 429:
            assert_429(r, 60)
            break
        refresh = r.json()["refresh_token"]
    assert statuses[-1] == 429


def test_reset_clears_the_windows(sandbox: Sandbox) -> None:
    t = sandbox.connect()
    sandbox.admin_ok("PATCH", "/admin/settings", {"rate_limit": {"per_minute": 2}})
    assert burst(sandbox, t["access_token"], 5)[-1].status == 429
    sandbox.admin_ok("POST", "/admin/reset")
    assert sandbox.admin_ok("GET", "/admin/settings")["rate_limit"] == "off"
