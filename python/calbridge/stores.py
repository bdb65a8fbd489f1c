"""Where credentials live between calls and processes.

A store gives each account's credentials a version; calbridge writes a refreshed token with
compare-and-swap on the version it read, *before* the new access token is used, so a rotated
refresh token is never lost. The choices:

* :class:`MemoryStore` (the default): this process only.
* :class:`SqliteStore`: one database file, shared by the processes of one host (web workers,
  task queues, the CLI). The usual choice as soon as there is more than one process.
* :class:`PostgresStore`: a PostgreSQL table, shared by processes on several hosts.
* :class:`FileStore`: one file per account (mode 0600, atomic rename), processes of one host.
* any of them by name: ``Client(store="sqlite:/var/lib/app/credentials.db")``, see
  :func:`open_store`.
* your own: any object with the five methods of :class:`TokenStore` (a database, Redis...).
  calbridge calls them on the thread making the call; they must be thread-safe. Add the four
  of :class:`LeasingTokenStore` to share it between processes.

Stores shared by several processes hold a per-account refresh **lease**: one process at a time
refreshes an account, the others wait for the new version. Without it, two processes could
refresh the same account at once, and with refresh-token rotation the intermediary may then
revoke the grant. A store without the lease methods is therefore safe for one process only.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from typing import Protocol, Union, runtime_checkable

from . import _core
from ._types import Seconds, seconds
from .credentials import Credentials

__all__ = [
    "TokenStore",
    "LeasingTokenStore",
    "LeaseStatus",
    "LeaseClaim",
    "MemoryStore",
    "FileStore",
    "SqliteStore",
    "PostgresStore",
    "open_store",
]


class LeaseStatus(enum.Enum):
    """What a claim on an account's refresh lease found."""

    #: The caller holds the lease now: refresh ``credentials``, save, and the lease ends.
    GRANTED = "granted"
    #: The stored version is no longer the expected one: ``credentials`` are newer.
    VERSION_MOVED = "version_moved"
    #: Another owner's lease is live for ``remaining`` seconds more: wait, then look again.
    HELD = "held"
    #: The account is marked "reauthorization required": nobody may refresh it.
    REAUTHORIZATION_REQUIRED = "reauthorization_required"
    #: The store has no credentials for the account.
    MISSING = "missing"


@dataclass(frozen=True)
class LeaseClaim:
    """The result of :meth:`LeasingTokenStore.claim`. ``credentials`` and ``version`` are what
    the claim read in the same atomic step (for ``GRANTED``, the refresh token to use); every
    status but ``MISSING`` has them. ``epoch`` identifies a granted lease (for renew and
    release); ``remaining`` is how long a ``HELD`` lease still runs, in seconds."""

    status: LeaseStatus
    credentials: Credentials | None = None
    version: int = 0
    epoch: int = 0
    remaining: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.status, LeaseStatus):
            raise TypeError(f"LeaseClaim.status must be a LeaseStatus, not {type(self.status).__name__}")
        if self.status is LeaseStatus.MISSING:
            if self.credentials is not None:
                raise ValueError("a MISSING claim has no credentials")
            return
        if not isinstance(self.credentials, Credentials) or isinstance(self.version, bool) or self.version < 1:
            raise ValueError(f"a {self.status.name} claim needs the stored credentials and their version (>= 1)")
        if self.status is LeaseStatus.GRANTED and self.epoch < 1:
            raise ValueError("a GRANTED claim needs the lease's epoch (>= 1)")
        if self.remaining < 0:
            raise ValueError("remaining must not be negative")


#: What ``load()`` returns: the credentials and their version; a leasing store may add
#: ``True`` as a third item for an account marked "reauthorization required".
Loaded = Union[tuple[Credentials, int], tuple[Credentials, int, bool]]


