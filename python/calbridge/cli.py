"""The ``calbridge`` command (also ``python -m calbridge``).

    calbridge demo                  the whole flow against a fresh local sandbox, headless
    calbridge connect               connect a real account: browser, loopback redirect, saved tokens
    calbridge accounts              the accounts connected so far
    calbridge calendars             list the calendars of a connected account
    calbridge events                list its events (all pages)
    calbridge refresh               refresh its tokens now
    calbridge revoke                revoke its grant and forget it
    calbridge sandbox               run the local sandbox in the foreground (its CA kept in
                                    <home>/sandbox-ca across restarts)
    calbridge listen                a loopback receiver that verifies and prints push notifications

Connections are kept in ``$CALBRIDGE_HOME`` (default ``~/.config/calbridge``): the client's
settings in ``config.json`` (never the client secret of a real application: it comes from
``CALBRIDGE_CLIENT_SECRET`` each time; a sandbox's is saved) and the credentials in the SQLite
database ``credentials.db``, all readable by you only (0600). ``--store NAME`` (or
``$CALBRIDGE_STORE``) keeps the credentials elsewhere: ``sqlite:PATH``, ``file:DIR``,
``postgresql://...`` (e.g. the store an application shares, whose refresh lease the CLI then
respects) or ``memory:``.

Earlier versions kept one file per account in ``credentials/``. When that directory exists and
``credentials.db`` does not, the first command that uses the default store moves every
account into the database and renames the directory ``credentials.imported/`` (never read
again: its refresh tokens may be rotated away from now on, so delete it once you are happy).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from . import __version__
from .client import Client
from .credentials import Credentials
from .errors import ConfigurationError, Error, InvalidGrantError
from .sandbox import Sandbox, SandboxError, find_executable
from .stores import FileStore, LeaseStatus, LeasingTokenStore, PostgresStore, SqliteStore, TokenStore, open_store

__all__ = ["main"]

DEFAULT_SCOPE = "read_account list_calendars read_events create_event delete_event read_free_busy"


class CliError(Exception):
    """A usage problem: printed without a traceback, exit status 2."""


# --- where connections live ---------------------------------------------------------------------


def _home(args: argparse.Namespace) -> Path:
    if args.home:
        return Path(args.home)
    if os.environ.get("CALBRIDGE_HOME"):
        return Path(os.environ["CALBRIDGE_HOME"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "calbridge"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _load_config(home: Path) -> dict[str, object]:
    try:
        value = json.loads((home / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return value if isinstance(value, dict) else {}


def _client_from_config(config: dict[str, object], store: TokenStore | None = None) -> Client:
    def text(key: str) -> str | None:
        value = config.get(key)
        return value if isinstance(value, str) and value else None

    client_id = text("client_id") or os.environ.get("CALBRIDGE_CLIENT_ID")
    secret = os.environ.get("CALBRIDGE_CLIENT_SECRET") or text("client_secret")
    if not client_id or not secret:
        raise CliError("no client configured: run `calbridge connect` first (or set CALBRIDGE_CLIENT_ID/_SECRET)")
    return Client(
        client_id,
        secret,
        data_center=text("data_center") or "us",
        api_url=text("api_url"),
        app_url=text("app_url"),
        ca_file=text("ca_file"),
        store=store,
    )


def _default_store_file(home: Path) -> Path:
    return home / "credentials.db"


def _store(args: argparse.Namespace, home: Path, *, create: bool) -> TokenStore | None:
    """The store of --store, $CALBRIDGE_STORE, or the default SQLite database in the home
    (after moving an old file store's accounts into it). None when the default database does
    not exist and `create` is false: a command that only reads has nothing to read then, and
    leaves no file behind."""
    name = getattr(args, "store", None) or os.environ.get("CALBRIDGE_STORE")
    try:
        if name:
            return open_store(name)
        _import_file_store(home)
        database = _default_store_file(home)
        if not create and not database.exists():
            return None
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        return SqliteStore(database)
    except ConfigurationError as e:
        raise CliError(f"--store: {e}") from None


def _import_file_store(home: Path) -> None:
    """Moves the accounts of the file store that earlier versions kept in <home>/credentials/
    into the default database, once: the directory is renamed credentials.imported/ so that
    its (soon stale) refresh tokens are never imported again."""
    old = home / "credentials"
    database = _default_store_file(home)
    if database.exists() or not old.is_dir():
        return
    files = FileStore(old)
    accounts = files.accounts()
    if not accounts:
        return
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    new = SqliteStore(database)
    moved: list[str] = []
    for account in accounts:
        try:
            found = files.load(account)
            if found is not None:
                new.insert(account, found[0])  # None: already there (another command got here first)
                moved.append(account)
        except Error as e:
            print(f"calbridge: could not import {account!r} from {old}: {e}", file=sys.stderr)
    config = _load_config(home)
    _remember_accounts(config, moved)
    _write_private(home / "config.json", json.dumps(config, indent=2) + "\n")
    imported = home / "credentials.imported"
    try:
        old.rename(imported)
    except FileNotFoundError:
        pass  # another command renamed it first
    print(
        f"calbridge: moved {len(moved)} account(s) from {old}/ into {database}; "
        f"{imported}/ is no longer used and can be deleted",
        file=sys.stderr,
    )


def _known_accounts(config: dict[str, object], store: TokenStore | None = None) -> list[str]:
    """The accounts this CLI connected (config.json), and those a file store's directory holds."""
    listed = config.get("accounts")
    accounts = [a for a in listed if isinstance(a, str)] if isinstance(listed, list) else []
    if isinstance(store, FileStore):
        accounts += [a for a in store.accounts() if a not in accounts]
    return accounts


def _remember_accounts(config: dict[str, object], accounts: list[str]) -> None:
    known = _known_accounts(config)
    config["accounts"] = known + [a for a in accounts if a not in known]


def _forget_account(config: dict[str, object], account: str) -> None:
    config["accounts"] = [a for a in _known_accounts(config) if a != account]


def _account(args: argparse.Namespace, config: dict[str, object], store: TokenStore) -> str:
    if args.account:
        return str(args.account)
    last = config.get("last_account")
    if isinstance(last, str) and last:
        return last
    accounts = [a for a in _known_accounts(config, store) if store.load(a) is not None]
    if len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise CliError("no account is connected yet: run `calbridge connect` first")
    raise CliError("which account? pass --account (see `calbridge accounts`)")


# --- output --------------------------------------------------------------------------------------


def _say(text: str = "") -> None:
    print(text, flush=True)


def _describe(credentials: Credentials) -> str:
    expiry = credentials.expires_at
    left = f"expires {expiry:%Y-%m-%d %H:%M:%S} UTC" if expiry else "expiry unknown"
    if expiry:
        left += f" (in {int((expiry - datetime.now(timezone.utc)).total_seconds())} s)"
    return (
        f"account {credentials.account_id or credentials.sub}, scope '{' '.join(credentials.scope)}', {left}\n"
        f"    access token {_mask(credentials.access_token)}, refresh token {_mask(credentials.refresh_token)}"
    )


def _mask(secret: str) -> str:
    from . import _core

    return _core.redact(secret) or "(none)"


# --- connect ---------------------------------------------------------------------------------------


def _cmd_connect(args: argparse.Namespace) -> int:
    from ._receiver import RedirectReceiver

    home = _home(args)
    config: dict[str, object] = {}
    if args.sandbox:
        sandbox = Sandbox.attach(args.sandbox)
        config.update(
            client_id=sandbox.client_id,
            client_secret=sandbox.client_secret,
            api_url=sandbox.api_url,
            app_url=sandbox.app_url,
            ca_file=sandbox.ca_file,
        )
    config_from_flags = {
        "client_id": args.client_id or os.environ.get("CALBRIDGE_CLIENT_ID"),
        "data_center": args.data_center,
        "api_url": args.api_url,
        "app_url": args.app_url,
        "ca_file": os.path.abspath(args.ca_file) if args.ca_file else None,
    }
    config.update({k: v for k, v in config_from_flags.items() if v})
    if not config.get("client_id"):
        raise CliError("connect needs --client-id (or CALBRIDGE_CLIENT_ID) and CALBRIDGE_CLIENT_SECRET, or --sandbox READY_FILE")
    if not config.get("client_secret") and not os.environ.get("CALBRIDGE_CLIENT_SECRET"):
        raise CliError("set CALBRIDGE_CLIENT_SECRET to the application's client secret")

    client = _client_from_config(config)
    redirect_uri = args.redirect_uri or os.environ.get("CALBRIDGE_REDIRECT_URI")
    try:
        receiver = RedirectReceiver.for_redirect_uri(redirect_uri) if redirect_uri else RedirectReceiver(port=args.port)
    except ValueError as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"cannot listen for the redirect: {e}") from None
    try:
        auth = client.authorization_url(receiver.redirect_uri, args.scope, pkce=args.pkce, provider_name=args.provider)
        receiver.start(auth.state)
        _say(f"Waiting for the redirect on {receiver.redirect_uri} (up to {args.timeout:g} s).")
        _say("Open this link to connect a calendar account:\n")
        _say(f"  {auth.url}\n")
        if not args.no_browser:
            webbrowser.open(auth.url)
        callback = receiver.wait(args.timeout)
    finally:
        receiver.close()
    if callback is None:
        raise CliError(f"no redirect came back within {args.timeout:g} s")

    store = _store(args, home, create=True)
    assert store is not None
    credentials = client.complete_authorization(callback, auth, account=args.account)
    store.replace(credentials.account_key, credentials)
    config["last_account"] = credentials.account_key
    config["accounts"] = _load_config(home).get("accounts", [])
    _remember_accounts(config, [credentials.account_key])
    _write_private(home / "config.json", json.dumps(config, indent=2) + "\n")
    _say("Connected: " + _describe(credentials))
    if isinstance(store, FileStore):
        _say(f"Saved to {store.path_for(credentials.account_key)}")
    else:
        _say(f"Saved to {store!r}")
    return 0


