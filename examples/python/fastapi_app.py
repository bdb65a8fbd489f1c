"""A FastAPI app doing the whole connect flow on calbridge.aio, ready to run as many worker
processes (the same product as flask_app.py, async).

    /            the user's calendars and next events, or a "Connect your calendar" link; the
                 calendar calls are cancelled when the browser goes away before the page is ready
    /connect     sends the browser to the authorization page (signed state + PKCE)
    /callback    the redirect back, in whichever worker it lands: checks the signed state
                 against the browser's session, takes the pending authorization out of the
                 shared database, exchanges the code, stores the credentials
    /disconnect  revokes the grant

What lives where, so that any worker can answer any request:

- the browser: a cookie holding only a random session id (HttpOnly, SameSite=Lax).
- the signed state (in the authorization link): bound to that session id, expiring after
  CALBRIDGE_STATE_MAX_AGE seconds, verifiable by every worker holding CALBRIDGE_STATE_KEY.
- one SQLite file shared by the workers (CALBRIDGE_DATABASE): the credentials (a
  calbridge.SqliteStore, with its refresh lease), the pending authorizations
  (AuthorizationRequest.to_dict(), verifier included, keyed by their state, used once), and
  which account each browser session connected (keyed by a hash of the session id).

The calendar calls are awaited on a calbridge.aio.AsyncClient that lives as long as the app
(its lifespan); the SQLite work runs in threads (asyncio.to_thread), off the event loop.

Settings come from the environment:

    CALBRIDGE_STATE_KEY                       a secret of 32 bytes or more, the same on every worker
    CALBRIDGE_CLIENT_ID, CALBRIDGE_CLIENT_SECRET, CALBRIDGE_DATA_CENTER (default "us"), or
    CALBRIDGE_API_URL, CALBRIDGE_APP_URL, CALBRIDGE_CA_FILE for a local sandbox
    CALBRIDGE_DATABASE                        default: calbridge-fastapi.db
    CALBRIDGE_PUBLIC_URL                      the URL the browser sees (behind a load balancer:
                                              its address); default: this server's
    CALBRIDGE_STATE_MAX_AGE                   seconds a link stays valid; default 600
    CALBRIDGE_CALL_THREADS                    threads running calendar calls per worker;
                                              default calbridge.aio.DEFAULT_MAX_WORKERS

Against a local sandbox, set the calbridge variables as for flask_app.py, then run two workers
behind one public URL:

    CALBRIDGE_PUBLIC_URL=http://127.0.0.1:8080 python examples/python/fastapi_app.py --port 8081
    CALBRIDGE_PUBLIC_URL=http://127.0.0.1:8080 python examples/python/fastapi_app.py --port 8082

or under uvicorn itself: ``uvicorn --factory fastapi_app:app_from_environment --no-access-log``
(keep access logging off: request lines carry the authorization code).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import socket
from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import calbridge
import calbridge.aio
from browser_sessions import BrowserSessions
from pending_authorizations import PendingAuthorizations
import serving
import settings

SCOPE = "read_account list_calendars read_events"
COOKIE = "calbridge_session"
#: What a handler answers once its client has gone (nobody reads it; nginx's code for it).
CLIENT_CLOSED_REQUEST = 499

_T = TypeVar("_T")


async def _client_disconnected(request: Request) -> None:
    """Returns when the HTTP client disconnects (uvicorn does not cancel handlers itself)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_disconnected(request: Request, work: Coroutine[Any, Any, _T]) -> _T | None:
    """Runs ``work`` as a task of its own and returns its result; if the client disconnects
    first, cancels it (which cancels the calendar call it awaits, in the core) and returns
    None. Its errors propagate."""
    task = asyncio.create_task(work)
    watcher = asyncio.create_task(_client_disconnected(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:  # also when this handler is cancelled (shutdown)
        watcher.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
    if task.cancelled():
        return None
    return task.result()


def create_app(
    client: calbridge.Client,
    *,
    state_signer: calbridge.StateSigner,
    pending: PendingAuthorizations,
    sessions: BrowserSessions,
    public_url: str = "",
    call_threads: int = calbridge.aio.DEFAULT_MAX_WORKERS,
) -> FastAPI:
    """The app. ``public_url``: the scheme and host the browser sees (the redirect URI is
    ``public_url + "/callback"``, the same for every worker); empty: the request's own."""
    aclients: list[calbridge.aio.AsyncClient] = []  # the one of the running lifespan

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with client.aio(max_workers=call_threads) as aclient:
            aclients.append(aclient)
            try:
                yield
            finally:
                aclients.remove(aclient)  # closing cancels the calls still running

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    def aclient() -> calbridge.aio.AsyncClient:
        return aclients[0]

    def redirect_uri(request: Request) -> str:
        return (public_url or str(request.base_url).rstrip("/")) + "/callback"

    def page(title: str, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(
            f"<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1>{body}", status_code=status
        )

    def with_session(response: Response, sid: str) -> Response:
        response.set_cookie(COOKIE, sid, httponly=True, samesite="lax")
        return response

    async def calendar_page(account_id: str) -> HTMLResponse:
        user = aclient().session(account_id)
        account = await user.account()
        calendars = [
            f"<li>{html.escape(c.calendar_name)} ({html.escape(c.provider_name)})</li>" for c in await user.calendars()
        ]
        events = []
        async for event in user.events(from_=date.today(), to=date.today() + timedelta(days=7)):
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

    @app.get("/")
    async def home(request: Request) -> Response:
        sid = request.cookies.get(COOKIE)
        account_id = None if sid is None else await asyncio.to_thread(sessions.account, sid)
        if account_id is None:
            response = page("Calendar", '<p><a href="/connect">Connect your calendar</a></p>')
            return with_session(response, sid or sessions.new_id())
        shown = await unless_disconnected(request, calendar_page(account_id))
        return shown if shown is not None else Response(status_code=CLIENT_CLOSED_REQUEST)

    @app.get("/connect")
    async def connect(request: Request) -> Response:
        sid = request.cookies.get(COOKIE) or sessions.new_id()
        state = state_signer.issue(sid)
        auth = aclient().authorization_url(redirect_uri(request), SCOPE, state=state, pkce=True)
        # Server-side: the verifier never reaches the browser.
        await asyncio.to_thread(pending.put, auth, state_signer.max_age)
        return with_session(RedirectResponse(auth.url, status_code=302), sid)

    @app.get("/callback")
    async def callback(request: Request) -> Response:
        sid = request.cookies.get(COOKIE)
        state = request.query_params.get("state", "")
        if sid is None:
            return page("Could not connect", "<p>No connection was started in this browser.</p>", 400)
        # Before anything else: a state for another browser (or forged, or too old) must not
        # even use up the pending authorization. StateMismatchError goes to the handler below.
        state_signer.verify(state, sid)
        auth = await asyncio.to_thread(pending.take, state)
        if auth is None:
            return page("Could not connect", "<p>This link was used already, or it expired.</p>"
                        '<p><a href="/connect">Try again</a></p>', 400)  # fmt: skip
        credentials = await aclient().complete_authorization(request.url.query, auth)
        await asyncio.to_thread(sessions.connect, sid, credentials.account_key)
        return RedirectResponse("/", status_code=302)

    @app.get("/disconnect")
    async def disconnect(request: Request) -> Response:
        sid = request.cookies.get(COOKIE)
        account_id = None if sid is None else await asyncio.to_thread(sessions.disconnect, sid)
        if account_id is not None:
            credentials = await aclient().session(account_id).credentials()
            await aclient().revoke(credentials)
            await asyncio.to_thread(client.store.remove, account_id)
        return RedirectResponse("/", status_code=302)

    @app.exception_handler(calbridge.Error)
    async def calbridge_error(request: Request, e: calbridge.Error) -> Response:
        # Typed errors, with messages that never carry a secret.
        return page("Could not connect", f"<p>{html.escape(type(e).__name__)}: {html.escape(str(e))}</p>"
                    '<p><a href="/connect">Try again</a></p>', 400)  # fmt: skip

    return app


def app_from_environment(environ: Mapping[str, str] = os.environ) -> FastAPI:
    """The app, configured from the environment (see the module's docs)."""
    database = environ.get("CALBRIDGE_DATABASE", "calbridge-fastapi.db")
    client = settings.client(environ, database)
    return create_app(
        client,
        state_signer=settings.state_signer(environ),
        pending=PendingAuthorizations(database),
        sessions=BrowserSessions(database),
        public_url=environ.get("CALBRIDGE_PUBLIC_URL", ""),
        call_threads=int(environ.get("CALBRIDGE_CALL_THREADS", str(calbridge.aio.DEFAULT_MAX_WORKERS))),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    serving.add_arguments(parser)
    args = parser.parse_args()
    app = app_from_environment()
    listener = socket.create_server((args.host, args.port), backlog=1024)  # listens from here on
    own_url = f"http://{args.host}:{listener.getsockname()[1]}"
    serving.announce(args, own_url)
    public_url = os.environ.get("CALBRIDGE_PUBLIC_URL") or own_url
    print(f"Serving on {own_url}; users open {public_url}/ (Ctrl-C stops).", flush=True)
    # No access log: request lines carry the authorization code.
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
