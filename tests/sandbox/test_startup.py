"""Starting and stopping: the ready file and descriptor, the generated CA, the printed seed, the config file,
plain HTTP, signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import stat
import subprocess
from pathlib import Path

import pytest

from sandbox_client import BINARY, Sandbox, read_ready_pipe, start_sandbox


def test_ready_file_names_the_urls_the_ca_the_admin_token_and_the_default_application(sandbox: Sandbox) -> None:
    r = sandbox.ready
    assert set(r) == {"api_url", "app_url", "ca_file", "admin_token", "pid", "port", "client_id", "client_secret"}
    assert r["api_url"] == r["app_url"] == f"https://127.0.0.1:{r['port']}"
    assert r["pid"] == sandbox.process.pid
    assert r["client_id"] == "sandbox-client-id"
    assert r["client_secret"] == "sandbox-client-secret-change-me"
    assert len(r["admin_token"]) >= 32
    pem = Path(r["ca_file"]).read_text()
    assert pem.startswith("-----BEGIN CERTIFICATE-----") and pem.count("BEGIN CERTIFICATE") == 1


def test_server_certificate_is_signed_by_the_ca_for_localhost_and_both_loopback_addresses(sandbox: Sandbox) -> None:
    with sandbox.tls_socket() as s:
        cert = s.getpeercert()
        assert s.version() in ("TLSv1.2", "TLSv1.3")
    assert ("DNS", "localhost") in cert["subjectAltName"]
    assert ("IP Address", "127.0.0.1") in cert["subjectAltName"]
    assert any(kind == "IP Address" and value.rstrip() in ("::1", "0:0:0:0:0:0:0:1") for kind, value in cert["subjectAltName"])
    # Verification by name works too (the default context checks the host name).
    conn = sandbox.connection(host="localhost")
    try:
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_an_untrusted_client_is_refused_by_certificate_verification(sandbox: Sandbox) -> None:
    ctx = ssl.create_default_context()  # system trust only: the sandbox CA is not in it
    with socket.create_connection((sandbox.host, sandbox.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(raw, server_hostname="localhost")


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback here")
def test_listening_on_ipv6_loopback_serves_https_verified_for_the_address(spawn) -> None:
    sb = spawn("--host", "::1")
    assert sb.url == f"https://[::1]:{sb.port}"
    ctx = sb.ssl_context()
    with socket.create_connection(("::1", sb.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="::1") as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n")
            assert s.recv(64).startswith(b"HTTP/1.1 200")


def test_start_prints_the_default_application_and_the_seeded_user(sandbox: Sandbox) -> None:
    out = sandbox.output()
    assert f"listening on {sandbox.url}" in out
    assert "client_id:     sandbox-client-id" in out
    assert "client_secret: sandbox-client-secret-change-me" in out
    assert "Ada Lovelace <ada@example.com>  account_id acc_sandbox_ada" in out
    assert 'calendar cal_sandbox_primary "Ada Lovelace" primary: 250 events' in out
    assert sandbox.admin_token in out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_sandbox_cleanly_and_removes_its_ready_file(spawn, sig: int) -> None:
    sb = spawn()
    ready = Path(sb.log.parent) / f"{sb.log.stem}-ready.json"
    assert ready.exists()
    # An open keep-alive connection must not hold the exit up.
    conn = sb.connection()
    conn.request("GET", "/")
    conn.getresponse().read()
    assert sb.stop(sig) == 0
    conn.close()
    assert not ready.exists()
    assert "stopping" in sb.output()


def test_plain_http_mode_serves_without_tls_and_has_no_ca_file(spawn) -> None:
    sb = spawn("--plain-http")
    assert sb.ready["ca_file"] is None
    assert sb.url == f"http://127.0.0.1:{sb.port}"
    tokens = sb.connect()
    r = sb.get("/v1/calendars", token=tokens["access_token"])
    assert r.status == 200
    assert len(r.json()["calendars"]) == 3


def test_port_option_listens_on_the_given_port(spawn) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sb = spawn("--port", str(port))
    assert sb.port == port
    assert sb.get("/").status == 200


def test_config_file_declares_applications_users_and_settings(spawn, tmp_path: Path) -> None:
    config = {
        "admin_token": "a-fixed-admin-token-for-tests",
        "settings": {"access_token_lifetime": 900, "page_size": 2, "rate_limit": "published"},
        "applications": [
            {"client_id": "cfg-app", "client_secret": "cfg-secret", "name": "Config App", "verified": True,
             "redirect_uris": ["https://*.example.com/cb"], "settings": {"refresh_rotation": False}},
            {"client_id": "second-app", "client_secret": "second-secret", "name": "Second"},
        ],
        "users": [
            {"account_id": "acc_cfg", "email": "grace@example.com", "name": "Grace Hopper",
             "profiles": [{"profile_id": "pro_cfg", "provider_name": "apple"}],
             "calendars": [{"calendar_id": "cal_cfg", "calendar_name": "Main", "primary": True}],
             "events": [{"summary": "Launch", "start": "2030-01-02T10:00:00Z", "end": "2030-01-02T11:00:00Z"}],
             "generate_events": 5},
        ],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    sb = spawn("--config", str(path))
    assert sb.admin_token == "a-fixed-admin-token-for-tests"
    assert (sb.client_id, sb.client_secret) == ("cfg-app", "cfg-secret")
    settings = sb.admin_ok("GET", "/admin/settings")
    assert settings["access_token_lifetime"] == 900
    assert settings["page_size"] == 2
    assert settings["rate_limit"] == {"per_second": 50, "per_minute": 500}
    apps = sb.admin_ok("GET", "/admin/applications")["applications"]
    assert [a["client_id"] for a in apps] == ["cfg-app", "second-app"]
    assert apps[0]["verified"] is True and apps[0]["settings"] == {"refresh_rotation": False}
    user = sb.admin_ok("GET", "/admin/users/acc_cfg")
    assert user["email"] == "grace@example.com" and user["event_count"] == 6
    tokens = sb.connect(redirect_uri="https://app.example.com/cb", user="grace@example.com")
    assert tokens["expires_in"] == 900
    assert tokens["linking_profile"]["provider_name"] == "apple"
    # Reset goes back to the config, not to the built-in seed.
    sb.admin_ok("DELETE", "/admin/users/acc_cfg")
    sb.admin_ok("POST", "/admin/reset")
    assert sb.admin_ok("GET", "/admin/users")["count"] == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("not json", "not a JSON object"),
        ('{"applications": [{"client_id": "a b"}]}', "applications[0].client_id"),
        ('{"users": [{"name": "no email"}]}', "users[0].email: is required"),
        ('{"settings": {"page_size": 0}}', "settings.page_size"),
        ('{"aplications": []}', "config.aplications: is not a known field"),
    ],
)
def test_a_bad_config_file_stops_the_start_with_the_field_named(tmp_path: Path, config: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(config)
    done = subprocess.run([BINARY, "--config", str(path), "--port", "0"], capture_output=True, timeout=60, text=True)
    assert done.returncode == 1
    assert message in done.stderr


@pytest.mark.parametrize("args", [["--port", "70000"], ["--bogus"], ["--timeout", "0"], ["--port"]])
def test_a_bad_command_line_exits_with_status_2(args: list[str]) -> None:
    done = subprocess.run([BINARY, *args], capture_output=True, timeout=60, text=True)
    assert done.returncode == 2
    assert "calbridge-sandbox:" in done.stderr


def test_help_lists_every_option() -> None:
    done = subprocess.run([BINARY, "--help"], capture_output=True, timeout=60, text=True)
    assert done.returncode == 0
    for option in ("--port", "--host", "--config", "--ready-file", "--ready-fd", "--plain-http", "--ca-file", "--ca-dir",
                   "--timeout"):
        assert option in done.stdout


def _server_certificate(sb: Sandbox, cafile: str) -> bytes:
    """The server certificate (DER), verified against `cafile` for the host name localhost."""
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection((sb.host, sb.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def test_ca_dir_keeps_the_ca_across_restarts(spawn, tmp_path: Path) -> None:
    ca_dir = tmp_path / "ca"
    first = spawn("--ca-dir", str(ca_dir))
    key = ca_dir / "ca-key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert ca_dir.stat().st_mode & 0o777 == 0o700
    trusted = tmp_path / "trusted-ca.pem"  # what a client saved from the first start
    trusted.write_bytes(Path(first.ready["ca_file"]).read_bytes())
    assert (ca_dir / "ca.pem").read_bytes() == trusted.read_bytes()
    first_cert = _server_certificate(first, str(trusted))
    key_pem = key.read_bytes()
    assert first.stop() == 0

    second = spawn("--ca-dir", str(ca_dir))
    assert key.read_bytes() == key_pem and key.stat().st_mode & 0o777 == 0o600
    assert Path(second.ready["ca_file"]).read_bytes() == trusted.read_bytes()
    # The first start's CA still verifies the second start's (fresh) server certificate.
    assert _server_certificate(second, str(trusted)) != first_cert
    assert "BEGIN PRIVATE KEY" not in Path(second.ready["ca_file"]).read_text()


def test_without_ca_dir_each_start_has_a_new_ca(spawn, tmp_path: Path) -> None:
    first = spawn()
    trusted = tmp_path / "trusted-ca.pem"
    trusted.write_bytes(Path(first.ready["ca_file"]).read_bytes())
    assert first.stop() == 0
    second = spawn()
    with pytest.raises(ssl.SSLCertVerificationError):
        _server_certificate(second, str(trusted))


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_ca_dir_refuses_a_key_others_may_read(tmp_path: Path, mode: int) -> None:
    ca_dir = tmp_path / "ca"
    ready = tmp_path / "ready.json"
    sb = start_sandbox(tmp_path, "--ca-dir", str(ca_dir), name="first")
    assert sb.stop() == 0
    (ca_dir / "ca-key.pem").chmod(mode)
    done = subprocess.run([BINARY, "--port", "0", "--ca-dir", str(ca_dir), "--ready-file", str(ready)],
                          capture_output=True, timeout=60, text=True)
    assert done.returncode == 1
    assert f"ca-key.pem: the CA key has mode {mode:04o}" in done.stderr
    assert "chmod 600" in done.stderr
    assert not ready.exists()


def test_ca_dir_refuses_a_key_that_does_not_match_the_certificate(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for d in (first, second):
        assert start_sandbox(tmp_path, "--ca-dir", str(d), name=d.name).stop() == 0
    (first / "ca.pem").write_bytes((second / "ca.pem").read_bytes())
    done = subprocess.run([BINARY, "--port", "0", "--ca-dir", str(first)], capture_output=True, timeout=60, text=True)
    assert done.returncode == 1
    assert "the CA key does not match the CA certificate" in done.stderr


@pytest.mark.parametrize("planted", ["file", "symlink"])
def test_a_ready_file_path_that_is_taken_is_refused_and_left_alone(tmp_path: Path, planted: str) -> None:
    """The ready file holds the admin token and a client secret: it is never written through a
    planted link, nor over a file someone else put there."""
    ready = tmp_path / "ready.json"
    target = tmp_path / "elsewhere.txt"
    target.write_text("not the sandbox's\n")
    if planted == "file":
        ready.write_text("someone else's\n")
    else:
        ready.symlink_to(target)
    result = subprocess.run(
        [BINARY, "--port", "0", "--ready-file", str(ready), "--plain-http", "--quiet"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert target.read_text() == "not the sandbox's\n"
    if planted == "file":
        assert ready.read_text() == "someone else's\n"
    else:
        assert ready.is_symlink() and ready.readlink() == target
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_the_ready_file_is_private_whatever_the_umask(spawn) -> None:
    previous = os.umask(0)
    try:
        sb = spawn("--plain-http")
    finally:
        os.umask(previous)
    ready = next(p for p in sb.log.parent.iterdir() if p.name.endswith("-ready.json"))
    assert stat.S_IMODE(ready.stat().st_mode) == 0o600


def test_the_ready_descriptor_gets_what_the_ready_file_holds_and_is_closed(tmp_path: Path) -> None:
    ready_file = tmp_path / "ready.json"
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen([BINARY, "--port", "0", "--ready-file", str(ready_file), "--ready-fd", str(write_end),
                                    "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   pass_fds=(write_end,))
    finally:
        os.close(write_end)
    try:
        text = read_ready_pipe(read_end, 60)  # returns at end-of-file: the sandbox closed its end
        assert json.loads(text) == json.loads(ready_file.read_text())
        assert process.poll() is None  # closed, and still serving
    finally:
        process.terminate()
        assert process.wait(30) == 0


def test_the_ready_descriptor_ends_empty_when_the_sandbox_cannot_start(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen([BINARY, "--port", "0", "--ready-fd", str(write_end), "--config",
                                    str(tmp_path / "missing.json")], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, pass_fds=(write_end,))
    finally:
        os.close(write_end)
    assert read_ready_pipe(read_end, 60) == b""
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert b"missing.json" in err


@pytest.mark.parametrize("fd", ["1", "2", "250", "-1", "x"])
def test_a_ready_descriptor_that_is_not_open_for_writing_above_2_is_a_usage_error(fd: str) -> None:
    done = subprocess.run([BINARY, "--port", "0", "--ready-fd", fd], capture_output=True, timeout=60, text=True)
    assert done.returncode == 2
    assert "--ready-fd" in done.stderr


def test_a_ready_descriptor_open_only_for_reading_is_a_usage_error() -> None:
    read_end, write_end = os.pipe()
    try:
        done = subprocess.run([BINARY, "--port", "0", "--ready-fd", str(read_end)], capture_output=True, timeout=60,
                              text=True, pass_fds=(read_end,))
    finally:
        os.close(read_end)
        os.close(write_end)
    assert done.returncode == 2
    assert "--ready-fd" in done.stderr
