#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from a running calbridge-sandbox.

Runs the sandbox (plain HTTP, on loopback), walks the flows the library uses (consent, code
exchange, refresh, errors, the calendar API with small pages, channels and the pushes they
bring, to a receiver in this process) and writes each reply, in the input format of each
target (see the comment at the top of each fuzz/<target>.cpp), under fuzz/corpus/<target>/.

Usage: fuzz/tools/capture_corpus.py <calbridge-sandbox binary> [corpus dir]
"""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REDIRECT = "http://localhost:8080/callback"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret-change-me"
SCOPE = "read_account list_calendars read_events create_event delete_event read_free_busy"
STATUSES = [200, 201, 204, 400, 401, 403, 404, 422, 423, 429, 500, 502, 503, 302, 100, 0]  # token_reply.cpp


class Corpus:
    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, target: str, data: bytes | str) -> None:
        raw = data.encode() if isinstance(data, str) else data
        folder = self.root / target
        folder.mkdir(parents=True, exist_ok=True)
        (folder / hashlib.sha1(raw).hexdigest()).write_bytes(raw)


class Sandbox:
    def __init__(self, binary: str, workdir: Path) -> None:
        ready = workdir / "ready.json"
        self.proc = subprocess.Popen([binary, "--plain-http", "--quiet", "--ready-file", str(ready)],
                                     stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not ready.exists():  # the sandbox writes it once it serves
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the sandbox did not start")
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        url = urllib.parse.urlsplit(info["api_url"])
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.origin = f"http://{self.host}:{self.port}"
        self.admin = info["admin_token"]
        self.requests: list[str] = []  # in the sandbox_requests format
        # Values this sandbox made at random, and the placeholder the fuzz target replaces with
        # its own (fuzz/sandbox_requests.cpp): recorded requests then mean the same there.
        self.placeholders: dict[str, str] = {info["admin_token"]: "fuzz-admin-token"}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def raw(self, method: str, target: str, headers: dict[str, str] | None = None,
            body: bytes | str = b"") -> tuple[bytes, int, dict[str, str], bytes]:
        """The exact bytes of the reply, and its status, headers and body."""
        if target.startswith(self.origin):
            target = target[len(self.origin):]
        data = body.encode() if isinstance(body, str) else body
        hs = {"Host": f"{self.host}:{self.port}", "Connection": "close", **(headers or {})}
        if data or method in ("POST", "PUT", "PATCH"):
            hs["Content-Length"] = str(len(data))
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hs.items()) + "\r\n"
        fuzz_headers = {k: self.for_fuzzing(v) for k, v in hs.items() if k not in ("Connection", "Content-Length")}
        self.requests.append(f"{method} {self.for_fuzzing(target)}\n"
                             + "".join(f"{k}: {v}\n" for k, v in fuzz_headers.items())
                             + "\n" + self.for_fuzzing(data.decode(errors="replace")))
        with socket.create_connection((self.host, self.port)) as s:
            s.sendall(head.encode() + data)
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        reply = b"".join(chunks)
        head_bytes, _, payload = reply.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        out_headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            out_headers[k.strip().lower()] = v.strip()
        if out_headers.get("transfer-encoding", "").lower() == "chunked":
            payload = dechunk(payload)
        return reply, status, out_headers, payload

    def for_fuzzing(self, text: str) -> str:
        for value, placeholder in self.placeholders.items():
            text = text.replace(value, placeholder)
        return text

    def admin_call(self, method: str, path: str, doc: object | None = None) -> tuple[bytes, int, dict[str, str], bytes]:
        body = json.dumps(doc) if doc is not None else ""
        hs = {"Authorization": f"Bearer {self.admin}"}
        if doc is not None:
            hs["Content-Type"] = "application/json"
        return self.raw(method, path, hs, body)


def dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out


class Receiver(http.server.BaseHTTPRequestHandler):
    pushes: list[tuple[str, bytes]] = []
    lock = threading.Lock()
    arrived = threading.Condition(lock)

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Receiver.arrived:
            Receiver.pushes.append((self.headers.get("Cronofy-HMAC-SHA256", ""), body))
            Receiver.arrived.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def api_reply(status: int, headers: dict[str, str], body: bytes, origin: str) -> str:
    """One reply in the api_results format, next_page links moved to the harness's API host."""
    text = body.decode(errors="replace").replace(origin, "https://api.test")
    keep = "".join(f"{k}: {v}\n" for k, v in headers.items() if k in ("retry-after", "content-type"))
    return f"{status:03d}\n{keep}\n{text}"