@runtime_checkable
class TokenStore(Protocol):
    """What calbridge needs from a token store. Versions start at 1 and every successful
    write increments them. Raise anything to fail (calbridge raises :class:`~calbridge.StoreError`
    with your exception as ``__cause__``); a version conflict is not a failure but a ``None``.

    A store with only these five methods coordinates nothing across processes: use it from
    **one process only**. To share it, add the lease methods of :class:`LeasingTokenStore`."""

    def load(self, account: str) -> Loaded | None:
        """The account's credentials and their version, or None. A leasing store may return
        ``(credentials, version, True)`` for an account marked "reauthorization required"."""
        ...

    def insert(self, account: str, credentials: Credentials) -> int | None:
        """Stores the credentials only if the account has none: the new version (1), or None."""
        ...

    def save(self, account: str, credentials: Credentials, expected_version: int) -> int | None:
        """Compare-and-swap: writes only if the stored version is still ``expected_version``.
        The new version, or None on a conflict (someone else wrote first, or it was removed).
        A leasing store also ends the account's lease and clears its mark."""
        ...

    def replace(self, account: str, credentials: Credentials) -> int:
        """Unconditional write (a new authorization). The new version. A leasing store also
        ends the account's lease and clears its mark."""
        ...

    def remove(self, account: str) -> bool:
        """False when there was nothing to remove."""
        ...


@runtime_checkable
class LeasingTokenStore(TokenStore, Protocol):
    """A token store that several processes (or hosts) share: per account it keeps a refresh
    lease (owner, expiry, an epoch that only grows) and the "reauthorization required" mark.
    Each method is one short atomic step, with no lock or transaction held between calls, so a
    holder that dies leaves a lease that simply expires. calbridge uses the lease when all four
    methods are there (some but not all is a :class:`TypeError`).

    Optionally, ``wait_for_change(account, version, timeout) -> bool`` blocks for at most
    ``timeout`` seconds or until the account's version may have moved past ``version`` and
    returns True; without it (or when it returns False at once) calbridge polls. ``renew`` is
    called from a thread of calbridge's own while the holder's token request is in flight."""

    def claim(self, account: str, expected_version: int, owner: str, ttl: float) -> LeaseClaim:
        """In one atomic step: ``MISSING`` without credentials; ``REAUTHORIZATION_REQUIRED``
        when marked; ``VERSION_MOVED`` when the version is not ``expected_version``; ``HELD``
        while another lease is live; otherwise (no lease, or an expired one) set the owner,
        the expiry now + ``ttl`` seconds and epoch + 1, and ``GRANTED`` with that epoch."""
        ...

    def renew(self, account: str, epoch: int, ttl: float) -> bool:
        """Extends the lease to now + ``ttl`` while its epoch is still ``epoch`` and it has not
        ended; False otherwise."""
        ...

    def release(self, account: str, epoch: int) -> None:
        """Ends the lease if its epoch is still ``epoch``; otherwise does nothing."""
        ...

    def mark_reauthorization_required(self, account: str, expected_version: int) -> bool:
        """Marks the account and ends any lease while its version is still
        ``expected_version``; False when the version moved."""
        ...


_LEASE_METHODS = ("claim", "renew", "release", "mark_reauthorization_required")


def _claim_from_native(native: tuple[str, _core.Credentials | None, int, int, float]) -> LeaseClaim:
    status, credentials, version, epoch, remaining = native
    return LeaseClaim(
        LeaseStatus(status),
        None if credentials is None else Credentials._wrap(credentials),
        version,
        epoch,
        remaining,
    )


class _NativeStore:
    """A store implemented by the C++ core (its calls release the GIL)."""

    __slots__ = ("_native",)
    _native: _core.TokenStore

    def load(self, account: str) -> tuple[Credentials, int] | None:
        found = self._native.load(account)
        if found is None:
            return None
        return Credentials._wrap(found[0]), found[1]

    def insert(self, account: str, credentials: Credentials) -> int | None:
        return self._native.insert(account, credentials._native)

    def save(self, account: str, credentials: Credentials, expected_version: int) -> int | None:
        return self._native.save(account, credentials._native, expected_version)

    def replace(self, account: str, credentials: Credentials) -> int:
        return self._native.replace(account, credentials._native)

    def remove(self, account: str) -> bool:
        return self._native.remove(account)


_NativeLeases = Union[_core.FileTokenStore, _core.SqliteTokenStore, _core.PostgresTokenStore]