# --- commands on saved connections ---------------------------------------------------------------


def _cmd_accounts(args: argparse.Namespace) -> int:
    home = _home(args)
    store = _store(args, home, create=False)
    if store is None:
        return 0
    for account in _known_accounts(_load_config(home), store):
        found = store.load(account)
        if found is not None:
            marked = len(found) == 3 and found[2]
            _say(f"{account}: {_describe(found[0])}" + (" (reauthorization required)" if marked else ""))
    return 0


def _cmd_store_init(args: argparse.Namespace) -> int:
    """Creates the store's schema ahead of time (PostgreSQL: the table and its notification
    trigger; SQLite and file stores: the database file or directory), for deployments whose
    application role may not create tables."""
    store = _store(args, _home(args), create=True)
    if isinstance(store, PostgresStore):
        store.create_schema()
    _say(f"ready: {store!r}")
    return 0


def _cmd_calendars(args: argparse.Namespace) -> int:
    client, _, account = _saved(args)
    for calendar in client.session(account).calendars():
        flags = " (primary)" if calendar.primary else ""
        flags += " (read-only)" if calendar.readonly else ""
        _say(f"{calendar.calendar_id}  {calendar.calendar_name}{flags}  [{calendar.provider_name}: {calendar.profile_name}]")
    return 0


