"""``calbridge demo``: the whole Individual Connect flow against a freshly started sandbox,
headless, printing each step. Nothing leaves this machine."""

from __future__ import annotations

import os
import stat
import tempfile
import urllib.parse
from datetime import datetime, timedelta, timezone

from . import _core
from .credentials import Credentials
from .errors import Error
from .sandbox import Sandbox
from .stores import FileStore

__all__ = ["run_demo"]

SCOPE = "read_account list_calendars read_events create_event delete_event read_free_busy"


def _say(text: str = "") -> None:
    print(text, flush=True)


def _mask(secret: str) -> str:
    return _core.redact(secret) or "(none)"


def _tokens(credentials: Credentials) -> str:
    left = ""
    if credentials.expires_at is not None:
        seconds = int((credentials.expires_at - datetime.now(timezone.utc)).total_seconds())
        left = f", expires in {seconds} s"
    return f"access {_mask(credentials.access_token)}, refresh {_mask(credentials.refresh_token)}{left}"


def _refreshes(sandbox: Sandbox) -> int:
    counts = sandbox.counters().get("token_requests")
    value = counts.get("refresh_token") if isinstance(counts, dict) else None
    return value if isinstance(value, int) else 0


def run_demo(verbose: int = 0) -> int:
    step = 0

    def say_step(text: str) -> None:
        nonlocal step
        step += 1
        _say(f"\n[{step}] {text}")

    with tempfile.TemporaryDirectory(prefix="calbridge-demo-") as workdir, Sandbox.start() as sandbox:
        say_step("Started calbridge-sandbox, a local stand-in for the calendar intermediary")
        _say(f"    API and app host {sandbox.api_url} (HTTPS, CA {sandbox.ca_file})")
        _say(f"    application client_id {sandbox.client_id!r}, user ada@example.com")

        store = FileStore(os.path.join(workdir, "credentials"))
        client = sandbox.client(store=store)
        say_step("Built the authorization link (random state, PKCE S256)")
        auth = client.authorization_url(sandbox.redirect_uri, SCOPE, pkce=True)
        _say(f"    {auth.url}")
        _say(f"    keep server-side: state {auth.state!r}, code_verifier (secret, not shown)")

        say_step("The user approves on the consent page (headless, through the sandbox's admin API)")
        callback = sandbox.consent(auth.url)
        _say(f"    the browser comes back to {_redact(callback)}")

        say_step("Checked the redirect's state and exchanged the one-time code for tokens")
        credentials = client.complete_authorization(callback, auth)
        _say(f"    {credentials!r}")
        account = credentials.account_key
        path = store.path_for(account)
        mode = stat.S_IMODE(os.stat(path).st_mode)
        _say(f"    saved in the file store: {path} (mode {mode:04o})")

        session = client.session(account)
        say_step("Called the calendar API with the access token")
        me = session.account()
        _say(f"    account: {me.name} <{me.email}>, default time zone {me.default_tzid}")
        for calendar in session.calendars():
            flags = " (primary)" if calendar.primary else ""
            _say(f"    calendar {calendar.calendar_id}: {calendar.calendar_name}{flags} [{calendar.provider_name}]")

        say_step("Read events over every page (the next_page links are followed lazily)")
        today = datetime.now(timezone.utc).date()
        events = session.events(from_=today - timedelta(days=35), to=today + timedelta(days=7))
        first_page = []
        count = 0
        for event in events:
            if count < 3:
                first_page.append(event)
            count += 1
        for event in first_page:
            _say(f"    {event.start_raw} {event.summary}")
        _say(f"    ... {count} events in {events.current_page} pages")

        say_step("Created and deleted an event (upsert by your own event_id: safe to retry)")
        start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        session.upsert_event(
            "cal_sandbox_primary",
            {"event_id": "calbridge-demo-1", "summary": "calbridge demo", "start": start, "end": start + timedelta(hours=1)},
        )
        _say(f"    upserted calbridge-demo-1 at {start:%Y-%m-%d %H:%M} UTC")
        session.delete_event("cal_sandbox_primary", "calbridge-demo-1")
        _say("    deleted it")

        say_step("Proactive refresh: a token about to expire is renewed before it is used")
        stored = store.load(account)
        assert stored is not None
        soon = datetime.now(timezone.utc) + timedelta(seconds=30)
        store.save(account, stored[0].replace(expires_at=soon), stored[1])
        _say("    (time travel: the stored token now expires in 30 s; the client's leeway is 60 s)")
        later = sandbox.client(store=store)  # a later run of the application, same store
        before = _refreshes(sandbox)
        later_session = later.session(account)
        calendars = later_session.calendars()
        renewed = later_session.credentials()
        _say(f"    listed {len(calendars)} calendars; refresh requests sent: {_refreshes(sandbox) - before}")
        _say(f"    old tokens: access {_mask(stored[0].access_token)}, refresh {_mask(stored[0].refresh_token)}")
        _say(f"    new tokens: {_tokens(renewed)} (rotated, and stored before first use)")

        say_step("A 401: the server expired the access token early; refresh once and retry")
        expired = sandbox.expire_access_tokens(account_id=account)
        before = _refreshes(sandbox)
        calendars = later_session.calendars()
        _say(f"    server expired {expired} token(s); the call still listed {len(calendars)} calendars")
        _say(f"    refresh requests sent: {_refreshes(sandbox) - before}")

        say_step("Revoked the grant; the next call fails with a typed error")
        later.revoke(later_session.credentials())
        try:
            later_session.calendars()
            _say("    unexpected: the call succeeded")
            return 1
        except Error as e:
            _say(f"    {type(e).__name__}: {e}")
            _say("    the user must connect again (calbridge.InvalidGrantError / AuthenticationError)")

        say_step("Stopped the sandbox. Every step above is what `calbridge connect` does with a real account.")
    return 0


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    pairs = [(k, "****" if k == "code" else v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(pairs, safe="*")))