class _NativeLeasingStore(_NativeStore):
    """A native store with the refresh lease: safe to share between processes."""

    __slots__ = ("_leases",)
    _leases: _NativeLeases

    def _adopt(self, native: _NativeLeases) -> None:
        self._leases = native
        self._native = native

    def claim(self, account: str, expected_version: int, owner: str, ttl: float) -> LeaseClaim:
        return _claim_from_native(self._leases.claim(account, expected_version, owner, ttl))

    def renew(self, account: str, epoch: int, ttl: float) -> bool:
        return self._leases.renew(account, epoch, ttl)

    def release(self, account: str, epoch: int) -> None:
        self._leases.release(account, epoch)

    def mark_reauthorization_required(self, account: str, expected_version: int) -> bool:
        return self._leases.mark_reauthorization_required(account, expected_version)

    def wait_for_change(self, account: str, version: int, timeout: float) -> bool:
        return self._leases.wait_for_change(account, version, timeout)


class MemoryStore(_NativeStore):
    """Credentials in this process's memory (the default)."""

    __slots__ = ()

    def __init__(self) -> None:
        self._native = _core.MemoryTokenStore()

    def __repr__(self) -> str:
        return "MemoryStore()"


class FileStore(_NativeLeasingStore):
    """One JSON file per account in ``directory`` (created 0700), files 0600, written
    atomically; writers in several processes are serialised per account (flock), and share
    the refresh lease. Processes of one host; the directory on a local disk."""

    __slots__ = ("_file",)
    _file: _core.FileTokenStore

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._set(_core.FileTokenStore(os.fspath(directory)))

    def _set(self, native: _core.FileTokenStore) -> None:
        self._file = native
        self._adopt(native)

    @property
    def directory(self) -> str:
        return os.fspath(self._file.directory)

    def path_for(self, account: str) -> str:
        """The file an account's credentials are kept in."""
        return os.fspath(self._file.path_for(account))

    def accounts(self) -> list[str]:
        """The accounts with credentials in the directory, in the order of their file names
        (the core reads the files; unreadable ones are left out)."""
        return self._file.accounts()

    def __repr__(self) -> str:
        return f"FileStore({self.directory!r})"


class SqliteStore(_NativeLeasingStore):
    """An SQLite database file (created 0600, its directory 0700), shared by the processes of
    one host with the refresh lease. WAL mode; every write one short transaction. Put it on a
    local disk: SQLite's locking is not reliable on network file systems. ``busy_timeout``:
    how long a statement waits for another process's write lock."""

    __slots__ = ("_sqlite",)
    _sqlite: _core.SqliteTokenStore

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: Seconds = 5.0) -> None:
        self._set(_core.SqliteTokenStore(os.fspath(path), busy_timeout=seconds(busy_timeout, "busy_timeout") or 0.0))

    def _set(self, native: _core.SqliteTokenStore) -> None:
        self._sqlite = native
        self._adopt(native)

    @property
    def path(self) -> str:
        return os.fspath(self._sqlite.file)

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"


class PostgresStore(_NativeLeasingStore):
    """A PostgreSQL table shared by processes on several hosts, with the refresh lease (timed
    on the server's clock). ``conninfo`` is a libpq connection URI or string
    (``"postgresql://app@db.example.com/app?sslmode=verify-full"``); its password never appears
    in ``repr()``, messages or logs. The table (``table``) is created on first use unless
    ``create_schema`` is False (then call :meth:`create_schema`). ``pool_size`` connections are
    shared by this process's threads; ``statement_timeout`` bounds every statement and
    connection attempt; waiters are woken by LISTEN/NOTIFY and also poll every
    ``poll_interval``."""

    __slots__ = ("_postgres", "_conninfo")
    _postgres: _core.PostgresTokenStore
    _conninfo: str

    def __init__(
        self,
        conninfo: str,
        *,
        pool_size: int = 4,
        statement_timeout: Seconds = 5.0,
        table: str = "calbridge_credentials",
        create_schema: bool = True,
        poll_interval: Seconds = 0.25,
    ) -> None:
        if not isinstance(conninfo, str):
            raise TypeError(f"conninfo must be a str, not {type(conninfo).__name__}")
        self._conninfo = conninfo
        self._set(
            _core.PostgresTokenStore(
                conninfo,
                pool_size=pool_size,
                statement_timeout=seconds(statement_timeout, "statement_timeout") or 0.0,
                table=table,
                create_schema=create_schema,
                poll_interval=seconds(poll_interval, "poll_interval") or 0.0,
            )
        )

    def _set(self, native: _core.PostgresTokenStore) -> None:
        self._postgres = native
        self._adopt(native)

    def create_schema(self) -> None:
        """Creates the table, its index and its notification trigger if missing."""
        self._postgres.create_schema()

    def __repr__(self) -> str:
        return f"PostgresStore({_describe_conninfo(self._conninfo)})"


