"""Run the bundled ``calbridge-sandbox`` (the intermediary in a box) and drive its admin API.

    with Sandbox.start() as sandbox:
        client = sandbox.client()
        auth = client.authorization_url(sandbox.redirect_uri, "read_events list_calendars")
        callback = sandbox.consent(auth.url)          # the user clicks "Allow", headless
        credentials = client.complete_authorization(callback, auth)

The sandbox serves HTTPS on 127.0.0.1 with a CA it makes at start (``ca_file``); its admin API
(``/admin/...``, bearer ``admin_token``) provisions applications and users, tunes lifetimes,
moves its clock, approves consent headlessly, counts requests and injects faults.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from ._types import JSON, JSONObject, Seconds
from .client import Client
from .credentials import Credentials
from .stores import TokenStore

__all__ = ["Sandbox", "SandboxError", "find_executable", "DEFAULT_USER", "DEFAULT_REDIRECT_URI", "FaultKind"]

#: The user the sandbox is seeded with (account ``acc_sandbox_ada``).
DEFAULT_USER = "ada@example.com"
#: A redirect URI registered for the sandbox's default application.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8080/callback"

FaultKind = Literal[
    "status",
    "delay",
    "close",
    "truncate",
    "malformed_json",
    "json_as_text_plain",
    "html_error",
    "error_in_200",
    "expires_in_string",
    "omit_expires_in",
    "omit_refresh_token",
]

EXECUTABLE_NAME = "calbridge-sandbox"


class SandboxError(RuntimeError):
    """The sandbox could not start, or its admin API refused a request."""

    def __init__(self, message: str, status: int | None = None, body: JSON = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def find_executable() -> str:
    """The sandbox binary: $CALBRIDGE_SANDBOX, the one bundled in the package, or PATH's."""
    explicit = os.environ.get("CALBRIDGE_SANDBOX")
    if explicit:
        return explicit
    bundled = Path(__file__).resolve().parent / "_bin" / EXECUTABLE_NAME
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    found = shutil.which(EXECUTABLE_NAME)
    if found:
        return found
    raise SandboxError(
        f"{EXECUTABLE_NAME} was not found: it is bundled with calbridge when pip builds it "
        "with the sandbox, or set CALBRIDGE_SANDBOX to its path"
    )


@dataclass(frozen=True)
class _Ready:
    api_url: str
    app_url: str
    ca_file: str | None
    admin_token: str
    client_id: str
    client_secret: str
    pid: int
    port: int


