"""A Flask app doing the whole connect flow, ready to run as many worker processes.

    /            the user's calendars and next events, or a "Connect your calendar" link
    /connect     sends the browser to the authorization page (signed state + PKCE)
    /callback    the redirect back, in whichever worker it lands: checks the signed state
                 against the browser's session, takes the pending authorization out of the
                 shared database, exchanges the code, stores the credentials
    /disconnect  revokes the grant

What lives where, so that any worker can answer any request:

- the browser's Flask session (a signed cookie, readable by the browser): a random session id
  and, once connected, the account id. Nothing secret: never the code verifier.
- the signed state (in the authorization link): bound to that session id, expiring after
  CALBRIDGE_STATE_MAX_AGE seconds, verifiable by every worker holding CALBRIDGE_STATE_KEY.
- one SQLite file shared by the workers (CALBRIDGE_DATABASE): the credentials (a
  calbridge.SqliteStore, with its refresh lease) and the pending authorizations
  (AuthorizationRequest.to_dict(), verifier included, keyed by their state, used once).

Settings come from the environment:

    FLASK_SECRET_KEY, CALBRIDGE_STATE_KEY     two different secrets of 32 bytes or more, the
                                              same on every worker
    CALBRIDGE_CLIENT_ID, CALBRIDGE_CLIENT_SECRET, CALBRIDGE_DATA_CENTER (default "us"), or
    CALBRIDGE_API_URL, CALBRIDGE_APP_URL, CALBRIDGE_CA_FILE for a local sandbox
    CALBRIDGE_DATABASE                        default: calbridge-flask.db
    CALBRIDGE_PUBLIC_URL                      the URL the browser sees (behind a load balancer:
                                              its address); default: this server's
    CALBRIDGE_STATE_MAX_AGE                   seconds a link stays valid; default 600

Against a local sandbox (``calbridge sandbox -- --ready-file /tmp/sandbox.json`` elsewhere),
take CALBRIDGE_API_URL, CALBRIDGE_APP_URL, CALBRIDGE_CA_FILE, CALBRIDGE_CLIENT_ID and
CALBRIDGE_CLIENT_SECRET from its ready file (api_url, app_url, ca_file, client_id,
client_secret), then run two workers behind one public URL:

    CALBRIDGE_PUBLIC_URL=http://127.0.0.1:8080 python examples/python/flask_app.py --port 8081
    CALBRIDGE_PUBLIC_URL=http://127.0.0.1:8080 python examples/python/flask_app.py --port 8082

with a load balancer on port 8080 in front of them (or one worker, without CALBRIDGE_PUBLIC_URL),
or under a WSGI server: ``gunicorn -w 4 'flask_app:app_from_environment()'``.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import secrets
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from flask import Flask, redirect, request, session
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Response

import calbridge
from pending_authorizations import PendingAuthorizations
import serving
import settings

SCOPE = "read_account list_calendars read_events"


def create_app(
    client: calbridge.Client,
    *,
    secret_key: bytes,
    state_signer: calbridge.StateSigner,
    pending: PendingAuthorizations,
    public_url: str = "",
) -> Flask:
    """The app. ``public_url``: the scheme and host the browser sees (the redirect URI is
    ``public_url + "/callback"``, the same for every worker); empty: the request's own."""
    app = Flask(__name__)
    app.secret_key = secret_key
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", PUBLIC_URL=public_url)

    def redirect_uri() -> str:
        return (str(app.config["PUBLIC_URL"]) or request.host_url.rstrip("/")) + "/callback"

    def browser_session_id() -> str:
        sid = session.get("sid")
        if not isinstance(sid, str):
            sid = secrets.token_urlsafe(24)
            session["sid"] = sid
        return sid

    def page(title: str, body: str, status: int = 200) -> tuple[str, int]:
        return f"<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1>{body}", status

    @app.get("/")
    def home() -> tuple[str, int]:
        browser_session_id()
        account_id = session.get("account_id")
        if not isinstance(account_id, str):
            return page("Calendar", '<p><a href="/connect">Connect your calendar</a></p>')
        user = client.session(account_id)
        account = user.account()
        calendars = [
            f"<li>{html.escape(c.calendar_name)} ({html.escape(c.provider_name)})</li>" for c in user.calendars()
        ]
        events = []
        for event in user.events(from_=date.today(), to=date.today() + timedelta(days=7)):
            when = event.start.isoformat() if event.start is not None else event.start_raw
            events.append(f"<li>{html.escape(when)}: {html.escape(event.summary)}</li>")
            if len(events) == 10:
                break
        return page(
            "Calendar",
            f"<p>Connected as {html.escape(account.name)} &lt;{html.escape(account.email)}&gt;</p>"
            f"<h2>Calendars</h2><ul>{''.join(calendars)}</ul>"
            f"<h2>Next events</h2><ul>{''.join(events)}</ul>"
            '<p><a href="/disconnect">Disconnect</a></p>',
        )

    @app.get("/connect")
    def connect() -> Response:
        state = state_signer.issue(browser_session_id())
        auth = client.authorization_url(redirect_uri(), SCOPE, state=state, pkce=True)
        pending.put(auth, state_signer.max_age)  # server-side: the verifier never reaches the browser
        return redirect(auth.url)

    @app.get("/callback")
    def callback() -> Response | tuple[str, int]:
        sid = session.get("sid")
        state = request.args.get("state", "")
        if not isinstance(sid, str):
            return page("Could not connect", "<p>No connection was started in this browser.</p>", 400)
        # Before anything else: a state for another browser (or forged, or too old) must not
        # even use up the pending authorization. StateMismatchError goes to the handler below.
        state_signer.verify(state, sid)
        auth = pending.take(state)
        if auth is None:
            return page("Could not connect", "<p>This link was used already, or it expired.</p>"
                        '<p><a href="/connect">Try again</a></p>', 400)  # fmt: skip
        credentials = client.complete_authorization(request.query_string.decode(), auth)
        session["account_id"] = credentials.account_key
        return redirect("/")

    @app.get("/disconnect")
    def disconnect() -> Response:
        account_id = session.pop("account_id", None)
        if isinstance(account_id, str):
            client.revoke(client.session(account_id).credentials())
            client.store.remove(account_id)
        return redirect("/")

    @app.errorhandler(calbridge.Error)
    def calbridge_error(e: calbridge.Error) -> tuple[str, int]:
        # Typed errors, with messages that never carry a secret.
        return page("Could not connect", f"<p>{html.escape(type(e).__name__)}: {html.escape(str(e))}</p>"
                    '<p><a href="/connect">Try again</a></p>', 400)  # fmt: skip

    return app


def app_from_environment(environ: Mapping[str, str] = os.environ) -> Flask:
    """The app, configured from the environment (see the module's docs)."""
    database = environ.get("CALBRIDGE_DATABASE", "calbridge-flask.db")
    client = settings.client(environ, database)
    return create_app(
        client,
        secret_key=settings.secret(environ, "FLASK_SECRET_KEY"),
        state_signer=settings.state_signer(environ),
        pending=PendingAuthorizations(database),
        public_url=environ.get("CALBRIDGE_PUBLIC_URL", ""),
    )


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # request lines carry the authorization code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    serving.add_arguments(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = app_from_environment()
    server = make_server(args.host, args.port, app, threaded=True, request_handler=_QuietRequestHandler)
    own_url = f"http://{args.host}:{server.server_port}"
    serving.announce(args, own_url)
    print(f"Serving on {own_url}; users open {app.config['PUBLIC_URL'] or own_url}/ (Ctrl-C stops).", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