def open_store(name: str) -> TokenStore:
    """The store a name describes, the same on every surface of calbridge (``Client(store=...)``,
    the CLI's ``--store``, the C API's ``token_store_name``):

    * ``"memory:"``: a :class:`MemoryStore`
    * ``"file:DIR"``: a :class:`FileStore` in DIR
    * ``"sqlite:PATH"``: an :class:`SqliteStore` in the file PATH
    * ``"postgresql://..."`` or ``"postgres://..."``: a :class:`PostgresStore` (the libpq URI)

    A relative path is taken from the current directory. Another name is a
    :class:`~calbridge.ConfigurationError` naming its scheme only (never the rest, which may
    hold a password); a store that cannot be opened is a :class:`~calbridge.StoreError`."""
    if not isinstance(name, str):
        raise TypeError(f"a store name must be a str, not {type(name).__name__}")
    native = _core.open_token_store(name)
    store: TokenStore
    if isinstance(native, _core.SqliteTokenStore):
        sqlite = SqliteStore.__new__(SqliteStore)
        sqlite._set(native)
        store = sqlite
    elif isinstance(native, _core.PostgresTokenStore):
        postgres = PostgresStore.__new__(PostgresStore)
        postgres._conninfo = name
        postgres._set(native)
        store = postgres
    elif isinstance(native, _core.FileTokenStore):
        files = FileStore.__new__(FileStore)
        files._set(native)
        store = files
    else:
        memory = MemoryStore.__new__(MemoryStore)
        memory._native = native
        store = memory
    return store


# --- a connection string, without anything secret --------------------------------------------

# A URI that splits one way only: at most one "@", and none of "/?#@" or whitespace in the
# user and password. Anything else is shown as hidden rather than guessed at.
_URI = re.compile(
    r"(?P<scheme>postgres(?:ql)?)://(?:(?P<user>[^:@/?#\s]*)(?::[^@/?#\s]*)?@)?"
    r"(?P<hosts>[^/?#@\s]*)(?:/(?P<dbname>[^?#@\s]*))?(?:[?#][^@]*)?",
    re.IGNORECASE,
)
_KEYWORD = re.compile(r"\s*(?P<key>\w+)\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'|[^'\s]\S*|)\s*")
_SHOWN = ("host", "hostaddr", "port", "dbname", "user")


def _describe_conninfo(conninfo: str) -> str:
    """Where a connection string points (hosts, database, user), never its password or any
    other parameter: "postgresql://app@db.example.com/app", or "host='db' dbname='app'"."""
    uri = _URI.fullmatch(conninfo)
    if uri is not None and conninfo.count("@") <= 1:
        user = f"{uri['user']}@" if uri["user"] else ""
        dbname = f"/{uri['dbname']}" if uri["dbname"] else ""
        return repr(f"{uri['scheme']}://{user}{uri['hosts']}{dbname}")
    if "://" not in conninfo:
        shown: list[str] = []
        position = 0
        while position < len(conninfo):
            keyword = _KEYWORD.match(conninfo, position)
            if keyword is None or keyword.end() == position:
                break
            if keyword["key"].lower() in _SHOWN:
                shown.append(f"{keyword['key']}={keyword['value']}")
            position = keyword.end()
        if position == len(conninfo):
            return repr(" ".join(shown))
    return "<connection string hidden>"


# --- a Python store, as the core sees it --------------------------------------------------------


