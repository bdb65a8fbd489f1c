"""The calls authenticated with the client secret (Client.request, availability, application
calendars) and the scheduling calls of Session, against a scripted loopback API in this process:
each request must be the next one the test expects (method, path, bearer, JSON body), and gets
the scripted reply. Typed queries in, typed results with aware datetimes out; the secret is the
bearer and never appears in an error, a log line or a repr."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import calbridge
from calbridge import (
    AvailabilityQuery,
    AvailabilityRule,
    Participants,
    Period,
    WeeklyPeriod,
)

SECRET = "py-client-secret-0123456789abcdef"
UTC = timezone.utc


@dataclass
class Reply:
    status: int
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Seen:
    method: str
    path: str
    authorization: str
    body: str


class ScriptedApi:
    """A loopback HTTP server answering a script of replies, in order, recording each request."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                api.seen.append(Seen(self.command, self.path, self.headers.get("Authorization", ""), body))
                reply = api.replies.pop(0) if api.replies else Reply(599, '{"unexpected": true}')
                data = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def reply(self, status: int, body: object = None, *headers: tuple[str, str]) -> None:
        text = "" if body is None else body if isinstance(body, str) else json.dumps(body)
        self.replies.append(Reply(status, text, headers))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    server = ScriptedApi()
    yield server
    server.close()


@pytest.fixture
def client(api: ScriptedApi) -> calbridge.Client:
    return calbridge.Client("client-id", SECRET, api_url=api.url, app_url=api.url, max_retries=1)


def token_reply(access: str, refresh: str, sub: str = "apc_1", expires_in: int = 3600) -> dict[str, object]:
    return {"token_type": "bearer", "access_token": access, "refresh_token": refresh, "expires_in": expires_in,
            "scope": "read_events create_event", "sub": sub, "application_calendar_id": "bookings"}  # fmt: skip


@pytest.fixture
def session(api: ScriptedApi, client: calbridge.Client) -> calbridge.Session:
    api.reply(200, token_reply("at-app", "rt-app"))
    credentials = client.create_application_calendar("bookings")
    api.seen.clear()
    return client.session(credentials.account_key)


def query() -> AvailabilityQuery:
    return AvailabilityQuery(
        participants=[Participants(["acc_1", calbridge.AvailabilityMember("acc_2", ["cal_2"])]),
                      Participants(["acc_3", "acc_4"], required=1)],
        required_duration=timedelta(hours=1),
        available_periods=[Period(datetime(2026, 12, 7, 10, tzinfo=timezone(timedelta(hours=1))),
                                  datetime(2026, 12, 7, 17, tzinfo=UTC))],
        buffer_before=timedelta(minutes=15),
        start_interval=timedelta(minutes=30),
        max_results=20,
        response_format="slots",
    )  # fmt: skip


QUERY_BODY = {
    "participants": [
        {"members": [{"sub": "acc_1"}, {"sub": "acc_2", "calendar_ids": ["cal_2"]}], "required": "all"},
        {"members": [{"sub": "acc_3"}, {"sub": "acc_4"}], "required": 1},
    ],
    "required_duration": {"minutes": 60},
    "available_periods": [{"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T17:00:00Z"}],
    "buffer": {"before": {"minutes": 15}},
    "start_interval": {"minutes": 30},
    "max_results": 20,
    "response_format": "slots",
}


def test_client_request_sends_the_client_secret_as_bearer(api: ScriptedApi, client: calbridge.Client) -> None:
    api.reply(200, {"url": "https://app.test/rts/1"})
    api.reply(202)

    reply = client.request("POST", "/v1/real_time_scheduling", json={"oauth": {"redirect_uri": "https://x.test/"}})
    empty = client.request("DELETE", f"{api.url}/v1/smart_invites", params={"smart_invite_id": "inv 1"})

    assert reply == {"url": "https://app.test/rts/1"}
    assert empty is None
    assert [(s.method, s.path, s.authorization) for s in api.seen] == [
        ("POST", "/v1/real_time_scheduling", f"Bearer {SECRET}"),
        ("DELETE", "/v1/smart_invites?smart_invite_id=inv%201", f"Bearer {SECRET}"),
    ]
    assert json.loads(api.seen[0].body) == {"oauth": {"redirect_uri": "https://x.test/"}}


@pytest.mark.parametrize(
    "where", ["https://evil.test/v1/x", "v1/x", "http://127.0.0.1:1/v1/x", "http://localhost/v1/x"]
)
def test_client_request_refuses_another_origin_before_sending(
    api: ScriptedApi, client: calbridge.Client, where: str
) -> None:
    with pytest.raises(calbridge.InvalidArgumentError) as caught:
        client.request("GET", where)
    assert SECRET not in str(caught.value)
    assert api.seen == []