class Sandbox:
    """A running sandbox process (or one started elsewhere: :meth:`attach`)."""

    def __init__(self, ready: _Ready, process: subprocess.Popen[bytes] | None = None, workdir: str | None = None):
        self._ready = ready
        self._process = process
        self._workdir = workdir
        self._ssl = ssl.create_default_context(cafile=ready.ca_file) if ready.ca_file else None

    # --- starting and stopping ----------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        executable: str | None = None,
        port: int = 0,
        config: str | os.PathLike[str] | None = None,
        extra_args: Sequence[str] = (),
        timeout: float = 30.0,
    ) -> Sandbox:
        """Starts a sandbox on 127.0.0.1 (any free port unless ``port``) and waits until it
        serves."""
        exe = executable or find_executable()
        workdir = tempfile.mkdtemp(prefix="calbridge-sandbox-")
        log_path = os.path.join(workdir, "sandbox.log")
        # The sandbox writes its ready JSON to a pipe and closes it: end-of-file once it serves,
        # or once it exited first. No polling.
        read_end, write_end = os.pipe()
        args = [exe, "--port", str(port), "--ready-fd", str(write_end), "--ca-file", os.path.join(workdir, "ca.pem"), "--quiet"]
        if config is not None:
            args += ["--config", os.fspath(config)]
        args += list(extra_args)
        try:
            with open(log_path, "wb") as log:
                process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                           pass_fds=(write_end,))
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        try:
            text = _read_to_end(read_end, timeout)
        except TimeoutError:
            process.kill()
            process.wait()
            shutil.rmtree(workdir, ignore_errors=True)
            raise SandboxError(f"{EXECUTABLE_NAME} did not become ready within {timeout:g} s") from None
        if not text:
            process.wait()
            output = Path(log_path).read_text(errors="replace").strip()
            shutil.rmtree(workdir, ignore_errors=True)
            raise SandboxError(f"{EXECUTABLE_NAME} exited with status {process.returncode}: {output}")
        return cls(_ready_from(json.loads(text)), process, workdir)

    @classmethod
    def attach(cls, ready_file: str | os.PathLike[str]) -> Sandbox:
        """A sandbox started elsewhere (``calbridge sandbox -- --ready-file PATH``, or
        ``calbridge-sandbox --ready-file PATH``), from the ready file it writes once it serves:
        its URLs, CA file, admin token and default application. :meth:`stop` leaves it running.

        Raises :class:`SandboxError` (one line, no traceback needed) when the file is missing,
        unreadable, or not a sandbox's ready file. No request is sent here: a file left behind
        by a sandbox that has stopped fails at the first call instead."""
        path = os.fspath(ready_file)
        try:
            return cls(_read_ready(path))
        except FileNotFoundError:
            raise SandboxError(f"no sandbox ready file at {path} (is the sandbox running with --ready-file {path}?)") from None
        except OSError as e:
            raise SandboxError(f"cannot read the sandbox ready file {path}: {e.strerror or e}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            what = f"no {e.args[0]!r} field" if isinstance(e, KeyError) else (str(e) or type(e).__name__)
            raise SandboxError(f"{path} is not a sandbox ready file ({what})") from None

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the sandbox (SIGTERM, then SIGKILL) if this object started it."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def wait(self) -> int:
        """Waits for the sandbox process to exit (e.g. on Ctrl-C); its status."""
        if self._process is None:
            return 0
        return self._process.wait()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    # --- where it is ------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self._ready.api_url

    @property
    def app_url(self) -> str:
        return self._ready.app_url

    @property
    def ca_file(self) -> str | None:
        """The CA certificate the sandbox's HTTPS certificate chains to (None for plain HTTP)."""
        return self._ready.ca_file

    @property
    def admin_token(self) -> str:
        return self._ready.admin_token

    @property
    def client_id(self) -> str:
        """The default application's client id."""
        return self._ready.client_id

    @property
    def client_secret(self) -> str:
        """The default application's client secret."""
        return self._ready.client_secret

    @property
    def redirect_uri(self) -> str:
        """A redirect URI registered for the default application."""
        return DEFAULT_REDIRECT_URI

    @property
    def pid(self) -> int:
        return self._ready.pid

    def __repr__(self) -> str:
        return f"<Sandbox {self.api_url} pid={self.pid}>"

    def client(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        store: TokenStore | str | None = None,
        timeout: Seconds = 30.0,
        leeway: Seconds = 60.0,
        max_retries: int | None = None,
        redirect_uris: Sequence[str] | None = None,
        on_refresh: Callable[[Credentials], None] | None = None,
    ) -> Client:
        """A :class:`calbridge.Client` for this sandbox: its API and app URLs, trusting its CA
        file (host names are still verified), for its default application unless
        ``client_id``/``client_secret`` name another (see :meth:`add_application`).

        ``store`` (a store or a store's name, default: memory), ``timeout``, ``leeway``,
        ``max_retries``, ``redirect_uris`` and ``on_refresh`` are passed to
        :class:`calbridge.Client` as they are. No request is sent here."""
        return Client(
            client_id or self.client_id,
            client_secret or self.client_secret,
            api_url=self.api_url,
            app_url=self.app_url,
            ca_file=self.ca_file,
            store=store,
            timeout=timeout,
            leeway=leeway,
            max_retries=max_retries,
            redirect_uris=redirect_uris,
            on_refresh=on_refresh,
        )

    # --- the admin API --------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: Mapping[str, JSON] | None = None, *, timeout: float = 30.0) -> JSON:
        """One admin API call; the parsed reply (None when empty). SandboxError on an error status."""
        parts = urllib.parse.urlsplit(self.api_url)
        host = parts.hostname or "127.0.0.1"
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
        try:
            payload = None if body is None else json.dumps(dict(body)).encode()
            headers = {"Authorization": f"Bearer {self.admin_token}"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, "/admin/" + path.lstrip("/"), body=payload, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()
        value: JSON = None
        if text.strip():
            try:
                value = json.loads(text)
            except ValueError:
                value = text
        if response.status >= 400:
            raise SandboxError(f"admin {method} /admin/{path.lstrip('/')}: {response.status} {text.strip()}", response.status, value)
        return value

    def _object(self, method: str, path: str, body: Mapping[str, JSON] | None = None) -> JSONObject:
        value = self.admin(method, path, body)
        return value if isinstance(value, dict) else {}

    def status(self) -> JSONObject:
        return self._object("GET", "status")

    def reset(self) -> None:
        """Back to the start state: applications, users, settings, clock, grants, faults, counters."""
        self.admin("POST", "reset")

    def settings(self, **changes: JSON) -> JSONObject:
        """Reads, or changes (``access_token_lifetime=5``, ``refresh_rotation=False``,
        ``rate_limit="published"``...), the global settings."""
        if not changes:
            return self._object("GET", "settings")
        return self._object("PATCH", "settings", changes)

    def counters(self) -> JSONObject:
        """Requests, in flight (and the peak), token requests by grant, revocations..."""
        return self._object("GET", "counters")

    def reset_counters(self) -> JSONObject:
        return self._object("POST", "counters/reset")

    def advance_clock(self, seconds: int) -> JSONObject:
        """Moves the sandbox's clock (tokens and codes expire without waiting)."""
        return self._object("POST", "clock", {"advance_seconds": seconds})

    def stop_clock(self) -> JSONObject:
        """Stops the sandbox's clock: only ``advance_clock()`` moves it until ``start_clock()``
        (or a reset), so a test of an expiry boundary cannot race the real second ticking over."""
        return self._object("POST", "clock", {"stopped": True})

    def start_clock(self) -> JSONObject:
        """Lets the sandbox's clock run on from where it stopped."""
        return self._object("POST", "clock", {"stopped": False})

    def consent(self, authorization_url: str, *, user: str = DEFAULT_USER, approve: bool = True) -> str:
        """Headless consent: what a browser would do on the consent page, without one.

        ``authorization_url`` is a link from :meth:`calbridge.Client.authorization_url` (any
        client of this sandbox); ``user`` (an e-mail or account id of a sandbox user) approves
        it, or with ``approve=False`` it is denied. Returns the redirect URL the browser would
        be sent to: ``...?code=...&state=...`` (or ``error=access_denied``), ready for
        :meth:`calbridge.Client.complete_authorization`. :class:`SandboxError` when the
        sandbox refuses the link (unknown client, unregistered redirect URI, bad scope)."""
        body: dict[str, JSON] = {"url": authorization_url, "decision": "approve" if approve else "deny"}
        if approve:
            body["user"] = user
        reply = self._object("POST", "consent", body)
        redirect = reply.get("redirect")
        if not isinstance(redirect, str):
            raise SandboxError(f"consent gave no redirect: {reply}")
        return redirect

    def deny(self, authorization_url: str) -> str:
        """Headless consent, refused: the redirect URL carrying error=access_denied."""
        return self.consent(authorization_url, approve=False)

    def add_application(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        name: str | None = None,
        verified: bool = False,
        redirect_uris: Sequence[str] = (),
        settings: Mapping[str, JSON] | None = None,
    ) -> JSONObject:
        """Registers an application; the reply has its ``client_id`` and ``client_secret``."""
        body: dict[str, JSON] = {"verified": verified, "redirect_uris": list(redirect_uris)}
        for key, value in (("client_id", client_id), ("client_secret", client_secret), ("name", name)):
            if value is not None:
                body[key] = value
        if settings is not None:
            body["settings"] = dict(settings)
        return self._object("POST", "applications", body)

    def add_user(self, **fields: JSON) -> JSONObject:
        """Provisions a user (``email``, ``name``, ``calendars``, ``generate_events``...)."""
        return self._object("POST", "users", fields)

    def grants(self) -> list[JSONObject]:
        value = self._object("GET", "grants").get("grants")
        return [g for g in value if isinstance(g, dict)] if isinstance(value, list) else []

    def expire_access_tokens(self, *, access_token: str | None = None, account_id: str | None = None) -> int:
        """Makes access tokens expire now on the server (the client still believes them
        valid: its next call gets a 401). Returns how many."""
        body: dict[str, JSON] = {}
        if access_token:
            body["access_token"] = access_token
        if account_id:
            body["account_id"] = account_id
        expired = self._object("POST", "tokens/expire", body).get("expired")
        return expired if isinstance(expired, int) else 0

    def fault(
        self,
        path: str,
        kind: FaultKind = "status",
        *,
        method: str = "*",
        count: int = 1,
        status: int | None = None,
        body: str | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float | None = None,
        process: bool | None = None,
    ) -> int:
        """For the next ``count`` requests to ``path`` (exact, or a prefix ending in ``*``),
        misbehave: reply ``status``, wait ``delay`` seconds, close, truncate... ``process`` runs
        the real endpoint first (default: per kind). Returns the rule's id (see
        :meth:`remove_fault`)."""
        rule: dict[str, JSON] = {"path": path, "kind": kind, "method": method, "count": count}
        if process is not None:
            rule["process"] = process
        if status is not None:
            rule["status"] = status
        if body is not None:
            rule["body"] = body
        if content_type is not None:
            rule["content_type"] = content_type
        if headers:
            rule["headers"] = dict(headers)
        if delay is not None:
            rule["delay_ms"] = round(delay * 1000)
        fault_id = self._object("POST", "faults", rule).get("id")
        return fault_id if isinstance(fault_id, int) else 0

    def remove_fault(self, fault_id: int) -> None:
        self.admin("DELETE", f"faults/{fault_id}")

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    # --- the whole browser leg, headless ----------------------------------------------------------

    def authorize(
        self,
        client: Client,
        scope: Sequence[str] | str = "read_account list_calendars read_events create_event delete_event read_free_busy",
        *,
        user: str = DEFAULT_USER,
        redirect_uri: str | None = None,
        pkce: bool = True,
    ) -> Credentials:
        """Builds the link, approves it as ``user`` and completes the authorization: the
        credentials, also saved in the client's store."""
        auth = client.authorization_url(redirect_uri or self.redirect_uri, scope, pkce=pkce)
        return client.complete_authorization(self.consent(auth.url, user=user), auth)


def _read_to_end(fd: int, timeout: float) -> bytes:
    """What is written to the pipe ``fd`` until its end-of-file; closes ``fd``. TimeoutError
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def _read_ready(path: str) -> _Ready:
    with open(path, encoding="utf-8") as f:
        return _ready_from(json.load(f))


def _ready_from(data: object) -> _Ready:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return _Ready(
        api_url=str(data["api_url"]),
        app_url=str(data["app_url"]),
        ca_file=data.get("ca_file"),
        admin_token=str(data["admin_token"]),
        client_id=str(data.get("client_id") or ""),
        client_secret=str(data.get("client_secret") or ""),
        pid=int(data.get("pid") or 0),
        port=int(data.get("port") or 0),
    )

