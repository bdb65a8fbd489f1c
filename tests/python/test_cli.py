"""The calbridge command: demo, connect through the loopback receiver, and the saved-account
commands."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import calbridge
from calbridge.sandbox import Sandbox

from helpers import printed_authorization_url


def _cli(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calbridge", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if not k.startswith("CALBRIDGE_")},
    )


def test_demo_runs_the_whole_flow_headless(tmp_path: Path) -> None:
    result = _cli("demo", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for step in (
        "Started calbridge-sandbox",
        "Built the authorization link",
        "The user approves",
        "exchanged the one-time code",
        "mode 0600",
        "calendar cal_sandbox_primary",
        "pages",
        "Proactive refresh",
        "refresh requests sent: 1",
        "A 401",
        "Revoked the grant",
        "Stopped the sandbox",
    ):
        assert step in out, f"{step!r} missing from:\n{out}"


def test_connect_waits_for_the_redirect_then_the_saved_account_works(
    calbridge_sandbox: Sandbox, tmp_path: Path
) -> None:
    ready = tmp_path / "ready.json"
    ready.write_text(
        '{"api_url": "%s", "app_url": "%s", "ca_file": "%s", "admin_token": "%s", "client_id": "%s", "client_secret": "%s"}'
        % (
            calbridge_sandbox.api_url,
            calbridge_sandbox.app_url,
            calbridge_sandbox.ca_file,
            calbridge_sandbox.admin_token,
            calbridge_sandbox.client_id,
            calbridge_sandbox.client_secret,
        )
    )
    home = tmp_path / "home"
    child = subprocess.Popen(
        [sys.executable, "-m", "calbridge", "--home", str(home), "connect", "--sandbox", str(ready), "--no-browser", "--timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(90, child.kill)
    watchdog.start()
    try:
        url = printed_authorization_url(child, calbridge_sandbox.app_url + "/oauth/authorize?")
        # A request with another state is ignored; the right one completes the connect.
        callback = calbridge_sandbox.consent(url)
        forged = callback.split("?")[0] + "?code=x&state=wrong"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=10)
        refused.value.close()
        with urllib.request.urlopen(callback, timeout=30) as response:
            assert b"Connected" in response.read()
        out, err = child.communicate(timeout=60)
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, out + err
    assert "Connected: account acc_sandbox_ada" in out
    assert (home / "config.json").stat().st_mode & 0o777 == 0o600
    # The default store: SQLite in the home.
    assert f"Saved to SqliteStore({str(home / 'credentials.db')!r})" in out
    assert (home / "credentials.db").stat().st_mode & 0o777 == 0o600
    assert not (home / "credentials").exists()

    accounts = _cli("accounts", home=home)
    assert accounts.returncode == 0 and accounts.stdout.startswith("acc_sandbox_ada: ")
    calendars = _cli("calendars", home=home)
    assert calendars.returncode == 0, calendars.stderr
    assert "cal_sandbox_primary  Ada Lovelace (primary)" in calendars.stdout
    events = _cli("events", "--limit", "3", home=home)
    assert events.returncode == 0, events.stderr
    assert len(events.stdout.splitlines()) == 4
    refreshed = _cli("refresh", home=home)
    assert refreshed.returncode == 0 and refreshed.stdout.startswith("Refreshed: "), refreshed.stderr
    revoked = _cli("revoke", home=home)
    assert revoked.returncode == 0, revoked.stderr
    assert [g["revoked"] for g in calbridge_sandbox.grants()] == [True]
    gone = _cli("calendars", home=home)
    assert gone.returncode == 2 and "no saved credentials" in gone.stderr


def test_commands_without_a_connection_explain_what_to_do(tmp_path: Path) -> None:
    result = _cli("calendars", home=tmp_path)
    assert result.returncode == 2
    assert "calbridge connect" in result.stderr
    assert not (tmp_path / "credentials.db").exists()  # a command that only reads creates nothing


def _saved_config(sandbox: Sandbox, home: Path, **more: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    config = {
        "client_id": sandbox.client_id, "client_secret": sandbox.client_secret, "api_url": sandbox.api_url,
        "app_url": sandbox.app_url, "ca_file": sandbox.ca_file or "", **more,
    }  # fmt: skip
    (home / "config.json").write_text(json.dumps(config))


def test_credentials_of_the_old_file_store_move_into_the_default_database(
    calbridge_sandbox: Sandbox, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    files = calbridge.FileStore(home / "credentials")
    original = calbridge_sandbox.authorize(calbridge_sandbox.client(store=files))
    _saved_config(calbridge_sandbox, home)  # no last_account: the account is found in the store

    accounts = _cli("accounts", home=home)
    assert accounts.returncode == 0, accounts.stderr
    assert accounts.stdout.startswith("acc_sandbox_ada: ")
    assert f"moved 1 account(s) from {home / 'credentials'}/ into {home / 'credentials.db'}" in accounts.stderr
    assert (home / "credentials.imported").is_dir() and not (home / "credentials").exists()
    stored = calbridge.SqliteStore(home / "credentials.db").load(original.account_key)
    assert stored is not None and stored[0] == original

    calendars = _cli("calendars", home=home)
    assert calendars.returncode == 0, calendars.stderr
    assert "cal_sandbox_primary" in calendars.stdout and "moved" not in calendars.stderr


def test_store_names_the_store_and_refresh_takes_its_lease(calbridge_sandbox: Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    database = tmp_path / "shared" / "app.db"
    store = calbridge.SqliteStore(database)
    original = calbridge_sandbox.authorize(calbridge_sandbox.client(store=store))
    _saved_config(calbridge_sandbox, home, last_account=original.account_key)

    calendars = _cli("calendars", "--store", f"sqlite:{database}", home=home)
    assert calendars.returncode == 0, calendars.stderr
    assert "cal_sandbox_primary" in calendars.stdout
    assert not (home / "credentials.db").exists()  # the default store was not used

    # Another process holds the account's lease: the CLI does not refresh behind its back.
    claim = store.claim(original.account_key, 1, "the application", 30.0)
    assert claim.status is calbridge.LeaseStatus.GRANTED
    busy = _cli("refresh", "--store", f"sqlite:{database}", home=home)
    assert busy.returncode == 2 and "being refreshed by another process" in busy.stderr
    store.release(original.account_key, claim.epoch)
    refreshed = _cli("refresh", "--store", f"sqlite:{database}", home=home)
    assert refreshed.returncode == 0 and refreshed.stdout.startswith("Refreshed: "), refreshed.stderr
    found = store.load(original.account_key)
    assert found is not None and found[1] == 2 and found[0].refresh_token != original.refresh_token

    bogus = _cli("calendars", "--store", "bogus://user:hunter2@host", home=home)
    assert bogus.returncode == 2
    assert "--store" in bogus.stderr and '"bogus:"' in bogus.stderr and "hunter2" not in bogus.stderr


def test_a_registered_loopback_redirect_uri_is_used_verbatim() -> None:
    import socket

    from calbridge._receiver import RedirectReceiver

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    receiver = RedirectReceiver.for_redirect_uri(f"http://localhost:{port}/oauth/done")
    try:
        assert receiver.redirect_uri == f"http://localhost:{port}/oauth/done"
        receiver.start("state-123")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/oauth/done?code=c&state=other", timeout=10)
        assert caught.value.code == 400
        caught.value.close()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/oauth/done?code=c&state=state-123", timeout=10):
            pass
        assert receiver.wait(5) == f"http://localhost:{port}/oauth/done?code=c&state=state-123"
    finally:
        receiver.close()
    with pytest.raises(ValueError):
        RedirectReceiver.for_redirect_uri("https://app.example.com/callback")


def test_store_init_creates_the_table_ahead_of_time(postgres_url: str, tmp_path: Path) -> None:
    from helpers import POSTGRES_PASSWORD

    store = calbridge.PostgresStore(postgres_url, table="calbridge_credentials", create_schema=False)
    with pytest.raises(calbridge.StoreError):
        store.load("acc_1")  # no table yet, and this store may not create it
    result = _cli("store", "init", "--store", postgres_url, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ready: PostgresStore(") and POSTGRES_PASSWORD not in result.stdout
    assert store.load("acc_1") is None  # the table is there now

    database = tmp_path / "app" / "tokens.db"
    result = _cli("store", "init", "--store", f"sqlite:{database}", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert database.exists() and (database.stat().st_mode & 0o777) == 0o600


def test_listen_prints_verified_pushes_and_refuses_bad_signatures(tmp_path: Path) -> None:
    import base64
    import hashlib
    import hmac

    secret = "listen-test-client-secret"
    body = b'{"notification":{"type":"change","changes_since":"2026-12-01T09:00:00Z"},"channel":{"channel_id":"chn_9"}}'
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALBRIDGE_")}
    env["PUSH_SECRET"] = secret
    child = subprocess.Popen(
        [sys.executable, "-m", "calbridge", "--home", str(tmp_path), "listen", "--secret-env", "PUSH_SECRET", "--count", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    watchdog = threading.Timer(60, child.kill)
    watchdog.start()
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith("Listening on http://127.0.0.1:"), first
        url = first.split()[2]

        def post(header: str | None) -> int:
            request = urllib.request.Request(url, data=body, method="POST")
            if header is not None:
                request.add_header("Cronofy-HMAC-SHA256", header)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as e:
                e.close()
                return int(e.code)

        assert post(base64.b64encode(b"x" * 32).decode()) == 401
        assert post(None) == 401
        assert post(signature) == 202
        out, err = child.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    assert out.splitlines() == ["change channel=chn_9 changes_since=2026-12-01T09:00:00Z"]
    assert err.count("rejected: push signature") == 2
    assert secret not in out + err


def test_listen_needs_a_secret(tmp_path: Path) -> None:
    result = _cli("listen", home=tmp_path, timeout=30)
    assert result.returncode == 2
    assert "no client secret" in result.stderr


# --- connect --sandbox with a bad ready file, help texts ---------------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no sandbox ready file at"),
        ("not json at all", "is not a sandbox ready file"),
        ("[1, 2]", "is not a sandbox ready file (not a JSON object)"),
        ('{"app_url": "https://127.0.0.1:1"}', "is not a sandbox ready file (no 'api_url' field)"),
    ],
)
def test_connect_with_a_missing_or_bad_ready_file_says_so_in_one_line(tmp_path: Path, content: str | None, says: str) -> None:
    ready = tmp_path / "ready.json"
    if content is not None:
        ready.write_text(content)
    result = _cli("connect", "--sandbox", str(ready), "--no-browser", home=tmp_path / "home")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("calbridge: SandboxError: "), result.stderr
    assert says in lines[0] and str(ready) in lines[0]
    assert not (tmp_path / "home" / "config.json").exists()


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("demo", "without a browser"),
        ("connect", "loopback receiver"),
        ("accounts", "Reads the store only"),
        ("sandbox", "reused at every start"),
    ],
)
def test_commands_explain_themselves_in_their_help(command: str, says: str, tmp_path: Path) -> None:
    result = _cli(command, "--help", home=tmp_path)
    assert result.returncode == 0
    assert says in " ".join(result.stdout.split())


def test_events_help_says_to_is_exclusive(tmp_path: Path) -> None:
    result = _cli("events", "--help", home=tmp_path)
    assert "end day, exclusive" in " ".join(result.stdout.split())


# --- a saved sandbox connection across a sandbox restart ---------------------------------------


class _CliSandbox:
    """`calbridge sandbox` in the foreground, ready once it prints its URL line."""

    def __init__(self, home: Path, port: int, ready: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "calbridge", "--home", str(home), "sandbox", "--",
             "--port", str(port), "--ready-file", str(ready), "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # written after the ready file
        assert "listening on" in line, line + self.process.stdout.read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=30)
        assert self.process.returncode == 0


def _connect_through_cli(sandbox: Sandbox, ready: Path, home: Path) -> str:
    """`calbridge connect --sandbox READY`, approving the link headlessly. Its stdout."""
    child = subprocess.Popen(
        [sys.executable, "-m", "calbridge", "--home", str(home), "connect", "--sandbox", str(ready), "--no-browser", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = printed_authorization_url(child, sandbox.app_url + "/oauth/authorize?")
        with urllib.request.urlopen(sandbox.consent(url), timeout=30) as response:
            assert b"Connected" in response.read()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, out + err
    return out


def test_a_saved_sandbox_connection_still_trusts_the_sandbox_after_a_restart(tmp_path: Path) -> None:
    home, ready = tmp_path / "home", tmp_path / "ready.json"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    first = _CliSandbox(home, port, ready)
    try:
        assert "Connected: account acc_sandbox_ada" in _connect_through_cli(Sandbox.attach(ready), ready, home)
        assert _cli("calendars", home=home).returncode == 0
        saved = json.loads((home / "config.json").read_text())
        assert saved["ca_file"] == str(home / "sandbox-ca" / "ca.pem")
        ca = Path(saved["ca_file"]).read_bytes()
        assert (home / "sandbox-ca" / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    finally:
        first.stop()

    second = _CliSandbox(home, port, ready)
    try:
        assert Path(saved["ca_file"]).read_bytes() == ca
        # The saved settings reach the restarted sandbox over verified TLS; it keeps grants in
        # memory only, so the saved grant is unknown there and the account must reauthorize.
        gone = _cli("calendars", home=home)
        assert gone.returncode == 1, gone.stderr
        assert "InvalidGrantError" in gone.stderr and "reauthorization required" in gone.stderr
        assert "TlsError" not in gone.stderr
        _connect_through_cli(Sandbox.attach(ready), ready, home)
        assert json.loads((home / "config.json").read_text())["ca_file"] == saved["ca_file"]
        calendars = _cli("calendars", home=home)
        assert calendars.returncode == 0, calendars.stderr
        assert "cal_sandbox_primary" in calendars.stdout
    finally:
        second.stop()
