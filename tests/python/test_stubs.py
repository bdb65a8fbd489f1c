"""The committed stubs (calbridge/_core.pyi) match the module: every function and method they
declare is called here with exactly the stub's keyword names. A mismatch in a name is a
TypeError from pybind11; a calbridge.Error only means the call itself was refused."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import calbridge
from calbridge import _core
from calbridge.sandbox import Sandbox

STUB = Path(calbridge.__file__).with_name("_core.pyi")
ALLOWLIST = Path(__file__).resolve().parents[2] / "python" / "stubtest-allowlist.txt"


def _stubbed_callables() -> dict[str, list[str]]:
    """'Class.method' (or 'function') → its parameter names, self excluded."""
    tree = ast.parse(STUB.read_text())
    found: dict[str, list[str]] = {}

    def params(fn: ast.FunctionDef) -> list[str]:
        args = fn.args
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        return [n for n in names if n != "self"]

    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = params(node)
        elif isinstance(node, ast.ClassDef):
            if any(isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases):
                continue  # describes what the module accepts, not what it has
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not any(
                    isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
                ):
                    if item.name.startswith("__") and item.name != "__init__":
                        continue
                    found[f"{node.name}.{item.name}"] = params(item)
    return found


def _names_from_signature(method: Callable[..., object]) -> Callable[..., object]:
    """For the methods of a store that needs a live server to exist (PostgreSQL): a stand-in
    that checks the keyword names against pybind11's signature line instead of calling."""
    doc = method.__doc__ or ""
    params = doc.splitlines()[0].split("(", 1)[1].rsplit(") ->", 1)[0]
    names = sorted(n for n in re.findall(r"(\w+):", params) if n != "self")

    def check(**kwargs: object) -> None:
        if sorted(kwargs) != names:
            raise TypeError(f"{method.__name__}() takes {names}, not {sorted(kwargs)}")

    return check


