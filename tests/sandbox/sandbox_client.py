"""An independent client for calbridge-sandbox: Python's http.client and ssl only.

It starts the binary, reads its ready file, speaks HTTPS with the CA the sandbox wrote, and
drives the consent page the way a browser does (parse the form, press a button, follow
nothing: the redirect back is read from the Location header).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import secrets
import select
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("CALBRIDGE_SANDBOX", str(ROOT / "build" / "dev" / "sandbox" / "calbridge-sandbox"))
START_TIMEOUT = 60.0  # seconds; sanitizer builds start slowly on a loaded machine

DEFAULT_REDIRECT = "http://localhost:8080/callback"
ALL_SCOPES = (
    "read_account list_calendars read_events create_event delete_event read_free_busy "
    "create_calendar change_participation_status"
)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def redirect_params(self) -> dict[str, str]:
        """The query of the Location header, one value per name."""
        location = self.header("Location")
        assert location is not None, f"no Location header (status {self.status}): {self.body[:300]!r}"
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query, keep_blank_values=True))


class Sandbox:
    """A running calbridge-sandbox process."""

    def __init__(self, process: subprocess.Popen[bytes], ready: dict[str, Any], log: Path) -> None:
        self.process = process
        self.ready = ready
        self.log = log
        self.url: str = ready["api_url"]
        split = urllib.parse.urlsplit(self.url)
        self.scheme = split.scheme
        self.host = split.hostname or "127.0.0.1"
        self.port: int = ready["port"]
        self.ca_file: str | None = ready["ca_file"]
        self.admin_token: str = ready["admin_token"]
        self.client_id: str = ready["client_id"]
        self.client_secret: str = ready["client_secret"]

    # ---- connections -----------------------------------------------------------------------

    def ssl_context(self, hostname_check: bool = True) -> ssl.SSLContext:
        assert self.ca_file is not None
        ctx = ssl.create_default_context(cafile=self.ca_file)
        ctx.check_hostname = hostname_check
        return ctx

    def connection(self, timeout: float = 15.0, host: str | None = None) -> http.client.HTTPConnection:
        host = host or self.host
        if self.scheme == "https":
            return http.client.HTTPSConnection(host, self.port, context=self.ssl_context(), timeout=timeout)
        return http.client.HTTPConnection(host, self.port, timeout=timeout)

    def raw_socket(self, timeout: float = 10.0) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def tls_socket(self, timeout: float = 10.0) -> ssl.SSLSocket:
        raw = self.raw_socket(timeout)
        return self.ssl_context().wrap_socket(raw, server_hostname=self.host)

    # ---- requests --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str | None = None,
        json_body: Any = None,
        form: dict[str, str] | list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        timeout: float = 15.0,
        conn: http.client.HTTPConnection | None = None,
    ) -> Reply:
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
            hdrs.setdefault("Content-Type", "application/json; charset=utf-8")
        elif form is not None:
            body = urllib.parse.urlencode(form, quote_via=urllib.parse.quote)
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            return Reply(r.status, r.headers, r.read())
        finally:
            if own:
                c.close()

    def get(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return self.request("GET", path, token=token, **kw)

    def admin(self, method: str, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request(method, path, json_body=body, token=self.admin_token, **kw)

    def admin_ok(self, method: str, path: str, body: Any = None) -> Any:
        r = self.admin(method, path, body)
        assert r.status in (200, 201, 204), f"{method} {path}: {r.status} {r.body!r}"
        return r.json() if r.body else None

    # ---- the connect flow ------------------------------------------------------------------

    def authorize_path(self, client_id: str | None = None, redirect_uri: str = DEFAULT_REDIRECT,
                       scope: str = ALL_SCOPES, state: str | None = "st-123", **extra: str) -> str:
        params: list[tuple[str, str]] = [
            ("response_type", "code"),
            ("client_id", client_id or self.client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
        ]
        if state is not None:
            params.append(("state", state))
        params.extend(extra.items())
        return "/oauth/authorize?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)

    def open_consent(self, path: str) -> tuple[Reply, ConsentForm | None]:
        r = self.get(path)
        form = ConsentForm.parse(r.text) if r.status == 200 else None
        return r, form

    def press(self, form: ConsentForm, button: str = "approve", user: str | None = None) -> Reply:
        """Submits the consent form as a browser does when `button` is clicked."""
        assert form.method == "post"
        fields = [(name, value) for name, value in form.hidden]
        if form.user_select is not None or form.user_text:
            chosen = user if user is not None else (form.user_options[0] if form.user_options else "")
            fields.append(("user", chosen))
        fields.append(("decision", form.buttons[button]))
        return self.request("POST", form.action, form=fields)

    def code_for(self, client_id: str | None = None, redirect_uri: str = DEFAULT_REDIRECT,
                 scope: str = ALL_SCOPES, user: str | None = None, **extra: str) -> str:
        r, form = self.open_consent(self.authorize_path(client_id, redirect_uri, scope, **extra))
        assert form is not None, f"no consent page: {r.status} {r.text[:400]}"
        done = self.press(form, "approve", user)
        assert done.status == 302, done.text[:400]
        params = done.redirect_params()
        assert "code" in params, params
        return params["code"]

    def token(self, fields: dict[str, str], *, as_json: bool = False, client_id: str | None = None,
              client_secret: str | None = None, basic: bool = False) -> Reply:
        body = dict(fields)
        cid = client_id or self.client_id
        secret = client_secret if client_secret is not None else self.client_secret
        headers: dict[str, str] = {}
        if basic:
            pair = f"{urllib.parse.quote(cid, safe='')}:{urllib.parse.quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            body.setdefault("client_id", cid)
            body.setdefault("client_secret", secret)
        if as_json:
            return self.request("POST", "/oauth/token", json_body=body, headers=headers)
        return self.request("POST", "/oauth/token", form=body, headers=headers)

    def exchange(self, code: str, redirect_uri: str = DEFAULT_REDIRECT, **kw: Any) -> Reply:
        fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        fields.update(kw.pop("extra", {}))
        return self.token(fields, **kw)

    def refresh(self, refresh_token: str, **kw: Any) -> Reply:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token}, **kw)

    def connect(self, scope: str = ALL_SCOPES, user: str | None = None, client_id: str | None = None,
                client_secret: str | None = None, redirect_uri: str = DEFAULT_REDIRECT) -> dict[str, Any]:
        """The whole flow: consent page, approve, code exchange. Returns the token response."""
        code = self.code_for(client_id, redirect_uri, scope, user)
        r = self.exchange(code, redirect_uri, client_id=client_id, client_secret=client_secret)
        assert r.status == 200, r.body
        return r.json()

    # ---- lifecycle -------------------------------------------------------------------------

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_sandbox(workdir: Path, *args: str, name: str = "sandbox") -> Sandbox:
    workdir.mkdir(parents=True, exist_ok=True)
    ready_file = workdir / f"{name}-ready.json"
    log = workdir / f"{name}.log"
    read_end, write_end = os.pipe()
    cmd = [BINARY, "--port", "0", "--ready-file", str(ready_file), "--ready-fd", str(write_end), *args]
    if "--plain-http" not in args and "--ca-file" not in args:
        cmd += ["--ca-file", str(workdir / f"{name}-ca.pem")]
    try:
        with open(log, "wb") as out:
            process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       pass_fds=(write_end,))
    finally:
        os.close(write_end)  # the sandbox holds the only write end: end-of-file when it is ready or gone
    try:
        text = read_ready_pipe(read_end, START_TIMEOUT)
    except TimeoutError:
        process.kill()
        process.wait()
        raise RuntimeError(f"calbridge-sandbox was not ready in {START_TIMEOUT} s:\n{log.read_text()}") from None
    if not text:
        raise RuntimeError(f"calbridge-sandbox exited with {process.wait()}:\n{log.read_text()}")
    return Sandbox(process, json.loads(text), log)


def read_ready_pipe(read_end: int, timeout: float) -> bytes:
    """Everything written to the pipe whose write end the sandbox got as ``--ready-fd``, up to
    its end-of-file: the ready JSON once it serves, nothing when it exited first. Closes
    ``read_end``; raises TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(read_end, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(read_end)


def pkce_pair(length: int = 64) -> tuple[str, str]:
    """(verifier, S256 challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(96)[:length]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class ConsentForm:
    """What a browser sees of the consent page."""

    action: str = ""
    method: str = ""
    hidden: list[tuple[str, str]] = field(default_factory=list)
    user_select: str | None = None  # the name of the radio group choosing the user
    user_options: list[str] = field(default_factory=list)  # its values, in order
    user_text: bool = False
    buttons: dict[str, str] = field(default_factory=dict)  # label class -> decision value
    scopes: list[str] = field(default_factory=list)
    unverified: bool = False
    app_name: str = ""
    message: str = ""

    @staticmethod
    def parse(html: str) -> ConsentForm:
        parser = _ConsentParser()
        parser.feed(html)
        parser.close()
        return parser.form


class _ConsentParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.form = ConsentForm()
        self._capture: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form.action = a.get("action", "")
            self.form.method = a.get("method", "get").lower()
        elif tag == "input" and a.get("type") == "hidden":
            self.form.hidden.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("type") == "text" and a.get("name") == "user":
            self.form.user_text = True
        elif tag == "input" and a.get("type") == "radio" and a.get("name") == "user":
            self.form.user_select = "user"
            self.form.user_options.append(a.get("value", ""))
        elif tag == "button" and a.get("type") == "submit":
            self.form.buttons[a.get("value", "")] = a.get("value", "")
        elif tag == "li" and "data-scope" in a:
            self.form.scopes.append(a["data-scope"])
        elif tag == "p" and a.get("id") == "unverified":
            self.form.unverified = True
        elif tag == "span" and a.get("id") == "app-name":
            self._capture = "app_name"
        elif tag == "p" and a.get("id") == "message":
            self._capture = "message"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("span", "p"):
            self._capture = None

    def handle_data(self, data: str) -> None:
        if self._capture == "app_name":
            self.form.app_name += data
        elif self._capture == "message":
            self.form.message += data
