"""The calendar API (docs/PROTOCOL.md §5): calendars, events and free/busy with paging, upsert and
delete, account, userinfo, profiles, profile revoke, link tokens; 401, 403, 404, 405, 422."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

from sandbox_client import ALL_SCOPES, Reply, Sandbox

WIDE = {"tzid": "Etc/UTC", "from": "2000-01-01", "to": "2100-01-01"}
PRIMARY = "cal_sandbox_primary"


@pytest.fixture
def token(sandbox: Sandbox) -> str:
    return sandbox.connect()["access_token"]


def events_path(kind: str = "events", params: dict | list | None = None) -> str:
    return f"/v1/{kind}?" + urllib.parse.urlencode(params if params is not None else WIDE, quote_via=urllib.parse.quote)


def path_of(url: str) -> str:
    s = urllib.parse.urlsplit(url)
    return s.path + ("?" + s.query if s.query else "")


def read_all(sandbox: Sandbox, token: str, first: str, key: str = "events") -> list[Reply]:
    pages = [sandbox.get(first, token=token)]
    while pages[-1].json()["pages"].get("next_page"):
        pages.append(sandbox.get(path_of(pages[-1].json()["pages"]["next_page"]), token=token))
        assert len(pages) < 50
    return pages


def upsert(sandbox: Sandbox, token: str, body: dict, calendar: str = PRIMARY) -> Reply:
    return sandbox.request("POST", f"/v1/calendars/{calendar}/events", json_body=body, token=token)


def managed(sandbox: Sandbox, token: str, **extra: str) -> list[dict]:
    params = {**WIDE, "only_managed": "true", **extra}
    return sandbox.get(events_path(params=params), token=token).json()["events"]


EVENT = {"event_id": "booking-1", "summary": "Dentist", "description": "Bring the form",
         "start": "2031-05-06T09:00:00Z", "end": "2031-05-06T09:30:00Z", "location": {"description": "Main St"}}


def test_calendars_lists_every_visible_calendar_with_the_documented_fields(sandbox: Sandbox, token: str) -> None:
    r = sandbox.get("/v1/calendars", token=token)
    assert r.status == 200
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    cals = r.json()["calendars"]
    assert [c["calendar_id"] for c in cals] == ["cal_sandbox_primary", "cal_sandbox_holidays", "cal_sandbox_work"]
    assert cals[0] == {
        "provider_name": "google", "profile_id": "pro_sandbox_google", "profile_name": "ada@example.com",
        "calendar_id": "cal_sandbox_primary", "calendar_name": "Ada Lovelace", "calendar_readonly": False,
        "calendar_deleted": False, "calendar_primary": True, "permission_level": "unrestricted",
        "calendar_integrated_conferencing_available": False, "calendar_attachments_available": False,
    }
    assert cals[1]["calendar_readonly"] is True


class TestEvents:
    def test_250_events_come_in_pages_of_100_with_absolute_next_page_urls(self, sandbox: Sandbox, token: str) -> None:
        pages = read_all(sandbox, token, events_path(params={**WIDE, "calendar_ids[]": PRIMARY}))
        assert [p.json()["pages"]["current"] for p in pages] == [1, 2, 3]
        assert {p.json()["pages"]["total"] for p in pages} == {3}
        assert [len(p.json()["events"]) for p in pages] == [100, 100, 50]
        for p in pages[:-1]:
            assert p.json()["pages"]["next_page"].startswith(f"{sandbox.url}/v1/events/pages/")
        assert "next_page" not in pages[-1].json()["pages"]
        events = [e for p in pages for e in p.json()["events"]]
        assert len({e["event_uid"] for e in events}) == 250
        starts = [e["start"] for e in events]
        assert starts == sorted(starts)
        assert [e["summary"].split("(event ")[1] for e in events[:3]] == ["1)", "2)", "3)"]

    def test_an_event_has_the_documented_fields(self, sandbox: Sandbox, token: str) -> None:
        e = sandbox.get(events_path(), token=token).json()["events"][0]
        for key in ("calendar_id", "event_uid", "summary", "description", "start", "end", "deleted", "created",
                    "updated", "participation_status", "attendees", "organizer", "transparency", "status",
                    "recurring", "options"):
            assert key in e, key
        assert dt.datetime.strptime(e["start"], "%Y-%m-%dT%H:%M:%SZ") < dt.datetime.strptime(e["end"], "%Y-%m-%dT%H:%M:%SZ")
        assert e["organizer"] == {"email": "ada@example.com", "display_name": "Ada Lovelace"}

    def test_the_next_page_url_stays_on_the_origin_the_client_used(self, sandbox: Sandbox, token: str) -> None:
        conn = sandbox.connection(host="localhost")
        try:
            r = sandbox.request("GET", events_path(), token=token, conn=conn)
        finally:
            conn.close()
        assert r.json()["pages"]["next_page"].startswith(f"https://localhost:{sandbox.port}/v1/events/pages/")

    def test_the_last_page_can_say_next_page_empty_instead_of_omitting_it(self, sandbox: Sandbox, token: str) -> None:
        sandbox.admin_ok("PATCH", "/admin/settings", {"last_page_next_page": "empty"})
        pages = read_all(sandbox, token, events_path(params={**WIDE, "calendar_ids[]": PRIMARY}))
        assert [p.json()["pages"].get("next_page", "absent")[:8] for p in pages] == ["https://", "https://", ""]

    def test_page_size_is_configurable(self, sandbox: Sandbox, token: str) -> None:
        sandbox.admin_ok("PATCH", "/admin/settings", {"page_size": 60})
        pages = read_all(sandbox, token, events_path(params={**WIDE, "calendar_ids[]": PRIMARY}))
        assert [len(p.json()["events"]) for p in pages] == [60, 60, 60, 60, 10]

    def test_a_page_url_is_only_for_the_same_account_and_application(self, sandbox: Sandbox, token: str) -> None:
        sandbox.admin_ok("POST", "/admin/users", {"account_id": "acc_bob", "email": "bob@example.com"})
        bob = sandbox.connect(user="acc_bob")["access_token"]
        next_page = path_of(sandbox.get(events_path(), token=token).json()["pages"]["next_page"])
        r = sandbox.get(next_page, token=bob)
        assert r.status == 404 and r.json()["error"] == "not_found"
        assert sandbox.get(next_page, token=token).status == 200
        assert sandbox.get(next_page).status == 401

    def test_a_tampered_page_id_is_404(self, sandbox: Sandbox, token: str) -> None:
        next_page = path_of(sandbox.get(events_path(), token=token).json()["pages"]["next_page"])
        head, _, mac = next_page.rpartition(".")
        assert sandbox.get(head + "." + ("A" if mac[0] != "A" else "B") + mac[1:], token=token).status == 404
        assert sandbox.get("/v1/events/pages/08a07b034306679e", token=token).status == 404
        free_busy_page = next_page.replace("/v1/events/", "/v1/free_busy/")
        assert sandbox.get(free_busy_page, token=token).status == 404

    def test_page_urls_expire(self, sandbox: Sandbox, token: str) -> None:
        next_page = path_of(sandbox.get(events_path(), token=token).json()["pages"]["next_page"])
        sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 3601})
        fresh = sandbox.refresh(sandbox.connect()["refresh_token"]).json()["access_token"]
        assert sandbox.get(next_page, token=fresh).status == 404

    def test_from_and_to_select_by_date_with_to_exclusive(self, sandbox: Sandbox, token: str) -> None:
        first = sandbox.get(events_path(params={**WIDE, "calendar_ids[]": PRIMARY}), token=token).json()["events"][0]
        day = first["start"][:10]
        next_day = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
        r = sandbox.get(events_path(params={"tzid": "Etc/UTC", "from": day, "to": next_day,
                                            "calendar_ids[]": PRIMARY}), token=token)
        assert [e["start"][:10] for e in r.json()["events"]] == [day] * 3

    def test_calendar_ids_filter_and_repeat(self, sandbox: Sandbox, token: str) -> None:
        params = [*WIDE.items(), ("calendar_ids[]", "cal_sandbox_work"), ("calendar_ids[]", "cal_sandbox_holidays")]
        events = sandbox.get(events_path(params=params), token=token).json()["events"]
        assert {e["calendar_id"] for e in events} == {"cal_sandbox_work", "cal_sandbox_holidays"}
        assert len(events) == 7

    def test_raw_brackets_in_the_query_are_read_as_meant(self, sandbox: Sandbox, token: str) -> None:
        path = "/v1/events?tzid=Etc/UTC&from=2000-01-01&to=2100-01-01&calendar_ids[]=cal_sandbox_work"
        events = sandbox.get(path, token=token).json()["events"]
        assert len(events) == 6

    @pytest.mark.parametrize(("params", "field", "key"), [
        ({"from": "2020-01-01"}, "tzid", "errors.required"),
        ({"tzid": "Mars/Olympus_Mons"}, "tzid", "errors.invalid"),
        ({"tzid": "Etc/UTC", "from": "2020-02-30"}, "from", "errors.invalid"),
        ({"tzid": "Etc/UTC", "to": "tomorrow"}, "to", "errors.invalid"),
        ({"tzid": "Etc/UTC", "from": "2020-01-02", "to": "2020-01-01"}, "to", "errors.invalid"),
        ({"tzid": "Etc/UTC", "include_deleted": "yes"}, "include_deleted", "errors.invalid"),
        ({"tzid": "Etc/UTC", "last_modified": "yesterday"}, "last_modified", "errors.invalid"),
    ])
    def test_invalid_parameters_are_422_with_the_errors_body(self, sandbox: Sandbox, token: str, params, field,
                                                             key) -> None:
        r = sandbox.get(events_path(params=params), token=token)
        assert r.status == 422
        errors = r.json()["errors"]
        assert errors[field][0]["key"] == key
        assert isinstance(errors[field][0]["description"], str)

    def test_several_invalid_parameters_are_all_reported(self, sandbox: Sandbox, token: str) -> None:
        r = sandbox.get(events_path(params={"from": "x", "only_managed": "1"}), token=token)
        assert set(r.json()["errors"]) == {"tzid", "from", "only_managed"}


class TestFreeBusy:
    def test_free_busy_pages_busy_periods_without_transparent_events(self, sandbox: Sandbox, token: str) -> None:
        pages = read_all(sandbox, token, events_path("free_busy", {**WIDE, "calendar_ids[]": PRIMARY}))
        periods = [p for page in pages for p in page.json()["free_busy"]]
        assert len(periods) == 225  # every tenth seeded event is transparent
        assert set(periods[0]) == {"calendar_id", "start", "end", "free_busy_status"}
        assert {p["free_busy_status"] for p in periods} == {"busy", "tentative"}
        assert pages[0].json()["pages"]["next_page"].startswith(f"{sandbox.url}/v1/free_busy/pages/")

    def test_read_free_busy_alone_is_enough_for_free_busy_but_not_events(self, sandbox: Sandbox) -> None:
        t = sandbox.connect(scope="read_free_busy")["access_token"]
        assert sandbox.get(events_path("free_busy"), token=t).status == 200
        assert sandbox.get(events_path(), token=t).status == 403


class TestUpsertAndDelete:
    def test_upsert_creates_a_managed_event(self, sandbox: Sandbox, token: str) -> None:
        r = upsert(sandbox, token, EVENT)
        assert r.status == 202 and r.body == b""
        [e] = managed(sandbox, token)
        assert e["event_id"] == "booking-1"
        assert e["event_uid"].startswith("evt_managed_")
        assert (e["summary"], e["start"], e["end"]) == ("Dentist", "2031-05-06T09:00:00Z", "2031-05-06T09:30:00Z")
        assert e["location"] == {"description": "Main St"}

    def test_upsert_is_idempotent_by_event_id(self, sandbox: Sandbox, token: str) -> None:
        upsert(sandbox, token, EVENT)
        [before] = managed(sandbox, token)
        sandbox.admin_ok("POST", "/admin/clock", {"advance_seconds": 60})
        assert upsert(sandbox, token, EVENT).status == 202
        [same] = managed(sandbox, token)
        assert same == before  # nothing changed, not even `updated`
        assert upsert(sandbox, token, {**EVENT, "summary": "Dentist (moved)", "start": "2031-05-06T10:00:00+01:00",
                                       "end": "2031-05-06T10:30:00+01:00"}).status == 202
        [after] = managed(sandbox, token)
        assert after["event_uid"] == before["event_uid"]
        assert after["summary"] == "Dentist (moved)"
        assert after["start"] == "2031-05-06T09:00:00Z"
        assert after["updated"] > before["updated"]

    def test_managed_events_are_hidden_unless_asked_for(self, sandbox: Sandbox, token: str) -> None:
        upsert(sandbox, token, EVENT)
        everything = [e for p in read_all(sandbox, token, events_path()) for e in p.json()["events"]]
        assert all("event_id" not in e for e in everything)
        with_managed = [e for p in read_all(sandbox, token, events_path(params={**WIDE, "include_managed": "true"}))
                        for e in p.json()["events"]]
        assert len(with_managed) == len(everything) + 1

    @pytest.mark.parametrize("spelling", ["True", "TRUE", "tRuE"])
    def test_query_booleans_are_read_in_any_case(self, sandbox: Sandbox, token: str, spelling: str) -> None:
        # The official Python SDK sends include_managed=True.
        upsert(sandbox, token, EVENT)
        lower = [e for p in read_all(sandbox, token, events_path(params={**WIDE, "include_managed": "true"}))
                 for e in p.json()["events"]]
        other = [e for p in read_all(sandbox, token, events_path(params={**WIDE, "include_managed": spelling}))
                 for e in p.json()["events"]]
        assert any("event_id" in e for e in other)
        assert len(other) == len(lower)
        without = [e for p in read_all(sandbox, token, events_path(params={**WIDE, "include_managed": "FALSE"}))
                   for e in p.json()["events"]]
        assert all("event_id" not in e for e in without)

    def test_start_and_end_may_be_objects_with_a_time_zone_or_dates(self, sandbox: Sandbox, token: str) -> None:
        body = {**EVENT, "start": {"time": "2031-05-06T09:00:00+02:00", "tzid": "Europe/Berlin"},
                "end": {"time": "2031-05-06T10:00:00+02:00", "tzid": "Europe/Berlin"}}
        assert upsert(sandbox, token, body).status == 202
        assert upsert(sandbox, token, {**EVENT, "event_id": "all-day", "start": "2031-06-01", "end": "2031-06-02"}).status == 202
        events = {e["event_id"]: e for e in managed(sandbox, token)}
        assert (events["booking-1"]["start"], events["booking-1"]["end"]) == ("2031-05-06T07:00:00Z", "2031-05-06T08:00:00Z")
        assert (events["all-day"]["start"], events["all-day"]["end"]) == ("2031-06-01", "2031-06-02")

    @pytest.mark.parametrize(("change", "field", "key"), [
        ({"event_id": None}, "event_id", "errors.required"),
        ({"summary": None}, "summary", "errors.required"),
        ({"start": None}, "start", "errors.required"),
        ({"end": "2031-05-06 10:00"}, "end", "errors.invalid"),
        ({"end": "2031-05-06T08:00:00Z"}, "end", "errors.invalid"),
        ({"start": "2031-05-06T09:00:00"}, "start", "errors.invalid"),
        ({"summary": 42}, "summary", "errors.invalid"),
        ({"start": {"time": "2031-05-06T09:00:00Z", "tzid": "Nowhere/Land"}}, "start", "errors.invalid"),
        ({"transparency": "see-through"}, "transparency", "errors.invalid"),
        ({"location": "Main St"}, "location", "errors.invalid"),
    ])
    def test_an_invalid_event_is_422_naming_the_field(self, sandbox: Sandbox, token: str, change, field, key) -> None:
        body = {**EVENT, **change}
        body = {k: v for k, v in body.items() if v is not None}
        r = upsert(sandbox, token, body)
        assert r.status == 422
        assert r.json()["errors"][field][0]["key"] == key
        assert managed(sandbox, token) == []

    def test_malformed_json_is_422(self, sandbox: Sandbox, token: str) -> None:
        r = sandbox.request("POST", f"/v1/calendars/{PRIMARY}/events", body='{"event_id": ', token=token,
                            headers={"Content-Type": "application/json"})
        assert r.status == 422
        assert r.json()["errors"]["request"][0]["key"] == "errors.invalid_json"

    def test_an_unknown_calendar_is_404_and_a_read_only_one_422(self, sandbox: Sandbox, token: str) -> None:
        assert upsert(sandbox, token, EVENT, calendar="cal_nope").status == 404
        r = upsert(sandbox, token, EVENT, calendar="cal_sandbox_holidays")
        assert r.status == 422 and r.json()["errors"]["calendar_id"][0]["key"] == "errors.read_only"

    def test_delete_by_event_id_marks_the_event_deleted(self, sandbox: Sandbox, token: str) -> None:
        upsert(sandbox, token, EVENT)
        r = sandbox.request("DELETE", f"/v1/calendars/{PRIMARY}/events", json_body={"event_id": "booking-1"}, token=token)
        assert r.status == 202 and r.body == b""
        assert managed(sandbox, token) == []
        [gone] = managed(sandbox, token, include_deleted="true")
        assert gone["deleted"] is True
        # Upserting again brings it back.
        upsert(sandbox, token, EVENT)
        assert [e["deleted"] for e in managed(sandbox, token)] == [False]

    def test_delete_by_event_uid_removes_an_external_event(self, sandbox: Sandbox, token: str) -> None:
        work = events_path(params={**WIDE, "calendar_ids[]": "cal_sandbox_work"})
        first = sandbox.get(work, token=token).json()["events"][0]
        r = sandbox.request("DELETE", "/v1/calendars/cal_sandbox_work/events", json_body={"event_uid": first["event_uid"]},
                            token=token)
        assert r.status == 202
        assert len(sandbox.get(work, token=token).json()["events"]) == 5

    def test_deleting_what_is_not_there_is_202(self, sandbox: Sandbox, token: str) -> None:
        r = sandbox.request("DELETE", f"/v1/calendars/{PRIMARY}/events", json_body={"event_id": "never"}, token=token)
        assert r.status == 202

    def test_delete_without_an_id_is_422(self, sandbox: Sandbox, token: str) -> None:
        r = sandbox.request("DELETE", f"/v1/calendars/{PRIMARY}/events", json_body={}, token=token)
        assert r.status == 422 and "event_id" in r.json()["errors"]

    def test_last_modified_selects_recent_changes(self, sandbox: Sandbox, token: str) -> None:
        now = sandbox.admin_ok("GET", "/admin/clock")["now"]  # the seeded events are 30 days old
        upsert(sandbox, token, EVENT)
        since = dt.datetime.fromtimestamp(now - 5, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        events = sandbox.get(events_path(params={**WIDE, "last_modified": since, "include_managed": "true"}),
                             token=token).json()["events"]
        assert [e["event_id"] for e in events] == ["booking-1"]


class TestAccount:
    def test_account(self, sandbox: Sandbox) -> None:
        t = sandbox.connect(scope="read_account list_calendars")["access_token"]
        assert sandbox.get("/v1/account", token=t).json() == {"account": {
            "account_id": "acc_sandbox_ada", "email": "ada@example.com", "name": "Ada Lovelace",
            "scope": "read_account list_calendars", "default_tzid": "Etc/UTC"}}

    def test_userinfo(self, sandbox: Sandbox, token: str) -> None:
        u = sandbox.get("/v1/userinfo", token=token).json()
        assert (u["sub"], u["email"], u["name"], u["zoneinfo"], u["cronofy.type"]) == (
            "acc_sandbox_ada", "ada@example.com", "Ada Lovelace", "Etc/UTC", "account")
        data = u["cronofy.data"]
        assert data["authorization"] == {"scope": ALL_SCOPES, "status": "active"}
        assert [p["profile_id"] for p in data["profiles"]] == ["pro_sandbox_google", "pro_sandbox_office365"]
        assert [c["calendar_id"] for c in data["profiles"][0]["profile_calendars"]] == [PRIMARY, "cal_sandbox_holidays"]

    def test_profiles(self, sandbox: Sandbox, token: str) -> None:
        assert sandbox.get("/v1/profiles", token=token).json() == {"profiles": [
            {"provider_name": "google", "profile_id": "pro_sandbox_google", "profile_name": "ada@example.com",
             "profile_connected": True},
            {"provider_name": "office365", "profile_id": "pro_sandbox_office365",
             "profile_name": "ada@work.example.com", "profile_connected": True},
        ]}

    def test_revoking_a_profile_disconnects_it_until_relinked(self, sandbox: Sandbox, token: str) -> None:
        r = sandbox.request("POST", "/v1/profiles/pro_sandbox_office365/revoke", token=token)
        assert r.status == 202
        office = sandbox.get("/v1/profiles", token=token).json()["profiles"][1]
        assert office["profile_connected"] is False
        relink = office["profile_relink_url"]
        assert relink == f"{sandbox.url}/relink/acc_sandbox_ada/pro_sandbox_office365"
        cals = [c["calendar_id"] for c in sandbox.get("/v1/calendars", token=token).json()["calendars"]]
        assert "cal_sandbox_work" not in cals
        page = sandbox.get(path_of(relink))
        assert page.status == 200 and "needs to be connected again" in page.text
        assert sandbox.request("POST", path_of(relink)).status == 200
        assert sandbox.get("/v1/profiles", token=token).json()["profiles"][1]["profile_connected"] is True

    def test_revoking_an_unknown_profile_is_404(self, sandbox: Sandbox, token: str) -> None:
        assert sandbox.request("POST", "/v1/profiles/pro_nope/revoke", token=token).status == 404

    def test_link_token(self, sandbox: Sandbox) -> None:
        t = sandbox.connect(scope="read_events")["access_token"]  # any valid token
        r = sandbox.request("POST", "/v1/link_tokens", token=t)
        assert r.status == 200 and len(r.json()["link_token"]) >= 24

    def test_create_calendar(self, sandbox: Sandbox, token: str) -> None:
        r = sandbox.request("POST", "/v1/calendars", json_body={"profile_id": "pro_sandbox_google", "name": "Bookings"},
                            token=token)
        assert r.status == 200
        cal = r.json()["calendar"]
        assert cal["calendar_name"] == "Bookings" and cal["calendar_id"].startswith("cal_")
        assert cal["calendar_id"] in [c["calendar_id"] for c in sandbox.get("/v1/calendars", token=token).json()["calendars"]]
        bad = sandbox.request("POST", "/v1/calendars", json_body={"name": "x"}, token=token)
        assert bad.status == 422 and "profile_id" in bad.json()["errors"]


class TestAuthentication:
    def test_no_authorization_header_is_401(self, sandbox: Sandbox) -> None:
        r = sandbox.get("/v1/calendars")
        assert r.status == 401
        assert r.header("WWW-Authenticate") == 'Bearer realm="calbridge-sandbox"'

    @pytest.mark.parametrize("value", ["Bearer not-a-token", "Basic Zm9vOmJhcg==", "Bearer", "bearer "])
    def test_an_unknown_or_malformed_token_is_401_invalid_token(self, sandbox: Sandbox, value: str) -> None:
        r = sandbox.get("/v1/calendars", headers={"Authorization": value})
        assert r.status == 401
        assert r.json()["error"] == "invalid_token"
        assert 'error="invalid_token"' in (r.header("WWW-Authenticate") or "")

    def test_the_bearer_scheme_is_case_insensitive(self, sandbox: Sandbox, token: str) -> None:
        assert sandbox.get("/v1/calendars", headers={"Authorization": f"bearer {token}"}).status == 200

    def test_removing_the_user_or_the_application_invalidates_tokens(self, sandbox: Sandbox, token: str) -> None:
        sandbox.admin_ok("DELETE", "/admin/users/acc_sandbox_ada")
        assert sandbox.get("/v1/calendars", token=token).status == 401
        sandbox.admin_ok("POST", "/admin/reset")
        t = sandbox.connect()["access_token"]
        sandbox.admin_ok("DELETE", f"/admin/applications/{sandbox.client_id}")
        assert sandbox.get("/v1/calendars", token=t).status == 401


CALLS = [
    ("GET", "/v1/account", None, "read_account"),
    ("GET", "/v1/userinfo", None, "read_account"),
    ("GET", "/v1/profiles", None, "read_account"),
    ("GET", "/v1/calendars", None, "list_calendars"),
    ("GET", events_path(), None, "read_events"),
    ("GET", events_path("free_busy"), None, "read_events"),
    ("POST", f"/v1/calendars/{PRIMARY}/events", EVENT, "create_event"),
    ("DELETE", f"/v1/calendars/{PRIMARY}/events", {"event_id": "x"}, "delete_event"),
    ("POST", "/v1/calendars", {"profile_id": "pro_sandbox_google", "name": "N"}, "create_calendar"),
]


@pytest.mark.parametrize(("method", "path", "body", "scope"), CALLS, ids=[f"{c[0]} {c[1][:20]}" for c in CALLS])
def test_scope_matrix(sandbox: Sandbox, method: str, path: str, body, scope: str) -> None:
    others = " ".join(s for s in ALL_SCOPES.split() if s != scope and not (scope == "read_events" and s == "read_free_busy"))
    without = sandbox.connect(scope=others)["access_token"]
    r = sandbox.request(method, path, json_body=body, token=without)
    assert r.status == 403, r.body
    assert r.json()["error"] == "insufficient_scope"
    assert f'scope="{scope}"' in (r.header("WWW-Authenticate") or "")
    with_scope = sandbox.connect(scope=scope)["access_token"]
    assert sandbox.request(method, path, json_body=body, token=with_scope).status in (200, 202)


def test_revoke_and_link_endpoints_need_only_a_valid_token(sandbox: Sandbox) -> None:
    t = sandbox.connect(scope="read_free_busy")["access_token"]
    assert sandbox.request("POST", "/v1/link_tokens", token=t).status == 200
    assert sandbox.request("POST", "/v1/profiles/pro_sandbox_google/revoke", token=t).status == 202


@pytest.mark.parametrize(("method", "path", "status", "allow"), [
    ("GET", "/v1/nothing", 404, None),
    ("GET", "/nowhere", 404, None),
    ("DELETE", "/v1/calendars", 405, "GET, POST"),
    ("PUT", f"/v1/calendars/{PRIMARY}/events", 405, "POST, DELETE"),
    ("POST", "/v1/account", 405, "GET"),
])
def test_unknown_paths_are_404_and_wrong_methods_405(sandbox: Sandbox, token: str, method, path, status, allow) -> None:
    r = sandbox.request(method, path, token=token)
    assert r.status == status
    assert r.header("Allow") == allow


def test_head_returns_the_headers_of_get(sandbox: Sandbox, token: str) -> None:
    get = sandbox.get("/v1/calendars", token=token)
    head = sandbox.request("HEAD", "/v1/calendars", token=token)
    assert head.status == 200 and head.body == b""
    assert head.header("Content-Length") == str(len(get.body))
