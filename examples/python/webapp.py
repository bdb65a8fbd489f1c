"""A small web application doing the whole connect flow, with the standard library only.

    /            the user's calendars and next events, or a "Connect your calendar" link
    /connect     sends the browser to the authorization page (random state + PKCE, kept server-side)
    /callback    the redirect back: checks it, exchanges the code, remembers the account
    /disconnect  revokes the grant

Run it against a local sandbox (``calbridge sandbox -- --ready-file /tmp/sandbox.json`` in
another terminal):

    python examples/python/webapp.py --sandbox /tmp/sandbox.json

or against a real data center:

    CALBRIDGE_CLIENT_ID=... CALBRIDGE_CLIENT_SECRET=... python examples/python/webapp.py --port 8080

and open http://127.0.0.1:8080/. Sessions are in memory: this is an example, not a framework.
"""

from __future__ import annotations

import argparse
import html
import http.cookies
import http.server
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta

import calbridge
from calbridge.sandbox import Sandbox

SCOPE = "read_account list_calendars read_events"


@dataclass
class UserSession:
    """What the app keeps per browser: the pending authorization, then the account."""

    pending: calbridge.AuthorizationRequest | None = None
    account_id: str | None = None


@dataclass
class App:
    client: calbridge.Client
    base_url: str = "http://127.0.0.1:8080"
    sessions: dict[str, UserSession] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def redirect_uri(self) -> str:
        return self.base_url + "/callback"

    def user(self, sid: str | None) -> tuple[str, UserSession]:
        with self.lock:
            if sid is None or sid not in self.sessions:
                sid = secrets.token_urlsafe(24)
                self.sessions[sid] = UserSession()
            return sid, self.sessions[sid]


def make_handler(app: App) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            cookies = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
            sid, user = app.user(cookies["sid"].value if "sid" in cookies else None)
            path = self.path.split("?", 1)[0]
            try:
                if path == "/":
                    self.home(sid, user)
                elif path == "/connect":
                    user.pending = app.client.authorization_url(app.redirect_uri, SCOPE, pkce=True)
                    self.redirect(user.pending.url, sid)
                elif path == "/callback":
                    self.callback(sid, user)
                elif path == "/disconnect":
                    if user.account_id:
                        session = app.client.session(user.account_id)
                        app.client.revoke(session.credentials())
                        app.client.store.remove(user.account_id)
                        user.account_id = None
                    self.redirect("/", sid)
                else:
                    self.page(404, "Not found", "<p>Nothing here.</p>", sid)
            except calbridge.Error as e:
                # Typed errors: each says what the user (or the developer) has to do.
                self.page(400, "Could not connect", f"<p>{html.escape(type(e).__name__)}: {html.escape(str(e))}</p>"
                          '<p><a href="/connect">Try again</a></p>', sid)

        def callback(self, sid: str, user: UserSession) -> None:
            if user.pending is None:
                self.page(400, "Unexpected", "<p>No connection was started in this browser.</p>", sid)
                return
            pending, user.pending = user.pending, None  # one use
            credentials = app.client.complete_authorization(app.base_url + self.path, pending)
            user.account_id = credentials.account_key
            self.redirect("/", sid)

        def home(self, sid: str, user: UserSession) -> None:
            if user.account_id is None:
                self.page(200, "Calendar", '<p><a href="/connect">Connect your calendar</a></p>', sid)
                return
            session = app.client.session(user.account_id)
            account = session.account()
            items = [f"<li>{html.escape(c.calendar_name)} ({html.escape(c.provider_name)})</li>" for c in session.calendars()]
            today = date.today()
            events = []
            for event in session.events(from_=today, to=today + timedelta(days=7)):
                when = event.start.isoformat() if event.start is not None else event.start_raw
                events.append(f"<li>{html.escape(when)}: {html.escape(event.summary)}</li>")
                if len(events) == 10:
                    break
            body = (
                f"<p>Connected as {html.escape(account.name)} &lt;{html.escape(account.email)}&gt;</p>"
                f"<h2>Calendars</h2><ul>{''.join(items)}</ul>"
                f"<h2>Next events</h2><ul>{''.join(events)}</ul>"
                '<p><a href="/disconnect">Disconnect</a></p>'
            )
            self.page(200, "Calendar", body, sid)

        def redirect(self, location: str, sid: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Set-Cookie", f"sid={sid}; HttpOnly; SameSite=Lax; Path=/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def page(self, status: int, title: str, body: str, sid: str) -> None:
            data = f"<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1>{body}".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Set-Cookie", f"sid={sid}; HttpOnly; SameSite=Lax; Path=/")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # request lines carry the authorization code

    return Handler


def serve(app: App, host: str = "127.0.0.1", port: int = 8080) -> http.server.ThreadingHTTPServer:
    """A server for the app (not yet serving: call serve_forever). Port 0: any free one, and
    the app's base URL follows it."""
    server = http.server.ThreadingHTTPServer((host, port), make_handler(app))
    app.base_url = f"http://{host}:{server.server_address[1]}"
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--sandbox", metavar="READY_FILE", help="use a running calbridge-sandbox")
    args = parser.parse_args()
    if args.sandbox:
        client = Sandbox.attach(args.sandbox).client()
    else:
        client = calbridge.Client(
            os.environ["CALBRIDGE_CLIENT_ID"],
            os.environ["CALBRIDGE_CLIENT_SECRET"],
            data_center=os.environ.get("CALBRIDGE_DATA_CENTER", "us"),
        )
    app = App(client)
    server = serve(app, port=args.port)
    print(f"Open {app.base_url}/ in a browser (Ctrl-C stops).")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
