"""Token stores: the native ones, and a store written in Python called from the core."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest
from helpers import POSTGRES_PASSWORD, DictStore, LeasingDictStore, token_requests

import calbridge
from calbridge.sandbox import Sandbox


def _credentials(n: int) -> calbridge.Credentials:
    return calbridge.Credentials(
        access_token=f"access-token-{n}-abcdefghijklmnopqrstuvwxyz",
        refresh_token=f"refresh-token-{n}-abcdefghijklmnopqrstuvwxyz",
        scope="read_events",
        expires_at=1_900_000_000 + n,
        account_id="acc_1",
    )


@pytest.mark.parametrize("kind", ["memory", "file", "sqlite", "python", "python with lease"])
def test_every_store_keeps_versions_and_compares_and_swaps(kind: str, tmp_path: Path) -> None:
    store: calbridge.TokenStore
    if kind == "memory":
        store = calbridge.MemoryStore()
    elif kind == "file":
        store = calbridge.FileStore(tmp_path / "tokens")
    elif kind == "sqlite":
        store = calbridge.SqliteStore(tmp_path / "credentials.db")
    elif kind == "python":
        store = DictStore()
    else:
        store = LeasingDictStore()
    assert isinstance(store, calbridge.TokenStore)

    assert store.load("acc_1") is None
    assert store.insert("acc_1", _credentials(1)) == 1
    assert store.insert("acc_1", _credentials(2)) is None
    assert store.load("acc_1") == (_credentials(1), 1)
    assert store.save("acc_1", _credentials(2), 1) == 2
    assert store.save("acc_1", _credentials(3), 1) is None  # someone else wrote version 2
    assert store.replace("acc_1", _credentials(4)) == 3
    assert store.load("acc_1") == (_credentials(4), 3)
    assert store.remove("acc_1") is True
    assert store.remove("acc_1") is False


def test_the_file_store_writes_private_files(tmp_path: Path) -> None:
    store = calbridge.FileStore(tmp_path / "tokens")
    store.replace("acc_1", _credentials(1))
    path = store.path_for("acc_1")
    assert os.path.dirname(path) == str(tmp_path / "tokens")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.accounts() == ["acc_1"]
    # Another process (another store object) sees the same credentials and version.
    assert calbridge.FileStore(tmp_path / "tokens").load("acc_1") == (_credentials(1), 1)


def test_a_python_store_holds_the_rotated_refresh_token_before_the_new_access_token_is_used(
    calbridge_sandbox: Sandbox,
) -> None:
    store = DictStore()
    client = calbridge_sandbox.client(store=store)
    original = calbridge_sandbox.authorize(client)
    session = client.session(original.account_key)
    session.calendars()
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)

    # The write fails: the new access token must not have been used.
    def refuse(method: str, credentials: calbridge.Credentials) -> None:
        raise OSError("disk full")

    store.before_write = refuse
    counters_before = calbridge_sandbox.counters()
    with pytest.raises(calbridge.StoreError) as caught:
        session.calendars()
    assert isinstance(caught.value.__cause__, OSError)
    counters_after = calbridge_sandbox.counters()
    # Sent: the calendars call (401) and the refresh (200); not a call with the new token.
    # (Each counters() read is itself one 2xx admin request.)
    assert _delta(counters_before, counters_after, "refresh") == 1
    assert _responses(counters_after, "2xx") - _responses(counters_before, "2xx") == 2  # the refresh + 1 counters read
    assert store.current(original.account_key) == original

    # The next call writes the kept credentials first, without refreshing again, then uses them.
    store.before_write = None
    refreshes = token_requests(calbridge_sandbox, "refresh_token")
    assert len(session.calendars()) == 3
    assert token_requests(calbridge_sandbox, "refresh_token") == refreshes
    stored = store.current(original.account_key)
    assert stored is not None
    assert stored.refresh_token != original.refresh_token
    assert stored == session.credentials()


def test_a_store_that_raises_leaves_the_credentials_recoverable(calbridge_sandbox: Sandbox) -> None:
    store = DictStore()
    client = calbridge_sandbox.client(store=store)
    original = calbridge_sandbox.authorize(client)
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    failures = 0

    def flaky(method: str, credentials: calbridge.Credentials) -> None:
        nonlocal failures
        if failures < 2:
            failures += 1
            raise RuntimeError("database unavailable")

    store.before_write = flaky
    session = client.session(original.account_key)
    for _ in range(2):
        with pytest.raises(calbridge.StoreError):
            session.calendars()
    assert len(session.calendars()) == 3
    # One refresh in all: the rotated token was kept in memory while the store was down.
    assert token_requests(calbridge_sandbox, "refresh_token") == 1
    # A new process (a new client on the same store) carries on with the stored rotation.
    later = calbridge_sandbox.client(store=store).session(original.account_key)
    assert len(later.calendars()) == 3


def test_a_store_returning_the_wrong_type_is_a_store_error(calbridge_sandbox: Sandbox) -> None:
    class Broken(DictStore):
        def load(self, account: str) -> tuple[calbridge.Credentials, int] | None:
            return "nonsense"  # type: ignore[return-value]

    client = calbridge_sandbox.client(store=Broken())
    with pytest.raises(calbridge.StoreError) as caught:
        client.session("acc_sandbox_ada").calendars()
    assert isinstance(caught.value.__cause__, TypeError)


def test_an_object_that_is_not_a_store_is_refused_at_once(calbridge_sandbox: Sandbox) -> None:
    with pytest.raises(TypeError, match="a token store needs a load"):
        calbridge_sandbox.client(store=object())  # type: ignore[arg-type]


def _delta(before: Mapping[str, object], after: Mapping[str, object], grant: str) -> int:
    b, a = before["token_requests"], after["token_requests"]
    assert isinstance(b, dict) and isinstance(a, dict)
    key = "refresh_token" if grant == "refresh" else grant
    return int(a[key]) - int(b[key])


def _responses(counters: Mapping[str, object], klass: str) -> int:
    responses = counters["responses"]
    assert isinstance(responses, dict)
    return int(responses[klass])


# --- stores by name ------------------------------------------------------------------------------


def test_a_name_opens_its_kind_of_store(tmp_path: Path) -> None:
    memory = calbridge.open_store("memory:")
    assert isinstance(memory, calbridge.MemoryStore)
    files = calbridge.open_store(f"file:{tmp_path / 'tokens'}")
    assert isinstance(files, calbridge.FileStore) and files.directory == str(tmp_path / "tokens")
    sqlite = calbridge.open_store(f"sqlite:{tmp_path / 'credentials.db'}")
    assert isinstance(sqlite, calbridge.SqliteStore) and sqlite.path == str(tmp_path / "credentials.db")
    assert repr(sqlite) == f"SqliteStore({str(tmp_path / 'credentials.db')!r})"
    assert (tmp_path / "credentials.db").exists()
    # Shared stores hold the lease; the memory store does not.
    assert isinstance(sqlite, calbridge.LeasingTokenStore) and isinstance(files, calbridge.LeasingTokenStore)
    assert not isinstance(memory, calbridge.LeasingTokenStore)

    # Another store on the same file (as in another process) sees the same credentials.
    assert sqlite.insert("acc_1", _credentials(1)) == 1
    assert calbridge.SqliteStore(tmp_path / "credentials.db").load("acc_1") == (_credentials(1), 1)


def test_a_relative_name_is_taken_from_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = calbridge.open_store("sqlite:relative.db")
    assert isinstance(store, calbridge.SqliteStore) and store.path == str(tmp_path / "relative.db")


def test_client_store_takes_a_name(calbridge_sandbox: Sandbox, tmp_path: Path) -> None:
    name = f"sqlite:{tmp_path / 'credentials.db'}"
    client = calbridge_sandbox.client(store=name)
    assert isinstance(client.store, calbridge.SqliteStore)
    original = calbridge_sandbox.authorize(client)
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    assert len(client.session(original.account_key).calendars()) == 3
    # A later process, opening the store by the same name, carries on with the rotation.
    later = calbridge_sandbox.client(store=name)
    found = later.store.load(original.account_key)
    assert found is not None and found[1] == 2 and found[0].refresh_token != original.refresh_token
    assert len(later.session(original.account_key).calendars()) == 3


@pytest.mark.parametrize(
    "name, scheme",
    [
        ("bogus:whatever", "bogus:"),
        ("redis://user:hunter2@cache:6379", "redis:"),
        ("hunter2", None),
        ("", None),
        ("sqlite:", None),
        ("memory:extra", None),
        ("postgresql:user:hunter2@host/db", None),
    ],
)
def test_a_bad_name_is_a_configuration_error_that_repeats_no_more_than_the_scheme(
    name: str, scheme: str | None, calbridge_sandbox: Sandbox
) -> None:
    with pytest.raises(calbridge.ConfigurationError) as caught:
        calbridge.open_store(name)
    message = str(caught.value)
    assert "hunter2" not in message and "whatever" not in message
    if scheme is not None:
        assert f'"{scheme}"' in message
    with pytest.raises(calbridge.ConfigurationError):
        calbridge_sandbox.client(store=name)


def test_a_name_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        calbridge.open_store(Path("/tmp/x.db"))  # type: ignore[arg-type]


# --- the lease of a native store, through Python ---------------------------------------------------


def test_the_sqlite_lease_from_python(tmp_path: Path) -> None:
    store = calbridge.SqliteStore(tmp_path / "credentials.db")
    assert store.claim("acc_1", 1, "me", 30.0) == calbridge.LeaseClaim(calbridge.LeaseStatus.MISSING)
    store.insert("acc_1", _credentials(1))

    granted = store.claim("acc_1", 1, "me", 30.0)
    assert granted.status is calbridge.LeaseStatus.GRANTED
    assert (granted.credentials, granted.version, granted.epoch) == (_credentials(1), 1, 1)
    held = store.claim("acc_1", 1, "someone else", 30.0)
    assert held.status is calbridge.LeaseStatus.HELD and 0 < held.remaining <= 30.0
    assert held.credentials == _credentials(1)
    assert store.renew("acc_1", 1, 30.0) is True
    assert store.renew("acc_1", 7, 30.0) is False
    store.release("acc_1", 1)
    assert store.renew("acc_1", 1, 30.0) is False  # released: nothing to renew
    again = store.claim("acc_1", 1, "me", 30.0)
    assert again.status is calbridge.LeaseStatus.GRANTED and again.epoch == 2

    # The save ends the lease; the old version is then "moved".
    assert store.save("acc_1", _credentials(2), 1) == 2
    moved = store.claim("acc_1", 1, "me", 30.0)
    assert moved.status is calbridge.LeaseStatus.VERSION_MOVED and (moved.credentials, moved.version) == (_credentials(2), 2)

    assert store.mark_reauthorization_required("acc_1", 1) is False  # not the stored version
    assert store.mark_reauthorization_required("acc_1", 2) is True
    marked = store.claim("acc_1", 2, "me", 30.0)
    assert marked.status is calbridge.LeaseStatus.REAUTHORIZATION_REQUIRED and marked.version == 2
    store.replace("acc_1", _credentials(3))  # a new authorization clears the mark
    assert store.claim("acc_1", 3, "me", 30.0).status is calbridge.LeaseStatus.GRANTED
    assert store.wait_for_change("acc_1", 3, 0.01) is True  # waited: SQLite's data_version, every 2 ms


def test_a_lease_claim_checks_what_it_carries() -> None:
    with pytest.raises(ValueError, match="needs the stored credentials"):
        calbridge.LeaseClaim(calbridge.LeaseStatus.GRANTED, epoch=1)
    with pytest.raises(ValueError, match="epoch"):
        calbridge.LeaseClaim(calbridge.LeaseStatus.GRANTED, _credentials(1), 1)
    with pytest.raises(ValueError, match="no credentials"):
        calbridge.LeaseClaim(calbridge.LeaseStatus.MISSING, _credentials(1), 1)
    with pytest.raises(TypeError, match="LeaseStatus"):
        calbridge.LeaseClaim("granted", _credentials(1), 1, epoch=1)  # type: ignore[arg-type]
    claim = calbridge.LeaseClaim(calbridge.LeaseStatus.HELD, _credentials(1), 1, remaining=2.5)
    assert "refresh-token-1" not in repr(claim)  # the credentials' repr redacts the tokens


# --- a Python store, with and without the lease ------------------------------------------------------


def test_a_python_store_without_lease_methods_is_used_as_before(calbridge_sandbox: Sandbox) -> None:
    store = DictStore()
    assert not isinstance(store, calbridge.LeasingTokenStore)
    client = calbridge_sandbox.client(store=store)
    original = calbridge_sandbox.authorize(client)
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    assert len(client.session(original.account_key).calendars()) == 3
    assert store.load(original.account_key) is not None
    assert [c for c, _ in store.calls if c == "save"] == ["save"]


def test_two_clients_on_one_leasing_python_store_refresh_once(calbridge_sandbox: Sandbox) -> None:
    store = LeasingDictStore()
    assert isinstance(store, calbridge.LeasingTokenStore)
    first = calbridge.Client(
        calbridge_sandbox.client_id, calbridge_sandbox.client_secret, api_url=calbridge_sandbox.api_url,
        app_url=calbridge_sandbox.app_url, ca_file=calbridge_sandbox.ca_file, store=store, lease_poll_interval=0.005,
    )  # fmt: skip
    second = calbridge.Client(
        calbridge_sandbox.client_id, calbridge_sandbox.client_secret, api_url=calbridge_sandbox.api_url,
        app_url=calbridge_sandbox.app_url, ca_file=calbridge_sandbox.ca_file, store=store, lease_poll_interval=0.005,
    )  # fmt: skip
    original = calbridge_sandbox.authorize(first)
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    refreshes = token_requests(calbridge_sandbox, "refresh_token")
    start = threading.Barrier(2)
    results: list[int] = []

    def call(client: calbridge.Client) -> None:
        session = client.session(original.account_key)
        start.wait()
        results.append(len(session.calendars()))

    threads = [threading.Thread(target=call, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [3, 3]
    assert token_requests(calbridge_sandbox, "refresh_token") == refreshes + 1
    assert store.grants == 1 and "claim" in store.lease_calls


def test_a_dead_grant_marks_a_leasing_python_store(calbridge_sandbox: Sandbox) -> None:
    store = LeasingDictStore()
    client = calbridge_sandbox.client(store=store)
    original = calbridge_sandbox.authorize(client)
    client.revoke(original)
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    with pytest.raises(calbridge.InvalidGrantError):
        client.session(original.account_key).calendars()
    assert store.marked(original.account_key)
    # Another process fails fast: the mark, not a token request.
    refreshes = token_requests(calbridge_sandbox, "refresh_token")
    with pytest.raises(calbridge.InvalidGrantError):
        calbridge_sandbox.client(store=store).session(original.account_key).calendars()
    assert token_requests(calbridge_sandbox, "refresh_token") == refreshes


def test_a_claim_that_returns_the_wrong_type_is_a_store_error(calbridge_sandbox: Sandbox) -> None:
    class Broken(LeasingDictStore):
        def claim(self, account: str, expected_version: int, owner: str, ttl: float) -> calbridge.LeaseClaim:
            return "granted"  # type: ignore[return-value]

    store = Broken()
    client = calbridge_sandbox.client(store=store)
    original = calbridge_sandbox.authorize(client)
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    with pytest.raises(calbridge.StoreError) as caught:
        client.session(original.account_key).calendars()
    assert isinstance(caught.value.__cause__, TypeError)


def test_some_lease_methods_but_not_all_is_refused_at_once(calbridge_sandbox: Sandbox) -> None:
    class Partial(DictStore):
        def claim(self, account: str, expected_version: int, owner: str, ttl: float) -> calbridge.LeaseClaim:
            raise AssertionError("never called")

    with pytest.raises(TypeError, match="needs all of claim, renew, release, mark_reauthorization_required") as caught:
        calbridge_sandbox.client(store=Partial())
    assert "but not renew, release, mark_reauthorization_required" in str(caught.value)

    class WaitsOnly(DictStore):
        def wait_for_change(self, account: str, version: int, timeout: float) -> bool:
            raise AssertionError("never called")

    with pytest.raises(TypeError, match="wait_for_change"):
        calbridge_sandbox.client(store=WaitsOnly())


# --- PostgreSQL ----------------------------------------------------------------------------------------

_CONNINFOS = [
    "postgresql://app:pw-secret-4711@db.example.com:5432/app?sslmode=verify-full",
    "postgres://app:pw-secret-4711@db.example.com/app",
    "postgresql://app@db.example.com/app?password=pw-secret-4711",
    "postgresql://app:pw-secret-4711@/app?host=/var/run/postgresql",
    "postgresql://app:pw-secret-4711@db1,db2:5433/app",
    "postgresql://app:pw-secret-4711?x@db/app",
    "postgresql://app:pw@secret-4711@db/app",
    "postgresql://app:pw-secret-4711/@db/app",
    "host=db.example.com dbname=app user=app password=pw-secret-4711",
    "host=db password='pw-secret-4711 with spaces' dbname=app",
    "host=db sslpassword=pw-secret-4711",
    "password=pw-secret-4711",
    "host=db password='pw-secret-4711",
]


@pytest.mark.parametrize("conninfo", _CONNINFOS)
def test_a_postgres_description_never_shows_the_password(conninfo: str) -> None:
    from calbridge.stores import _describe_conninfo

    described = _describe_conninfo(conninfo)
    assert "secret-4711" not in described and "pw-" not in described


def test_postgres_descriptions_keep_where_they_point() -> None:
    from calbridge.stores import _describe_conninfo

    assert _describe_conninfo(_CONNINFOS[0]) == "'postgresql://app@db.example.com:5432/app'"
    assert _describe_conninfo(_CONNINFOS[8]) == "'host=db.example.com dbname=app user=app'"
    assert _describe_conninfo(_CONNINFOS[6]) == "<connection string hidden>"


def test_an_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    # Port 1 on loopback: nothing listens; the connection is refused at once.
    conninfo = "postgresql://app:pw-secret-4711@127.0.0.1:1/app?connect_timeout=2"
    with pytest.raises(calbridge.StoreError) as caught:
        calbridge.PostgresStore(conninfo).load("acc_1")
    text = f"{caught.value!s} {caught.value!r} {caught.value.__cause__!r}"
    assert "secret-4711" not in text


def test_a_postgres_store_by_object_and_by_name(postgres_url: str, calbridge_sandbox: Sandbox) -> None:
    store = calbridge.PostgresStore(postgres_url, table="calbridge_test_python")
    assert POSTGRES_PASSWORD in postgres_url and POSTGRES_PASSWORD not in repr(store)
    assert repr(store).startswith("PostgresStore('postgresql://postgres@127.0.0.1")
    store.remove("acc_1")
    assert store.insert("acc_1", _credentials(1)) == 1
    assert store.load("acc_1") == (_credentials(1), 1)
    claim = store.claim("acc_1", 1, "me", 30.0)
    assert claim.status is calbridge.LeaseStatus.GRANTED and claim.epoch >= 1
    store.release("acc_1", claim.epoch)
    assert store.remove("acc_1") is True

    named = calbridge.open_store(postgres_url)
    assert isinstance(named, calbridge.PostgresStore) and POSTGRES_PASSWORD not in repr(named)
    client = calbridge_sandbox.client(store=postgres_url)
    original = calbridge_sandbox.authorize(client)
    calbridge_sandbox.expire_access_tokens(account_id=original.account_key)
    assert len(client.session(original.account_key).calendars()) == 3
    found = named.load(original.account_key)
    assert found is not None and found[0].refresh_token != original.refresh_token
    named.remove(original.account_key)