def _cmd_events(args: argparse.Namespace) -> int:
    client, _, account = _saved(args)
    start = args.from_ or date.today()
    end = args.to or start + timedelta(days=7)
    events = client.session(account).events(from_=start, to=end, tzid=args.tzid, calendar_ids=args.calendar or None)
    shown = 0
    for event in events:
        if args.limit and shown >= args.limit:
            break
        _say(f"{event.start_raw:>25}  {event.end_raw:>25}  {event.summary}")
        shown += 1
    _say(f"({shown} events, {events.total_pages or events.current_page} pages)")
    return 0


def _cmd_refresh(args: argparse.Namespace) -> int:
    client, store, account = _saved(args)
    found = store.load(account)
    assert found is not None
    credentials, version = found[0], found[1]
    if isinstance(store, LeasingTokenStore):
        return _refresh_under_lease(client, store, account, version)
    fresh = client.refresh(credentials)
    if store.save(account, fresh, version) is None:
        raise CliError("the saved credentials changed while refreshing; run refresh again")
    _say("Refreshed: " + _describe(fresh))
    return 0


def _refresh_under_lease(client: Client, store: LeasingTokenStore, account: str, version: int) -> int:
    """A refresh as the store's other users do it: only with the account's lease, so that an
    application sharing the store never refreshes the same account at the same moment."""
    owner = f"calbridge-cli:{socket.gethostname()}:{os.getpid()}"
    claim = store.claim(account, version, owner, 60.0)
    if claim.status is LeaseStatus.HELD:
        raise CliError(f"{account} is being refreshed by another process right now; try again in {claim.remaining:.0f} s")
    if claim.status is LeaseStatus.REAUTHORIZATION_REQUIRED:
        raise CliError(f"{account} needs a new authorization: run `calbridge connect`")
    if claim.status is LeaseStatus.MISSING or claim.credentials is None:
        raise CliError(f"no saved credentials for {account!r} (see `calbridge accounts`)")
    if claim.status is LeaseStatus.VERSION_MOVED:
        _say("Refreshed meanwhile by another process: " + _describe(claim.credentials))
        return 0
    try:
        fresh = client.refresh(claim.credentials)
    except InvalidGrantError:
        store.mark_reauthorization_required(account, claim.version)
        raise
    except BaseException:
        store.release(account, claim.epoch)
        raise
    if store.save(account, fresh, claim.version) is None:  # the save also ends the lease
        raise CliError("the saved credentials changed while refreshing; run refresh again")
    _say("Refreshed: " + _describe(fresh))
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    client, store, account = _saved(args)
    found = store.load(account)
    assert found is not None
    client.revoke(found[0])
    store.remove(account)
    home = _home(args)
    config = _load_config(home)
    if account in _known_accounts(config):
        _forget_account(config, account)
        _write_private(home / "config.json", json.dumps(config, indent=2) + "\n")
    _say(f"Revoked the grant of {account} and removed its saved credentials.")
    return 0