def test_client_request_401_is_invalid_client_and_the_secret_stays_hidden(
    api: ScriptedApi, client: calbridge.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(1, logger="calbridge")
    api.reply(401, {"echo": f"Bearer {SECRET}"})
    api.reply(422, {"errors": {"recipient": [{"key": "errors.required", "description": f"no {SECRET}"}]}})

    with pytest.raises(calbridge.InvalidClientError) as invalid:
        client.request("POST", "/v1/smart_invites", json={})
    with pytest.raises(calbridge.ValidationError) as validation:
        client.request("POST", "/v1/smart_invites", json={})

    assert len(api.seen) == 2  # a 401 with the secret is not a reason to retry
    assert [f.field for f in validation.value.field_errors] == ["recipient"]
    for text in (str(invalid.value), repr(invalid.value), str(validation.value), repr(validation.value),
                 repr(validation.value.field_errors), caplog.text, repr(client)):  # fmt: skip
        assert SECRET not in text


def test_client_availability_typed_query_and_slots(api: ScriptedApi, client: calbridge.Client) -> None:
    api.reply(200, {"available_slots": [{"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T10:00:00Z",
                                         "participants": [{"sub": "acc_1"}, {"sub": "acc_3"}]}]})  # fmt: skip

    result = client.availability(query())

    assert api.seen[0].method == "POST" and api.seen[0].path == "/v1/availability"
    assert api.seen[0].authorization == f"Bearer {SECRET}"
    assert json.loads(api.seen[0].body) == QUERY_BODY
    assert result.available_periods == []
    [slot] = result.available_slots
    assert slot.start == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert slot.start.tzinfo is not None
    assert slot.end - slot.start == timedelta(hours=1)
    assert slot.participants == ("acc_1", "acc_3")
    assert result.raw["available_slots"][0]["participants"][0] == {"sub": "acc_1"}  # type: ignore[index,call-overload]


def test_session_availability_uses_the_account_token(api: ScriptedApi, session: calbridge.Session) -> None:
    api.reply(200, {"available_periods": [{"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T12:00:00Z",
                                           "participants": [{"sub": "acc_1"}]}]})  # fmt: skip

    result = session.availability(query())

    assert api.seen[0].authorization == "Bearer at-app"
    assert [(p.start.hour, p.end.hour) for p in result.available_periods] == [(9, 12)]


@pytest.mark.parametrize(
    "broken, error",
    [
        ({"participants": []}, calbridge.InvalidArgumentError),
        ({"participants": [Participants([])]}, calbridge.InvalidArgumentError),
        ({"participants": [Participants(["a"], required=2)]}, calbridge.InvalidArgumentError),
        ({"required_duration": timedelta(seconds=90)}, ValueError),
        ({"required_duration": timedelta(0)}, ValueError),
        ({"available_periods": []}, calbridge.InvalidArgumentError),
        ({"available_periods": [Period(datetime(2026, 12, 7, 9), datetime(2026, 12, 7, 10))]}, ValueError),
        ({"available_periods": [Period(datetime(2026, 12, 7, 10, tzinfo=UTC), datetime(2026, 12, 7, 9, tzinfo=UTC))]},
         calbridge.InvalidArgumentError),
        ({"buffer_before": timedelta(minutes=-5)}, ValueError),
        ({"start_interval": timedelta(0)}, ValueError),
        ({"max_results": 0}, calbridge.InvalidArgumentError),
        ({"response_format": "grid"}, calbridge.InvalidArgumentError),
    ],
)  # fmt: skip
def test_a_broken_query_is_refused_before_sending(
    api: ScriptedApi, client: calbridge.Client, broken: dict[str, object], error: type[Exception]
) -> None:
    fields = {**query().__dict__, **broken}
    with pytest.raises(error):
        client.availability(AvailabilityQuery(**fields))
    assert api.seen == []


def test_availability_422_gives_field_errors(api: ScriptedApi, client: calbridge.Client) -> None:
    api.reply(422, {"errors": {"required_duration": [{"key": "errors.invalid", "description": "too long"}]}})
    with pytest.raises(calbridge.ValidationError) as caught:
        client.availability(query())
    assert caught.value.field_errors == (calbridge.FieldError("required_duration", "errors.invalid", "too long"),)
    assert len(api.seen) == 1


def test_application_calendar_is_stored_and_refreshed_like_any_account(
    api: ScriptedApi, client: calbridge.Client
) -> None:
    api.reply(200, token_reply("at-app", "rt-app", expires_in=30))  # inside the 60 s leeway
    api.reply(200, token_reply("at-app-2", "rt-app-2"))
    api.reply(200, {"calendars": []})

    credentials = client.create_application_calendar("bookings")
    session = client.session(credentials.account_key)
    calendars = session.calendars()

    assert credentials.account_key == "apc_1"
    assert calendars == []
    create, refresh, listing = api.seen
    assert (create.method, create.path, create.authorization) == ("POST", "/v1/application_calendars", f"Bearer {SECRET}")
    assert json.loads(create.body) == {"client_id": "client-id", "client_secret": SECRET,
                                       "application_calendar_id": "bookings"}  # fmt: skip
    assert refresh.path == "/oauth/token" and "refresh_token=rt-app" in refresh.body
    assert listing.authorization == "Bearer at-app-2"
    stored = client.store.load("apc_1")
    assert stored is not None and stored[0].refresh_token == "rt-app-2"
    assert SECRET not in repr(credentials)


def test_participation_status_calendar_and_delete_all(api: ScriptedApi, session: calbridge.Session) -> None:
    api.reply(202)
    api.reply(200, {"calendar": {"calendar_id": "cal_new", "calendar_name": "Bookings", "profile_id": "pro_1"}})
    api.reply(202)
    api.reply(202)

    session.change_participation_status("cal/1", "evt 1", "declined")
    calendar = session.create_calendar("pro_1", "Bookings")
    session.delete_all_events()
    session.delete_all_events(["cal_1", "cal_2"])

    assert calendar.calendar_id == "cal_new"
    assert [(s.method, s.path, json.loads(s.body)) for s in api.seen] == [
        ("POST", "/v1/calendars/cal%2F1/events/evt%201/participation_status", {"status": "declined"}),
        ("POST", "/v1/calendars", {"profile_id": "pro_1", "name": "Bookings"}),
        ("DELETE", "/v1/events", {"delete_all": True}),
        ("DELETE", "/v1/events", {"calendar_ids": ["cal_1", "cal_2"]}),
    ]
    with pytest.raises(calbridge.InvalidArgumentError):
        session.change_participation_status("cal_1", "evt_1", "maybe")  # type: ignore[arg-type]
    with pytest.raises(calbridge.InvalidArgumentError):
        session.delete_all_events([])  # never "everything"
    assert len(api.seen) == 4


def test_availability_rules_round_trip(api: ScriptedApi, session: calbridge.Session) -> None:
    rule = AvailabilityRule("work", "Europe/London", [WeeklyPeriod("monday", "09:00", "17:00")], ["cal_1"])
    body = json.loads(rule.to_json())
    api.reply(200, {"availability_rule": body})
    api.reply(200, {"availability_rules": [body]})
    api.reply(200, {"availability_rule": body})
    api.reply(202)
    api.reply(404, {})

    stored = session.upsert_availability_rule(rule)
    listed = session.availability_rules()
    one = session.availability_rule("work")
    session.delete_availability_rule("work")
    with pytest.raises(calbridge.NotFoundError):
        session.availability_rule("gone")

    assert stored == rule and listed == [rule] and one == rule
    assert one.raw["tzid"] == "Europe/London"
    assert [(s.method, s.path) for s in api.seen] == [
        ("POST", "/v1/availability_rules"), ("GET", "/v1/availability_rules"),
        ("GET", "/v1/availability_rules/work"), ("DELETE", "/v1/availability_rules/work"),
        ("GET", "/v1/availability_rules/gone"),
    ]  # fmt: skip
    assert json.loads(api.seen[0].body) == body
    with pytest.raises(calbridge.InvalidArgumentError):
        session.upsert_availability_rule(AvailabilityRule("", "Etc/UTC", []))


def test_elevated_permissions(api: ScriptedApi, session: calbridge.Session) -> None:
    api.reply(202, {"permissions_request": {"url": "https://app.test/permissions/1"}})
    api.reply(202, {"permissions_request": {"accepted": True}})

    pending = session.request_elevated_permissions({"cal_1": "unrestricted"}, redirect_uri="https://x.test/back")
    accepted = session.request_elevated_permissions([("cal_2", "sandbox")])

    assert (pending.accepted, pending.url) == (False, "https://app.test/permissions/1")
    assert (accepted.accepted, accepted.url) == (True, None)
    assert json.loads(api.seen[0].body) == {
        "permissions": [{"calendar_id": "cal_1", "permission_level": "unrestricted"}],
        "redirect_uri": "https://x.test/back",
    }
    with pytest.raises(calbridge.InvalidArgumentError):
        session.request_elevated_permissions({})


def test_the_logger_never_sees_the_secret(
    api: ScriptedApi, client: calbridge.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(1, logger="calbridge")
    api.reply(500, f"<html>{SECRET}</html>")
    api.reply(500, f"<html>{SECRET}</html>")
    with pytest.raises(calbridge.ServerError) as caught:
        client.request("GET", "/v1/smart_invites")
    assert SECRET not in str(caught.value)
    assert SECRET not in caplog.text
    assert logging.getLogger("calbridge").isEnabledFor(1)