def token_reply_input(status: int, body: bytes) -> bytes:
    return bytes([STATUSES.index(status) if status in STATUSES else 0, 0, 0]) + body


def main() -> None:
    binary = sys.argv[1]
    corpus = Corpus(Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "corpus")
    with tempfile.TemporaryDirectory() as tmp:
        sb = Sandbox(binary, Path(tmp))
        try:
            capture(sb, corpus)
        finally:
            sb.stop()
    for target, seeds in extra_seeds().items():
        for seed in seeds:
            corpus.add(target, seed)


def capture(sb: Sandbox, corpus: Corpus) -> None:
    def http_response(method_index: int, raw: bytes) -> None:
        corpus.add("http_response", bytes([method_index]) + raw)

    # Consent, approve and deny: the redirects back.
    authorize = ("/oauth/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT, "scope": SCOPE,
        "state": "st4te"}, quote_via=urllib.parse.quote))
    raw, *_ = sb.raw("GET", authorize)
    http_response(0, raw)
    sb.raw("GET", authorize.replace("response_type=code", "response_type=token"))
    codes = []
    for decision in ("approve", "approve", "approve", "deny"):
        _, _, _, body = sb.admin_call("POST", "/admin/consent",
                                      {"url": authorize, "user": "ada@example.com", "decision": decision})
        redirect = json.loads(body)["redirect"]
        corpus.add("callback", "st4te\n" + redirect)
        corpus.add("callback", "st4te\n" + urllib.parse.urlsplit(redirect).query)
        if "code=" in redirect:
            codes.append(urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)["code"][0])

    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def token(fields: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        raw, status, hs, body = sb.raw("POST", "/oauth/token", headers or form, urllib.parse.urlencode(fields))
        http_response(2, raw)
        corpus.add("token_reply", token_reply_input(status, body))
        return status, body

    base = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    _, body = token({**base, "grant_type": "authorization_code", "code": codes[0], "redirect_uri": REDIRECT})
    tokens = json.loads(body)
    corpus.add("credentials_json", body)  # format 0: the reply as earlier tools stored it
    token({**base, "client_secret": "wrong", "grant_type": "authorization_code", "code": codes[1],
           "redirect_uri": REDIRECT})
    token({**base, "grant_type": "password"})
    _, body = token({**base, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    tokens = json.loads(body)
    sb.placeholders[tokens["access_token"]] = "@token@"
    sb.placeholders[tokens["refresh_token"]] = "@refresh@"
    token({**base, "grant_type": "refresh_token", "refresh_token": "not-a-refresh-token"})
    raw, status, _, body = sb.raw("POST", "/oauth/token", {"Content-Type": "application/json"},
                                  json.dumps({**base, "grant_type": "authorization_code", "code": codes[2],
                                              "redirect_uri": REDIRECT}))
    corpus.add("token_reply", token_reply_input(status, body))
    raw, status, _, body = sb.raw("POST", "/oauth/token/revoke", form,
                                  urllib.parse.urlencode({**base, "token": "unknown"}))
    corpus.add("token_reply", bytes([0, 0, 2]) + body)

    # The calendar API, five items a page.
    sb.admin_call("PATCH", "/admin/settings", {"page_size": 5})
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    def get(path: str, method_index: int = 0) -> tuple[int, dict[str, str], bytes]:
        raw, status, hs, body = sb.raw("GET", path, bearer)
        http_response(method_index, raw)
        return status, hs, body

    calls = [("/v1/calendars", 0), ("/v1/account", 3), ("/v1/userinfo", 4), ("/v1/profiles", 5),
             ("/v1/channels", 6), ("/v1/availability_rules", 7)]
    for path, which in calls:
        status, hs, body = get(path)
        corpus.add("api_results", bytes([which]) + api_reply(status, hs, body, sb.origin).encode())
    raw, status, hs, body = sb.raw("POST", "/v1/link_tokens", bearer)
    corpus.add("api_results", bytes([8]) + api_reply(status, hs, body, sb.origin).encode())
    for which, path in ((1, "/v1/events?tzid=Etc%2FUTC&from=2026-01-01&to=2030-01-01"),
                        (2, "/v1/free_busy?tzid=Etc%2FUTC&from=2026-01-01&to=2030-01-01")):
        replies, url = [], path
        for _ in range(3):
            status, hs, body = get(url)
            replies.append(api_reply(status, hs, body, sb.origin))
            url = (json.loads(body).get("pages") or {}).get("next_page")
            if not url:
                break
        corpus.add("api_results", bytes([which]) + "\n=====\n".join(replies).encode())
    # Errors: a bad token (401, then the refresh the session tries), a missing calendar, a
    # 422 with field errors.
    raw, status, hs, body = sb.raw("GET", "/v1/calendars", {"Authorization": "Bearer nope"})
    http_response(0, raw)
    _, t_status, _, t_body = sb.raw("POST", "/oauth/token", form, urllib.parse.urlencode(
        {**base, "grant_type": "refresh_token", "refresh_token": "spent"}))
    corpus.add("api_results", bytes([0]) + (api_reply(status, hs, body, sb.origin) + "\n=====\n" +
                                            api_reply(t_status, {}, t_body, sb.origin)).encode())
    raw, status, hs, body = sb.raw("DELETE", "/v1/calendars/cal_missing/events", bearer, '{"event_id":"x"}')
    http_response(3, raw)
    corpus.add("api_results", bytes([0]) + api_reply(status, hs, body, sb.origin).encode())
    raw, status, hs, body = sb.raw("POST", "/v1/calendars/cal_sandbox_primary/events",
                                   {**bearer, "Content-Type": "application/json"},
                                   json.dumps({"event_id": "", "summary": "x", "start": "soon", "end": 3}))
    http_response(2, raw)
    corpus.add("api_results", bytes([0]) + api_reply(status, hs, body, sb.origin).encode())
    corpus.add("token_reply", bytes([STATUSES.index(422), 0, 0]) + body)

    # Pushes: a channel to a receiver here, a change, a disconnect, and a rotated secret.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        callback = f"http://127.0.0.1:{server.server_address[1]}/push"
        raw, *_ = sb.raw("POST", "/v1/channels", {**bearer, "Content-Type": "application/json"},
                         json.dumps({"callback_url": callback, "filters": {"only_managed": False}}))
        http_response(2, raw)
        sb.raw("POST", "/v1/calendars/cal_sandbox_primary/events", {**bearer, "Content-Type": "application/json"},
               json.dumps({"event_id": "fuzz-1", "summary": "Fuzz", "start": "2026-12-01T10:00:00Z",
                           "end": "2026-12-01T11:00:00Z"}))
        sb.admin_call("PUT", f"/admin/applications/{CLIENT_ID}",
                      json.loads(sb.admin_call("GET", f"/admin/applications/{CLIENT_ID}")[3]) |
                      {"previous_client_secret": "previous-secret-0123456789"})
        sb.admin_call("POST", "/admin/users/acc_sandbox_ada/profiles/pro_sandbox_office365/disconnect")
        with Receiver.arrived:
            Receiver.arrived.wait_for(lambda: len(Receiver.pushes) >= 3, timeout=20)
            pushes = list(Receiver.pushes)
    finally:
        server.shutdown()
    for signature, body in pushes:
        corpus.add("push", signature.encode() + b"\n" + body)
        corpus.add("push", b"!\n" + body)
        corpus.add("push", b"!," + signature.encode() + b"\n" + body)
        doc = json.loads(body)
        if "changes_since" in doc["notification"]:
            corpus.add("time_parsing", doc["notification"]["changes_since"])
    _, _, _, log = sb.admin_call("GET", "/admin/deliveries")
    for _, hs, _ in [get("/v1/calendars")]:
        if "date" in hs:
            corpus.add("time_parsing", hs["date"])
    for m in set(re.findall(rb'"(\d{4}-\d\d-\d\dT[^"\\]+)\\?"', log + body)):
        corpus.add("time_parsing", m)

    # The admin API and the consent form, for the sandbox's own target.
    sb.admin_call("GET", "/admin/status")
    sb.admin_call("POST", "/admin/faults", {"method": "GET", "path": "/v1/*", "count": 1, "kind": "status",
                                            "status": 503, "headers": {"Retry-After": "2"}})
    sb.raw("GET", "/v1/calendars", bearer)
    sb.admin_call("POST", "/admin/clock", {"advance_seconds": 10})
    sb.admin_call("POST", "/admin/users", {"users": [{"email": "x@example.com", "name": "X"}]})
    sb.raw("POST", "/oauth/authorize/consent", form, urllib.parse.urlencode({"decision": "approve"}))
    for request in sb.requests:
        corpus.add("sandbox_requests", request)
    corpus.add("sandbox_requests", "\n=====\n".join(sb.requests[:8]))


def sandbox_request(method: str, target: str, bearer: str, doc: object | None = None) -> str:
    """One request in the sandbox_requests format."""
    head = f"{method} {target}\nAuthorization: Bearer {bearer}\n"
    if doc is None:
        return head + "\n"
    return head + "Content-Type: application/json\n\n" + json.dumps(doc)


def extra_seeds() -> dict[str, list[bytes | str]]:
    """Inputs no sandbox reply holds: the documented formats' corners (docs/PROTOCOL.md)."""
    return {
        "time_parsing": ["2026-11-28T01:02:03Z", "2026-11-28T01:02:03.123456789+05:30", "1970-01-01t00:00:00z",
                         "2024-02-29", "0000-01-01", "9999-12-31", "2026-11-28T10:00:00-23:59",
                         "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                         "Sun Nov  6 08:49:37 1994", "120", "0"],
        "credentials_json": [
            '{"format":1,"token_type":"bearer","access_token":"a","refresh_token":"r","scope":"read_account",'
            '"expires_at":"2026-11-28T01:02:03Z","account_id":"acc_1","sub":"acc_1",'
            '"linking_profile":{"provider_name":"google","profile_id":"pro_1","profile_name":"a@example.com"},'
            '"extra":{"userinfo":{"email":"a@example.com"}}}',
            '{"access_token":"a","refresh_token":"r","scope":"read_account list_calendars","expires_at":1796000000}',
        ],
        "callback": ["st4te\nhttps://app.example/cb?code=abc&state=st4te", "st4te\n?state=st4te&code=a%2Bb+c",
                     "!st4te\nstate=st4te", "st4te\nstate=st4te&error=access_denied&error_description=no+way"],
        # docs/PROTOCOL.md §2 and §6: what servers in the wild send.
        "token_reply": [
            bytes([0, 0, 0]) + b'{"token_type":"bearer","access_token":"a","expires_in":"3600","refresh_token":"r",'
                               b'"scope":"read_account","account_id":"acc_1","sub":"acc_1",'
                               b'"linking_profile":{"provider_name":"google","profile_id":"p","profile_name":"n"},'
                               b'"userinfo":{"email":"a@example.com"}}',
            bytes([0, 4, 0]) + b'{"error":"invalid_grant","error_description":"the code MARKERauthCode+/=9876543210 was used"}',
            bytes([11, 4, 0]) + b'<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway'
                                b'</h1></center><hr><center>nginx</center></body></html>',
            bytes([9, 0, 1]) + b'Sun, 06 Nov 1994 08:49:37 GMT\n{"error":"too_many_requests"}',
            bytes([4, 0, 0]) + b'{"error":"invalid_client"}',
        ],
        "api_results": [
            b"\x00429\nRetry-After: Sunday, 06-Nov-94 08:49:37 GMT\n\n{}",
            b"\x01200\n\n{\"pages\":{\"current\":1,\"total\":2,\"next_page\":\"https://evil.test/v1/events/pages/2\"},"
            b"\"events\":[]}\n=====\n200\n\n{\"events\":[]}",
            b"\x05200\n\n{\"profiles\":[{\"provider_name\":\"google\",\"profile_id\":\"p\",\"profile_name\":\"n\","
            b"\"profile_connected\":false,\"profile_relink_url\":\"https://app.test/relink\"}]}",
        ],
        "push": [
            "!\n" + '{"notification":{"type":"profile_initial_sync_required"},"channel":{"channel_id":"chn_1",'
            '"callback_url":"https://app.example/push","filters":{"calendar_ids":["cal_1"],"only_managed":true}}}',
            "!,x\n" + '{"notification":{"type":"something_new","changes_since":"2026-11-28T01:02:03.5+01:00"}}',
        ],
        # The calendar API with the fuzz target's own grant (its placeholders) and the
        # application calls with the seed's client secret: every route once.
        "sandbox_requests": [sandbox_request(*r) for r in (
            ("GET", "/v1/calendars", "@token@"),
            ("POST", "/v1/calendars", "@token@", {"profile_id": "pro_sandbox_google", "name": "Fuzz"}),
            ("GET", "/v1/events?tzid=Etc%2FUTC&from=2026-01-01&to=2030-01-01&calendar_ids[]=cal_sandbox_primary"
                    "&include_managed=true&include_deleted=true&last_modified=2026-01-01T00:00:00Z", "@token@"),
            ("GET", "/v1/free_busy?tzid=Europe%2FLondon&from=2026-01-01&to=2030-01-01", "@token@"),
            ("POST", "/v1/calendars/cal_sandbox_primary/events", "@token@",
             {"event_id": "fuzz-1", "summary": "Fuzz", "description": "d", "start": "2027-01-04T10:00:00Z",
              "end": "2027-01-04T11:00:00Z", "tzid": "Europe/London", "location": {"description": "here"},
              "attendees": {"invite": [{"email": "guest@example.com"}]}, "transparency": "opaque"}),
            ("DELETE", "/v1/calendars/cal_sandbox_primary/events", "@token@", {"event_id": "fuzz-1"}),
            ("DELETE", "/v1/events", "@token@", {"delete_all": True}),
            ("POST", "/v1/calendars/cal_sandbox_primary/events/@event@/participation_status", "@token@",
             {"status": "declined"}),
            ("GET", "/v1/account", "@token@"),
            ("GET", "/v1/userinfo", "@token@"),
            ("GET", "/v1/profiles", "@token@"),
            ("POST", "/v1/profiles/pro_sandbox_office365/revoke", "@token@"),
            ("POST", "/v1/link_tokens", "@token@"),
            ("POST", "/v1/channels", "@token@", {"callback_url": "http://127.0.0.1:9/push",
                                                 "filters": {"calendar_ids": ["cal_sandbox_primary"],
                                                             "only_managed": True}}),
            ("DELETE", "/v1/channels/chn_missing", "@token@"),
            ("POST", "/v1/availability_rules", "@token@",
             {"availability_rule_id": "work_hours", "tzid": "America/Chicago", "calendar_ids": ["cal_sandbox_primary"],
              "weekly_periods": [{"day": "monday", "start_time": "09:30", "end_time": "12:30"}]}),
            ("DELETE", "/v1/availability_rules/work_hours", "@token@"),
            ("POST", "/v1/permissions", "@token@",
             {"permissions": [{"calendar_id": "cal_sandbox_primary", "permission_level": "unrestricted"}],
              "redirect_uri": "https://app.example.com/permissions"}),
            ("POST", "/v1/availability", CLIENT_SECRET,
             {"participants": [{"members": [{"sub": "acc_sandbox_ada", "calendar_ids": ["cal_sandbox_primary"]}],
                                "required": "all"}],
              "required_duration": {"minutes": 30}, "buffer": {"before": {"minutes": 5}},
              "available_periods": [{"start": "2027-01-04T09:00:00Z", "end": "2027-01-04T17:00:00Z"}],
              "response_format": "slots"}),
            ("POST", "/v1/real_time_scheduling", CLIENT_SECRET,
             {"oauth": {"redirect_uri": "https://app.example.com/booked"},
              "event": {"event_id": "booking-1", "summary": "Demo"},
              "availability": {"participants": [{"members": [{"sub": "acc_sandbox_ada"}]}],
                               "required_duration": {"minutes": 30}},
              "target_calendars": [{"sub": "acc_sandbox_ada", "calendar_id": "cal_sandbox_primary"}],
              "tzid": "Europe/London"}),
            ("POST", "/v1/smart_invites", CLIENT_SECRET,
             {"smart_invite_id": "inv-1", "callback_url": "https://app.example.com/invites",
              "recipient": {"email": "guest@example.com"},
              "event": {"summary": "Interview", "start": "2031-03-04T09:00:00Z", "end": "2031-03-04T10:00:00Z"}}),
            ("POST", "/v1/application_calendars", CLIENT_SECRET,
             {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "application_calendar_id": "fuzz"}),
        )] + [
            "POST /oauth/token\nContent-Type: application/x-www-form-urlencoded\n\n"
            f"grant_type=refresh_token&refresh_token=@refresh@&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}",
            "POST /oauth/token/revoke\nContent-Type: application/x-www-form-urlencoded\n\n"
            f"token=@token@&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
            "\n=====\nGET /v1/calendars\nAuthorization: Bearer @token@\n\n",
        ],
        "authorization_url": [b"\x01\x01https://app.example/cb\\https://app.example/cb\\read_account\\x\\",
                              b"\x00\x00\\http://localhost:8080/callback\\read_events\\st+te\\link\\google\\free_busy\\"
                              b"\x02\x01\x01\x01\x01\x01\x01\x01"],
    }


if __name__ == "__main__":
    main()
