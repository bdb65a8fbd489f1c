"""Where credentials live between calls and processes.

A store gives each account's credentials a version; calbridge writes a refreshed token with
compare-and-swap on the version it read, *before* the new access token is used, so a rotated
refresh token is never lost. Three choices:

* :class:`MemoryStore` (the default): this process only.
* :class:`FileStore`: one file per account (mode 0600, atomic rename), shared by processes.
* your own: any object with the five methods of :class:`TokenStore` (a database, Redis...).
  calbridge calls them on the thread making the call; they must be thread-safe.
"""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

from . import _core
from .credentials import Credentials

__all__ = ["TokenStore", "MemoryStore", "FileStore"]


@runtime_checkable
class TokenStore(Protocol):
    """What calbridge needs from a token store. Versions start at 1 and every successful
    write increments them. Raise anything to fail (calbridge raises :class:`~calbridge.StoreError`
    with your exception as ``__cause__``); a version conflict is not a failure but a ``None``."""

    def load(self, account: str) -> tuple[Credentials, int] | None:
        """The account's credentials and their version, or None."""
        ...

    def insert(self, account: str, credentials: Credentials) -> int | None:
        """Stores the credentials only if the account has none: the new version (1), or None."""
        ...

    def save(self, account: str, credentials: Credentials, expected_version: int) -> int | None:
        """Compare-and-swap: writes only if the stored version is still ``expected_version``.
        The new version, or None on a conflict (someone else wrote first, or it was removed)."""
        ...

    def replace(self, account: str, credentials: Credentials) -> int:
        """Unconditional write (a new authorization). The new version."""
        ...

    def remove(self, account: str) -> bool:
        """False when there was nothing to remove."""
        ...


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


class MemoryStore(_NativeStore):
    """Credentials in this process's memory (the default)."""

    __slots__ = ()

    def __init__(self) -> None:
        self._native = _core.MemoryTokenStore()

    def __repr__(self) -> str:
        return "MemoryStore()"


class FileStore(_NativeStore):
    """One JSON file per account in ``directory`` (created 0700), files 0600, written
    atomically; writers in several processes are serialised per account (flock)."""

    __slots__ = ("_file",)
    _file: _core.FileTokenStore

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._file = _core.FileTokenStore(os.fspath(directory))
        self._native = self._file

    @property
    def directory(self) -> str:
        return os.fspath(self._file.directory)

    def path_for(self, account: str) -> str:
        """The file an account's credentials are kept in."""
        return os.fspath(self._file.path_for(account))

    def accounts(self) -> list[str]:
        """The accounts with credentials in the directory (read from the files)."""
        found = []
        try:
            names = sorted(os.listdir(self.directory))
        except FileNotFoundError:
            return []
        for name in names:
            if not name.endswith(".json") or name.startswith("."):
                continue
            try:
                with open(os.path.join(self.directory, name), encoding="utf-8") as f:
                    text = f.read()
                found.append(_account_of_stored_file(text))
            except (OSError, ValueError):
                continue
        return [a for a in found if a]

    def __repr__(self) -> str:
        return f"FileStore({self.directory!r})"


def _account_of_stored_file(text: str) -> str:
    import json

    value = json.loads(text)
    if isinstance(value, dict):
        inner = value.get("credentials", value)
        if isinstance(inner, dict):
            account = inner.get("account_id") or inner.get("sub")
            if isinstance(account, str):
                return account
    return ""


class _StoreAdapter:
    """Presents a Python store to the core, which speaks in _core.Credentials."""

    __slots__ = ("_store",)

    def __init__(self, store: TokenStore) -> None:
        self._store = store

    def load(self, account: str) -> tuple[_core.Credentials, int] | None:
        found = self._store.load(account)
        if found is None:
            return None
        if not (isinstance(found, tuple) and len(found) == 2):
            raise TypeError(f"load() must return (Credentials, int) or None, not {type(found).__name__}")
        credentials, version = found
        if not isinstance(credentials, Credentials) or not isinstance(version, int):
            raise TypeError("load() must return (Credentials, int) or None")
        return credentials._native, version

    def insert(self, account: str, credentials: _core.Credentials) -> int | None:
        return self._store.insert(account, Credentials._wrap(credentials))

    def save(self, account: str, credentials: _core.Credentials, expected_version: int) -> int | None:
        return self._store.save(account, Credentials._wrap(credentials), expected_version)

    def replace(self, account: str, credentials: _core.Credentials) -> int:
        return self._store.replace(account, Credentials._wrap(credentials))

    def remove(self, account: str) -> bool:
        return self._store.remove(account)


def _for_core(store: TokenStore | None) -> _core.TokenStore | _StoreAdapter | None:
    """What _core.Client takes as its store."""
    if store is None:
        return None
    if isinstance(store, _NativeStore):
        return store._native
    for method in ("load", "insert", "save", "replace", "remove"):
        if not callable(getattr(store, method, None)):
            raise TypeError(f"a token store needs a {method}() method ({type(store).__name__} has none)")
    return _StoreAdapter(store)