@pytest.fixture
def calls(
    calbridge_sandbox: Sandbox, calbridge_session: calbridge.Session, tmp_path: Path
) -> dict[str, tuple[Callable[..., object], dict[str, object]]]:
    native_client = calbridge_sandbox.client()._native
    session = calbridge_session._native
    cred = session.credentials(timeout=None, cancel=None)
    profile = _core.LinkingProfile(provider_name="google", profile_id="pro_1", profile_name="a@example.com")
    memory = _core.MemoryTokenStore()
    files = _core.FileTokenStore(str(tmp_path / "tokens"))
    sqlite = _core.SqliteTokenStore(str(tmp_path / "credentials.db"), busy_timeout=1.0)
    postgres = _core.PostgresTokenStore
    claim: dict[str, object] = {"account": "acc", "expected_version": 1, "owner": "me", "ttl": 1.0}
    renew: dict[str, object] = {"account": "acc", "epoch": 1, "ttl": 1.0}
    release: dict[str, object] = {"account": "acc", "epoch": 1}
    mark: dict[str, object] = {"account": "acc", "expected_version": 1}
    wait: dict[str, object] = {"account": "acc", "version": 1, "timeout": 0.0}
    config = json.dumps(
        {"client_id": "x", "client_secret": "y", "api_url": calbridge_sandbox.api_url, "app_url": calbridge_sandbox.app_url}
    )
    t: dict[str, object] = {"timeout": 10.0, "cancel": None}
    signer = _core.StateSigner(b"k" * 32, clock=None)
    events: dict[str, object] = {
        "tzid": "Etc/UTC", "from_": None, "to": None, "calendar_ids": [], "last_modified": None,
        "include_managed": None, "only_managed": None, "include_deleted": None, "include_moved": None,
        "localized_times": None, **t,
    }  # fmt: skip
    return {
        "error_code_name": (_core.error_code_name, {"code": -7}),
        "redact": (_core.redact, {"value": "abc"}),
        "CancelToken.__init__": (_core.CancelToken, {}),
        "CancelToken.cancel": (_core.CancelToken().cancel, {}),
        "LinkingProfile.__init__": (
            _core.LinkingProfile,
            {"provider_name": "google", "profile_id": "pro_1", "profile_name": "a@example.com"},
        ),
        "Credentials.__init__": (
            _core.Credentials,
            {
                "access_token": "a", "refresh_token": "r", "token_type": "bearer", "scope": ["read_events"],
                "expires_at": 1.0, "account_id": "acc", "sub": "acc", "linking_profile": profile, "extra_json": "",
            },
        ),  # fmt: skip
        "Credentials.to_json": (cred.to_json, {}),
        "Credentials.from_json": (_core.Credentials.from_json, {"text": cred.to_json()}),
        "Credentials.from_token_response": (
            _core.Credentials.from_token_response,
            {"text": '{"access_token": "a", "expires_in": 60}', "requested_at": 0.0},
        ),
        "Credentials.expires_within": (cred.expires_within, {"now": 0.0, "leeway": 60.0}),
        "TokenStore.load": (memory.load, {"account": "acc"}),
        "TokenStore.insert": (memory.insert, {"account": "acc", "credentials": cred}),
        "TokenStore.save": (memory.save, {"account": "acc", "credentials": cred, "expected_version": 1}),
        "TokenStore.replace": (memory.replace, {"account": "acc", "credentials": cred}),
        "TokenStore.remove": (memory.remove, {"account": "acc"}),
        "MemoryTokenStore.__init__": (_core.MemoryTokenStore, {}),
        "FileTokenStore.__init__": (_core.FileTokenStore, {"directory": str(tmp_path / "other")}),
        "FileTokenStore.path_for": (files.path_for, {"account": "acc"}),
        "FileTokenStore.accounts": (files.accounts, {}),
        "FileTokenStore.claim": (files.claim, claim),
        "FileTokenStore.renew": (files.renew, renew),
        "FileTokenStore.release": (files.release, release),
        "FileTokenStore.mark_reauthorization_required": (files.mark_reauthorization_required, mark),
        "FileTokenStore.wait_for_change": (files.wait_for_change, wait),
        "SqliteTokenStore.__init__": (
            _core.SqliteTokenStore, {"file": str(tmp_path / "other.db"), "busy_timeout": 1.0}
        ),
        "SqliteTokenStore.claim": (sqlite.claim, claim),
        "SqliteTokenStore.renew": (sqlite.renew, renew),
        "SqliteTokenStore.release": (sqlite.release, release),
        "SqliteTokenStore.mark_reauthorization_required": (sqlite.mark_reauthorization_required, mark),
        "SqliteTokenStore.wait_for_change": (sqlite.wait_for_change, wait),
        # Nothing listens on port 1: the store cannot be made (a StoreError), but the names are read.
        "PostgresTokenStore.__init__": (
            _core.PostgresTokenStore,
            {
                "conninfo": "postgresql://nobody@127.0.0.1:1/x?connect_timeout=1", "pool_size": 1,
                "statement_timeout": 1.0, "table": "t", "create_schema": False, "poll_interval": 0.1,
            },
        ),  # fmt: skip
        "PostgresTokenStore.create_schema": (_names_from_signature(postgres.create_schema), {}),
        "PostgresTokenStore.claim": (_names_from_signature(postgres.claim), claim),
        "PostgresTokenStore.renew": (_names_from_signature(postgres.renew), renew),
        "PostgresTokenStore.release": (_names_from_signature(postgres.release), release),
        "PostgresTokenStore.mark_reauthorization_required": (
            _names_from_signature(postgres.mark_reauthorization_required), mark
        ),
        "PostgresTokenStore.wait_for_change": (_names_from_signature(postgres.wait_for_change), wait),
        "open_token_store": (_core.open_token_store, {"name": "memory:"}),
        "Client.__init__": (
            _core.Client,
            {
                "config_json": config, "store": None, "logger": None, "on_refresh": None,
                "on_reauthorization_required": None, "max_retries": 0, "initial_backoff": 0.1, "max_backoff": 1.0,
            },
        ),  # fmt: skip
        "Client.authorization_request": (
            native_client.authorization_request,
            {
                "redirect_uri": calbridge_sandbox.redirect_uri, "scope": ["read_events"], "state": None,
                "pkce": True, "avoid_linking": False, "link_token": None, "provider_name": "google",
                "delegated_scope": None,
            },
        ),  # fmt: skip
        "Client.complete_authorization": (
            native_client.complete_authorization,
            {"callback": "?code=x&state=s", "expected_state": "other", "redirect_uri": "http://127.0.0.1/cb",
             "code_verifier": None, "account": None, **t},
        ),  # fmt: skip
        "Client.exchange_code": (
            native_client.exchange_code,
            {"code": "not-a-code", "redirect_uri": calbridge_sandbox.redirect_uri, "code_verifier": None,
             "account": None, **t},
        ),  # fmt: skip
        "Client.refresh": (native_client.refresh, {"credentials": cred, **t}),
        "Client.revoke": (native_client.revoke, {"credentials": cred, **t}),
        "Client.revoke_sub": (native_client.revoke_sub, {"sub": "acc_nobody", **t}),
        "Client.transport_stats": (native_client.transport_stats, {}),
        "StateSigner.__init__": (_core.StateSigner, {"key": b"k" * 32, "clock": None}),
        "StateSigner.issue": (signer.issue, {"binding": "sid", "lifetime": 60, "app_data": b""}),
        "StateSigner.verify": (signer.verify, {"state": signer.issue("sid", lifetime=60, app_data=b""), "binding": "sid"}),
        "Client.session": (native_client.session, {"account": "acc_sandbox_ada"}),
        "Client.session_for": (native_client.session_for, {"credentials": cred}),
        "EventPages.next": (session.events(**events).next, {}),  # type: ignore[arg-type]
        "FreeBusyPages.next": (
            session.free_busy(tzid="Etc/UTC", from_=None, to=None, calendar_ids=[], **t).next, {}  # type: ignore[arg-type]
        ),
        "Session.credentials": (session.credentials, t),
        "Session.calendars": (session.calendars, t),
        "Session.events": (session.events, events),
        "Session.free_busy": (
            session.free_busy, {"tzid": "Etc/UTC", "from_": None, "to": None, "calendar_ids": [], **t}
        ),
        "Session.upsert_event": (
            session.upsert_event,
            {"calendar_id": "cal_sandbox_primary", "event_json": '{"event_id": "e1", "summary": "s", '
             '"start": "2026-01-01T09:00:00Z", "end": "2026-01-01T10:00:00Z"}', **t},
        ),  # fmt: skip
        "Session.delete_event": (session.delete_event, {"calendar_id": "cal_sandbox_primary", "event_id": "e1", **t}),
        "Session.delete_external_event": (
            session.delete_external_event, {"calendar_id": "cal_sandbox_primary", "event_uid": "evt_none", **t}
        ),
        "Session.account": (session.account, t),
        "Session.userinfo": (session.userinfo, t),
        "Session.profiles": (session.profiles, t),
        "Session.create_link_token": (session.create_link_token, t),
        "Session.request": (session.request, {"method": "GET", "path": "/v1/calendars", "query": [], "json_body": None, **t}),
        # Client-secret and scheduling calls: the sandbox may refuse them; the names are what counts.
        "Client.request": (
            native_client.request, {"method": "GET", "path": "/v1/nothing", "query": [], "json_body": None, **t}
        ),
        "Client.availability": (native_client.availability, {"query_json": "{}", **t}),
        "Client.create_application_calendar": (
            native_client.create_application_calendar, {"application_calendar_id": "", **t}
        ),
        "Session.availability": (session.availability, {"query_json": "{}", **t}),
        "Session.change_participation_status": (
            session.change_participation_status,
            {"calendar_id": "cal_sandbox_primary", "event_uid": "evt_none", "status": "maybe", **t},
        ),
        "Session.create_calendar": (session.create_calendar, {"profile_id": "", "name": "", **t}),
        "Session.delete_all_events": (session.delete_all_events, {"calendar_ids": [], **t}),
        "Session.upsert_availability_rule": (session.upsert_availability_rule, {"rule_json": "[]", **t}),
        "Session.availability_rules": (session.availability_rules, t),
        "Session.availability_rule": (session.availability_rule, {"availability_rule_id": "", **t}),
        "Session.delete_availability_rule": (session.delete_availability_rule, {"availability_rule_id": "", **t}),
        "Session.request_elevated_permissions": (
            session.request_elevated_permissions, {"permissions": [], "redirect_uri": None, **t}
        ),
        "verify_push": (
            _core.verify_push, {"client": native_client, "signature_header": "x", "body": b"{}", "previous_secrets": []}
        ),
        "parse_push": (_core.parse_push, {"body": b'{"notification": {"type": "change"}}'}),
        "create_channel": (
            _core.create_channel,
            {"session": session, "callback_url": "http://127.0.0.1:9/push", "calendar_ids": None, "only_managed": None, **t},
        ),
        "list_channels": (_core.list_channels, {"session": session, **t}),
        "close_channel": (_core.close_channel, {"session": session, "channel_id": "chn_none", **t}),
        # Last: it disconnects the profile.
        "Session.revoke_profile": (session.revoke_profile, {"profile_id": "pro_sandbox_office365", **t}),
    }


def test_every_stubbed_function_accepts_the_stubs_keyword_names(
    calls: dict[str, tuple[Callable[..., object], dict[str, object]]],
) -> None:
    stubbed = _stubbed_callables()
    assert sorted(calls) == sorted(stubbed), "keep this table in step with _core.pyi"
    for name, (fn, kwargs) in calls.items():
        assert sorted(kwargs) == sorted(stubbed[name]), name
        try:
            fn(**kwargs)
        except calbridge.Error:
            pass  # refused on its merits: the names were accepted
        except TypeError as e:
            pytest.fail(f"{name}: {e}")


def test_stubtest_finds_the_stubs_and_the_module_in_agreement() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "calbridge._core", "--allowlist", str(ALLOWLIST)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
