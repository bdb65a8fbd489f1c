"""POST /v1/availability (docs/PROTOCOL.md §8) computed from the users' stored events: every answer
is compared with an independent minute-by-minute computation done here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sandbox_client import Sandbox

SECRET = "sandbox-client-secret-change-me"
MIN = 60


def iso(t: int) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s: str) -> int:
    return int(dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())


class World:
    """Two users with known events some days ahead of the sandbox's clock."""

    def __init__(self, sandbox: Sandbox) -> None:
        now = sandbox.admin_ok("GET", "/admin/clock")["now"]
        self.day = (now // 86400 + 3) * 86400  # 00:00 UTC, three days ahead

        def at(h: int, m: int = 0, day: int = 0) -> int:
            return self.day + day * 86400 + h * 3600 + m * 60

        self.at = at
        a_events = [  # (start, end, extra)
            (at(9), at(10), {}),
            (at(11, 30), at(12, 15), {}),
            (at(13), at(14), {"transparency": "transparent"}),
            (at(15), at(15, 30), {"status": "cancelled"}),
            (at(16), at(17), {"calendar_id": "cal_av_2"}),
            (at(10, 30), at(11), {"deleted": True}),
            (at(8), at(9), {"status": "tentative"}),  # tentative is busy
            (at(9), at(11), {"day": 1}),
        ]
        b_events = [(at(10), at(11), {}), (at(14), at(15), {}), (at(17, 45), at(19), {})]

        def ev(i: int, s: int, e: int, extra: dict) -> dict:
            body = {"summary": f"e{i}", "start": iso(s), "end": iso(e)}
            body.update({k: v for k, v in extra.items() if k != "day"})
            return body

        a_events = [(s + x.get("day", 0) * 86400, e + x.get("day", 0) * 86400, x) for s, e, x in a_events]
        self.busy = {"acc_av_b": [(s, e) for s, e, _ in b_events]}
        self.busy["acc_av_a"] = [(s, e) for s, e, x in a_events
                                 if not x.get("deleted") and x.get("transparency") != "transparent"
                                 and x.get("status") != "cancelled"]
        self.busy_a1 = [(s, e) for s, e, x in a_events
                        if not x.get("deleted") and x.get("transparency") != "transparent"
                        and x.get("status") != "cancelled" and x.get("calendar_id", "cal_av_1") == "cal_av_1"]
        sandbox.admin_ok("POST", "/admin/users", {"users": [
            {"email": "a@av.example", "account_id": "acc_av_a",
             "calendars": [{"calendar_id": "cal_av_1", "primary": True}, {"calendar_id": "cal_av_2"}],
             "events": [ev(i, s, e, x) for i, (s, e, x) in enumerate(a_events)]},
            {"email": "b@av.example", "account_id": "acc_av_b",
             "events": [ev(i, s, e, x) for i, (s, e, x) in enumerate(b_events)]},
            {"email": "c@av.example", "account_id": "acc_av_c"},
        ]})
        self.token_a = sandbox.connect(user="a@av.example")["access_token"]
        sandbox.connect(user="b@av.example")


def reference(busy: dict[str, list[tuple[int, int]]], groups: list[tuple[list[str], int]],
              periods: list[tuple[int, int]], duration: int, before: int = 0, after: int = 0,
              fmt: str = "periods", interval: int = 30 * MIN, max_results: int = 256) -> list[dict]:
    """Minute by minute: a member is free in minute [t, t+60) when no busy event [s, e) touches
    [t - before, t + 60 + after)."""
    order: list[str] = []
    for members, _ in groups:
        order += [m for m in members if m not in order]
    pieces: list[list[Any]] = []
    lo, hi = min(p[0] for p in periods), max(p[1] for p in periods)
    for t in range(lo, hi, MIN):
        if not any(a <= t and t + MIN <= b for a, b in periods):
            continue
        free = {m for m in order if not any(s < t + MIN + after and t - before < e for s, e in busy[m])}
        if not all(sum(m in free for m in members) >= req for members, req in groups):
            continue
        subs = [m for m in order if m in free]
        if pieces and pieces[-1][1] == t and pieces[-1][2] == subs:
            pieces[-1][1] = t + MIN
        else:
            pieces.append([t, t + MIN, subs])
    out: list[dict] = []

    def emit(a: int, b: int, subs: list[str]) -> None:
        if len(out) < max_results:
            out.append({"start": iso(a), "end": iso(b), "participants": [{"sub": s} for s in subs]})

    for a, b, subs in pieces:
        if fmt == "periods":
            if b - a >= duration:
                emit(a, b, subs)
            continue
        t = -(-a // interval) * interval
        while t + duration <= b:
            emit(t, t + duration, subs)
            t = -(-(t + duration) // interval) * interval if fmt == "slots" else t + interval
    return out


def ask(sandbox: Sandbox, body: dict, bearer: str = SECRET) -> Any:
    r = sandbox.request("POST", "/v1/availability", json_body=body, token=bearer)
    return r


def query(world: World, groups: list[tuple[list[str], Any]], periods: list[tuple[int, int]], minutes: int, **kw: Any) -> dict:
    body: dict = {
        "participants": [{"members": [{"sub": m} for m in members], "required": req} for members, req in groups],
        "required_duration": {"minutes": minutes},
        "available_periods": [{"start": iso(a), "end": iso(b)} for a, b in periods],
    }
    body.update(kw)
    return body


@pytest.fixture
def world(sandbox: Sandbox) -> World:
    return World(sandbox)


def test_one_member_periods(sandbox: Sandbox, world: World) -> None:
    periods = [(world.at(8), world.at(18)), (world.at(8, day=1), world.at(12, day=1))]
    r = ask(sandbox, query(world, [(["acc_av_a"], "all")], periods, 30))
    assert r.status == 200, r.body
    got = r.json()["available_periods"]
    assert got == reference(world.busy, [(["acc_av_a"], 1)], periods, 30 * MIN)
    # Spelled out once, so the reference itself is checked.
    assert [(g["start"][11:16], g["end"][11:16]) for g in got] == [
        ("10:00", "11:30"), ("12:15", "16:00"), ("17:00", "18:00"), ("08:00", "09:00"), ("11:00", "12:00")]


def test_two_members_all_with_buffers(sandbox: Sandbox, world: World) -> None:
    periods = [(world.at(7), world.at(20))]
    body = query(world, [(["acc_av_a", "acc_av_b"], "all")], periods, 30,
                 buffer={"before": {"minutes": 15}, "after": {"minutes": 10}})
    r = ask(sandbox, body)
    assert r.status == 200, r.body
    want = reference(world.busy, [(["acc_av_a", "acc_av_b"], 2)], periods, 30 * MIN, before=15 * MIN, after=10 * MIN)
    assert r.json()["available_periods"] == want
    assert want  # the case is not empty


def test_one_of_two_and_separate_groups(sandbox: Sandbox, world: World) -> None:
    periods = [(world.at(7), world.at(20))]
    r = ask(sandbox, query(world, [(["acc_av_a", "acc_av_b"], 1)], periods, 45))
    assert r.status == 200, r.body
    want = reference(world.busy, [(["acc_av_a", "acc_av_b"], 1)], periods, 45 * MIN)
    assert r.json()["available_periods"] == want
    assert any(len(p["participants"]) == 1 for p in want) and any(len(p["participants"]) == 2 for p in want)
    r = ask(sandbox, query(world, [(["acc_av_a"], "all"), (["acc_av_b"], "all")], periods, 20))
    assert r.json()["available_periods"] == reference(world.busy, [(["acc_av_a"], 1), (["acc_av_b"], 1)], periods, 20 * MIN)


@pytest.mark.parametrize(("fmt", "interval", "minutes"), [
    ("slots", 30, 60), ("slots", 15, 45), ("overlapping_slots", 15, 60), ("overlapping_slots", 60, 30)])
def test_slots(sandbox: Sandbox, world: World, fmt: str, interval: int, minutes: int) -> None:
    periods = [(world.at(8), world.at(19)), (world.at(8, day=1), world.at(13, day=1))]
    body = query(world, [(["acc_av_a", "acc_av_b"], "all")], periods, minutes,
                 response_format=fmt, start_interval={"minutes": interval}, buffer={"after": {"minutes": 5}})
    r = ask(sandbox, body)
    assert r.status == 200, r.body
    want = reference(world.busy, [(["acc_av_a", "acc_av_b"], 2)], periods, minutes * MIN, after=5 * MIN,
                     fmt=fmt, interval=interval * MIN)
    assert r.json() == {"available_slots": want}
    assert len(want) > 2
    for s in want:
        assert parse(s["start"]) % (interval * MIN) == 0 and parse(s["end"]) - parse(s["start"]) == minutes * MIN


def test_max_results_and_calendar_ids(sandbox: Sandbox, world: World) -> None:
    periods = [(world.at(8), world.at(19))]
    body = query(world, [(["acc_av_a"], "all")], periods, 30, response_format="overlapping_slots", max_results=3)
    got = ask(sandbox, body).json()["available_slots"]
    assert got == reference(world.busy, [(["acc_av_a"], 1)], periods, 30 * MIN, fmt="overlapping_slots")[:3]
    assert len(got) == 3
    body = query(world, [(["acc_av_a"], "all")], periods, 30)
    body["participants"][0]["members"][0]["calendar_ids"] = ["cal_av_1"]
    got = ask(sandbox, body).json()["available_periods"]
    assert got == reference({"acc_av_a": world.busy_a1}, [(["acc_av_a"], 1)], periods, 30 * MIN)
    assert got != reference(world.busy, [(["acc_av_a"], 1)], periods, 30 * MIN)  # cal_av_2's event ignored


def test_follows_upserts_and_deletes(sandbox: Sandbox, world: World) -> None:
    periods = [(world.at(8), world.at(18))]
    body = query(world, [(["acc_av_a"], "all")], periods, 30)
    r = sandbox.request("POST", "/v1/calendars/cal_av_1/events", token=world.token_a, json_body={
        "event_id": "new", "summary": "New", "start": iso(world.at(12, 15)), "end": iso(world.at(13, 40))})
    assert r.status == 202
    busy = dict(world.busy, acc_av_a=world.busy["acc_av_a"] + [(world.at(12, 15), world.at(13, 40))])
    assert ask(sandbox, body).json()["available_periods"] == reference(busy, [(["acc_av_a"], 1)], periods, 30 * MIN)
    r = sandbox.request("DELETE", "/v1/calendars/cal_av_1/events", token=world.token_a, json_body={"event_id": "new"})
    assert r.status == 202
    assert ask(sandbox, body).json()["available_periods"] == reference(world.busy, [(["acc_av_a"], 1)], periods, 30 * MIN)


def test_nothing_free(sandbox: Sandbox, world: World) -> None:
    r = ask(sandbox, query(world, [(["acc_av_a"], "all")], [(world.at(9), world.at(10))], 15))
    assert r.status == 200 and r.json() == {"available_periods": []}


def test_account_token_asks_about_its_own_account(sandbox: Sandbox, world: World) -> None:
    periods = [(world.at(8), world.at(18))]
    r = ask(sandbox, query(world, [(["acc_av_a"], "all")], periods, 30), bearer=world.token_a)
    assert r.status == 200
    assert r.json()["available_periods"] == reference(world.busy, [(["acc_av_a"], 1)], periods, 30 * MIN)
    r = ask(sandbox, query(world, [(["acc_av_a", "acc_av_b"], "all")], periods, 30), bearer=world.token_a)
    assert r.status == 422
    assert list(r.json()["errors"]) == ["participants[0].members[1].sub"]


def test_client_secret_needs_an_authorization(sandbox: Sandbox, world: World) -> None:
    periods = [(world.at(8), world.at(18))]
    r = ask(sandbox, query(world, [(["acc_av_c", "acc_nobody"], 1)], periods, 30))
    assert r.status == 422
    assert set(r.json()["errors"]) == {"participants[0].members[0].sub", "participants[0].members[1].sub"}
    assert r.json()["errors"]["participants[0].members[0].sub"][0]["key"] == "errors.not_authorized"


def test_authentication(sandbox: Sandbox, world: World) -> None:
    body = query(world, [(["acc_av_a"], "all")], [(world.at(8), world.at(18))], 30)
    assert sandbox.request("POST", "/v1/availability", json_body=body).status == 401
    assert ask(sandbox, body, bearer="sandbox-client-secret-change-mE").status == 401
    assert ask(sandbox, body, bearer="x").status == 401
    assert sandbox.get("/v1/availability", token=SECRET).status == 405


def bad_queries(w: World) -> list[tuple[dict, set[str]]]:
    ok = query(w, [(["acc_av_a"], "all")], [(w.at(8), w.at(18))], 30)

    def but(**kw: Any) -> dict:
        b = dict(ok)
        for k, v in kw.items():
            if v is None:
                b.pop(k)
            else:
                b[k] = v
        return b

    past = w.day - 10 * 86400
    return [
        (but(participants=None), {"participants"}),
        (but(participants=[]), {"participants"}),
        (but(participants=[{"members": []}]), {"participants[0].members"}),
        (but(participants=[{"members": [{}]}]), {"participants[0].members[0].sub"}),
        (but(participants=[{"members": [{"sub": "acc_av_a"}], "required": 2}]), {"participants[0].required"}),
        (but(participants=[{"members": [{"sub": "acc_av_a"}], "required": "some"}]), {"participants[0].required"}),
        (but(required_duration=None), {"required_duration"}),
        (but(required_duration={"minutes": 0}), {"required_duration"}),
        (but(required_duration={"hours": 1}), {"required_duration"}),
        (but(required_duration={"minutes": 1441}), {"required_duration"}),
        (but(available_periods=None), {"available_periods"}),
        (but(available_periods=[]), {"available_periods"}),
        (but(available_periods=[{"start": iso(w.at(10)), "end": iso(w.at(9))}]), {"available_periods[0].end"}),
        (but(available_periods=[{"start": "tomorrow", "end": iso(w.at(9))}]), {"available_periods[0].start"}),
        (but(available_periods=[{"start": iso(past), "end": iso(past + 3600)}]), {"available_periods[0].start"}),
        (but(available_periods=[{"start": iso(w.at(8)), "end": iso(w.at(8, day=36))}]), {"available_periods"}),
        (but(available_periods=[{"start": iso(w.at(8 + i)), "end": iso(w.at(8 + i, 30))} for i in range(51)]),
         {"available_periods"}),
        (but(buffer={"before": {"minutes": -1}}), {"buffer.before"}),
        (but(buffer=5), {"buffer"}),
        (but(start_interval={"minutes": 7}), {"start_interval"}),
        (but(max_results=0), {"max_results"}),
        (but(max_results=513), {"max_results"}),
        (but(response_format="list"), {"response_format"}),
        ({"participants": 1, "required_duration": 1, "available_periods": 1},
         {"participants", "required_duration", "available_periods"}),
    ]


def test_start_a_little_in_the_past_is_fine(sandbox: Sandbox, world: World) -> None:
    now = sandbox.admin_ok("POST", "/admin/clock", {"stopped": True})["now"]  # the limit is 300 s, to the second
    ok = query(world, [(["acc_av_a"], "all")], [(now - 240, now + 3600)], 30)
    assert ask(sandbox, ok).status == 200
    late = query(world, [(["acc_av_a"], "all")], [(now - 400, now + 3600)], 30)
    r = ask(sandbox, late)
    assert r.status == 422 and r.json()["errors"]["available_periods[0].start"][0]["key"] == "errors.in_the_past"


def test_invalid_queries(sandbox: Sandbox, world: World) -> None:
    for body, fields in bad_queries(world):
        r = ask(sandbox, body)
        assert r.status == 422, (body, r.body)
        errors = r.json()["errors"]
        assert set(errors) == fields, (body, errors)
        for field in fields:
            assert errors[field][0]["key"].startswith("errors.") and errors[field][0]["description"]
    r = sandbox.request("POST", "/v1/availability", body="{", token=SECRET)
    assert r.status == 422