class _StoreAdapter:
    """Presents a Python store to the core, which speaks in _core.Credentials."""

    __slots__ = ("_store",)

    def __init__(self, store: TokenStore) -> None:
        self._store = store

    def load(self, account: str) -> tuple[_core.Credentials, int] | tuple[_core.Credentials, int, bool] | None:
        found = self._store.load(account)
        if found is None:
            return None
        if not (isinstance(found, tuple) and len(found) in (2, 3)):
            raise TypeError(f"load() must return (Credentials, int) or None, not {type(found).__name__}")
        credentials, version = found[0], found[1]
        if not isinstance(credentials, Credentials) or not isinstance(version, int):
            raise TypeError("load() must return (Credentials, int) or None")
        if len(found) == 3:
            marked = found[2]
            if not isinstance(marked, bool):
                raise TypeError("load()'s third item (reauthorization required) must be a bool")
            return credentials._native, version, marked
        return credentials._native, version

    def insert(self, account: str, credentials: _core.Credentials) -> int | None:
        return self._store.insert(account, Credentials._wrap(credentials))

    def save(self, account: str, credentials: _core.Credentials, expected_version: int) -> int | None:
        return self._store.save(account, Credentials._wrap(credentials), expected_version)

    def replace(self, account: str, credentials: _core.Credentials) -> int:
        return self._store.replace(account, Credentials._wrap(credentials))

    def remove(self, account: str) -> bool:
        return self._store.remove(account)


class _LeasingStoreAdapter(_StoreAdapter):
    """A Python store with the lease methods (the core uses the lease because they are here)."""

    __slots__ = ("_leases",)

    def __init__(self, store: LeasingTokenStore) -> None:
        super().__init__(store)
        self._leases = store

    def claim(
        self, account: str, expected_version: int, owner: str, ttl: float
    ) -> tuple[str, _core.Credentials | None, int, int, float]:
        result = self._leases.claim(account, expected_version, owner, ttl)
        if not isinstance(result, LeaseClaim):
            raise TypeError(f"claim() must return a calbridge.LeaseClaim, not {type(result).__name__}")
        native = None if result.credentials is None else result.credentials._native
        return result.status.value, native, result.version, result.epoch, float(result.remaining)

    def renew(self, account: str, epoch: int, ttl: float) -> bool:
        return bool(self._leases.renew(account, epoch, ttl))

    def release(self, account: str, epoch: int) -> None:
        self._leases.release(account, epoch)

    def mark_reauthorization_required(self, account: str, expected_version: int) -> bool:
        return bool(self._leases.mark_reauthorization_required(account, expected_version))


class _NotifyingStoreAdapter(_LeasingStoreAdapter):
    """A leasing Python store that can also wait for a change (the core waits instead of polling)."""

    __slots__ = ()

    def wait_for_change(self, account: str, version: int, timeout: float) -> bool:
        wait = getattr(self._leases, "wait_for_change")
        return bool(wait(account, version, timeout))


def _for_core(store: TokenStore | None) -> _core.TokenStore | _StoreAdapter | None:
    """What _core.Client takes as its store."""
    if store is None:
        return None
    if isinstance(store, _NativeStore):
        return store._native
    for method in ("load", "insert", "save", "replace", "remove"):
        if not callable(getattr(store, method, None)):
            raise TypeError(f"a token store needs a {method}() method ({type(store).__name__} has none)")
    present = [m for m in _LEASE_METHODS if callable(getattr(store, m, None))]
    if not present:
        if callable(getattr(store, "wait_for_change", None)):
            raise TypeError(
                f"{type(store).__name__} has wait_for_change() without the lease methods "
                f"({', '.join(_LEASE_METHODS)})"
            )
        return _StoreAdapter(store)
    if len(present) != len(_LEASE_METHODS):
        missing = [m for m in _LEASE_METHODS if m not in present]
        raise TypeError(
            f"a leasing token store needs all of {', '.join(_LEASE_METHODS)}: {type(store).__name__} "
            f"has {', '.join(present)} but not {', '.join(missing)} (or define none: a store of one process)"
        )
    leasing: LeasingTokenStore = store  # type: ignore[assignment]
    if callable(getattr(store, "wait_for_change", None)):
        return _NotifyingStoreAdapter(leasing)
    return _LeasingStoreAdapter(leasing)