def _saved(args: argparse.Namespace) -> tuple[Client, TokenStore, str]:
    """The client (with the store), the store and the account of a saved connection."""
    home = _home(args)
    config = _load_config(home)
    store = _store(args, home, create=False)
    if store is None:
        raise CliError("no account is connected yet: run `calbridge connect` first")
    account = _account(args, config, store)
    if store.load(account) is None:
        raise CliError(f"no saved credentials for {account!r} (see `calbridge accounts`)")
    return _client_from_config(config, store), store, account


# --- sandbox and demo -------------------------------------------------------------------------------


def _cmd_sandbox(args: argparse.Namespace) -> int:
    exe = find_executable()
    extra = [a for a in args.sandbox_args if a != "--"]
    if "--ca-dir" not in extra and "--plain-http" not in extra:
        # One CA for every start: a connection saved against this sandbox (its CA file in
        # config.json) still trusts it after a restart on the same --port.
        ca_dir = _home(args) / "sandbox-ca"
        ca_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        extra = ["--ca-dir", str(ca_dir), *extra]
    os.execv(exe, [exe, *extra])


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(verbose=args.verbose)


# --- the parser --------------------------------------------------------------------------------------


MAX_PUSH_BODY = 16 * 1024 * 1024


def _cmd_listen(args: argparse.Namespace) -> int:
    import http.server

    from .errors import InvalidSignatureError, ProtocolError

    secret = os.environ.get(args.secret_env)
    config = _load_config(_home(args))
    if not secret:
        saved = config.get("client_secret")
        secret = saved if isinstance(saved, str) and saved else None
    if not secret:
        raise CliError(f"no client secret: set ${args.secret_env} (or connect a sandbox first)")
    client_id = config.get("client_id")
    client = Client(client_id if isinstance(client_id, str) and client_id else "calbridge-listen", secret)
    remaining = [args.count]

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *values: object) -> None:  # quiet: we print our own lines
            pass

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.wfile.flush()

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._answer(411)
                return
            if length < 0 or length > MAX_PUSH_BODY:
                self._answer(413)
                self.close_connection = True
                return
            body = self.rfile.read(length)
            try:
                n = client.verify_push(self.headers.get("Cronofy-HMAC-SHA256"), body)
            except InvalidSignatureError as e:
                self._answer(401)
                print(f"rejected: {e}", file=sys.stderr, flush=True)
                return
            except ProtocolError as e:
                self._answer(400)
                print(f"rejected: {e}", file=sys.stderr, flush=True)
                return
            self._answer(202)  # answer quickly, then report
            since = n.changes_since.isoformat().replace("+00:00", "Z") if n.changes_since else "-"
            channel = n.channel.channel_id if n.channel else "-"
            print(f"{n.type_name} channel={channel} changes_since={since}", flush=True)
            if remaining[0] > 0:
                remaining[0] -= 1
                if remaining[0] == 0:
                    threading.Thread(target=server.shutdown, daemon=True).start()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"Listening on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="NAME",
        help="where credentials are kept: sqlite:PATH, file:DIR, postgresql://... or memory: "
        "(default: $CALBRIDGE_STORE, else sqlite:<home>/credentials.db)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calbridge",
        description="Connect calendar accounts through a calendar intermediary (Cronofy and compatibles).",
    )
    parser.add_argument("--version", action="version", version=f"calbridge {__version__}")
    parser.add_argument("--home", help="where connections are kept (default: $CALBRIDGE_HOME or ~/.config/calbridge)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log calbridge's steps (-vv: every request)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="the whole flow against a freshly started sandbox, headless",
        description="Start the bundled sandbox, then run the whole flow without a browser, printing each step: "
        "authorization link (PKCE), consent, code exchange, saved credentials, calendars, events page by page, "
        "a proactive refresh, a 401 recovered, revocation. Stops the sandbox at the end. Touches nothing in --home.",
    )
    demo.set_defaults(run=_cmd_demo)

    connect = sub.add_parser(
        "connect",
        help="connect an account: browser, loopback redirect, saved credentials",
        description="Connect a calendar account: prints (and opens) the authorization link, waits for the "
        "redirect on a loopback receiver, exchanges the code and saves the credentials in the store and the "
        "client settings in <home>/config.json. For a real application give --client-id and set "
        "CALBRIDGE_CLIENT_SECRET; for a local sandbox give --sandbox READY_FILE (from `calbridge sandbox -- "
        "--ready-file READY_FILE`).",
    )
    connect.add_argument("--client-id", help="the application's client id (or CALBRIDGE_CLIENT_ID); the secret comes from CALBRIDGE_CLIENT_SECRET")
    connect.add_argument("--data-center", default=None, help="us (default), uk, de, au, ca or sg")
    connect.add_argument("--api-url", help="API host instead of the data center's")
    connect.add_argument("--app-url", help="app host instead of the data center's")
    connect.add_argument("--ca-file", help="trust this CA (PEM) instead of the system's")
    connect.add_argument("--sandbox", metavar="READY_FILE", help="connect to a running sandbox (its --ready-file)")
    connect.add_argument("--scope", default=DEFAULT_SCOPE, help=f"space-separated scopes (default: {DEFAULT_SCOPE})")
    connect.add_argument("--provider", help="pre-select a provider (google, office365, apple, exchange...)")
    connect.add_argument("--port", type=int, default=0, help="port of the loopback redirect receiver (default: any free one)")
    connect.add_argument("--redirect-uri", help="a registered loopback redirect URI to listen on (or CALBRIDGE_REDIRECT_URI)")
    connect.add_argument(
        "--pkce", action=argparse.BooleanOptionalAction, default=True,
        help="send a PKCE S256 code challenge (the default; --no-pkce: without)",
    )
    connect.add_argument(
        "--account",
        help="save the connection under this key when the server's token reply names no account "
        "(a plain OAuth2 server: neither account_id nor sub); a reply that names one wins",
    )
    connect.add_argument("--no-browser", action="store_true", help="only print the link")
    connect.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the redirect (default 300)")
    _store_argument(connect)
    connect.set_defaults(run=_cmd_connect)

    accounts = sub.add_parser(
        "accounts",
        help="the accounts connected so far",
        description="List the accounts connected so far: each account's id, scope, token expiry and masked "
        "tokens. Reads the store only; no request is sent.",
    )
    _store_argument(accounts)
    accounts.set_defaults(run=_cmd_accounts)

    def saved(name: str, help: str, run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        p.add_argument("--account", help="account id (default: the last connected)")
        _store_argument(p)
        p.set_defaults(run=run)
        return p

    saved("calendars", "list the account's calendars", _cmd_calendars)
    events = saved("events", "list the account's events, over all pages", _cmd_events)
    events.add_argument("--from", dest="from_", type=_date, help="first day (default: today)")
    events.add_argument("--to", type=_date, help="end day, exclusive: events before it (default: a week after --from)")
    events.add_argument("--tzid", default="Etc/UTC", help="time zone of the dates (default Etc/UTC)")
    events.add_argument("--calendar", action="append", help="only this calendar id (repeatable)")
    events.add_argument("--limit", type=int, default=0, help="show at most this many")
    saved("refresh", "refresh the account's tokens now", _cmd_refresh)
    saved("revoke", "revoke the account's grant and forget its credentials", _cmd_revoke)

    store = sub.add_parser("store", help="the token store itself")
    store_commands = store.add_subparsers(dest="store_command", required=True, metavar="STORE_COMMAND")
    init = store_commands.add_parser("init", help="create the store's table or file now (else made on first use)")
    _store_argument(init)
    init.set_defaults(run=_cmd_store_init)

    listen = sub.add_parser("listen", help="a loopback receiver: verifies each push and prints it")
    listen.add_argument("--port", type=int, default=0, help="the port on 127.0.0.1 (default: any free one)")
    listen.add_argument(
        "--secret-env",
        default="CALBRIDGE_CLIENT_SECRET",
        metavar="VAR",
        help="the environment variable holding the client secret (default CALBRIDGE_CLIENT_SECRET)",
    )
    listen.add_argument("--count", type=int, default=0, help="exit after this many verified pushes (0: never)")
    listen.set_defaults(run=_cmd_listen)

    sandbox = sub.add_parser(
        "sandbox",
        help="run the local sandbox in the foreground (arguments after -- go to it)",
        description="Run calbridge-sandbox in the foreground; arguments after -- go to it. Its CA is kept in "
        "<home>/sandbox-ca (key mode 0600) and reused at every start, so a connection saved against it keeps "
        "trusting it after a restart on the same --port (unless -- --ca-dir DIR or --plain-http is given).",
    )
    sandbox.add_argument("sandbox_args", nargs=argparse.REMAINDER, help="e.g. -- --port 8443 --ready-file r.json")
    sandbox.set_defaults(run=_cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(format="  %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        logging.getLogger("calbridge").setLevel(logging.DEBUG if args.verbose == 1 else 5)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except CliError as e:
        print(f"calbridge: {e}", file=sys.stderr)
        return 2
    except (Error, SandboxError) as e:
        print(f"calbridge: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("calbridge: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
