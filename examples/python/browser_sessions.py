"""Which account each browser connected, for fastapi_app.py: the browser keeps only a random
session id in its cookie; this table of the SQLite file the workers share maps a hash of it
(a leaked database gives no usable cookie away) to the account id."""

from __future__ import annotations

import hashlib
import secrets

from sqlite_tables import transaction


class BrowserSessions:
    """Blocking SQLite calls: run them in a thread from async code."""

    def __init__(self, path: str) -> None:
        self.path = path
        with transaction(self.path) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS browser_sessions (sid_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL)"
            )

    @staticmethod
    def new_id() -> str:
        """A new session id for a browser's cookie (unguessable: it stands for the account)."""
        return secrets.token_urlsafe(32)

    @staticmethod
    def _hash(sid: str) -> str:
        return hashlib.sha256(sid.encode()).hexdigest()

    def account(self, sid: str) -> str | None:
        """The account this browser session connected, if any."""
        with transaction(self.path) as db:
            row = db.execute(
                "SELECT account_id FROM browser_sessions WHERE sid_hash = ?", (self._hash(sid),)
            ).fetchone()
        return None if row is None else str(row[0])

    def connect(self, sid: str, account_id: str) -> None:
        with transaction(self.path) as db:
            db.execute(
                "INSERT OR REPLACE INTO browser_sessions (sid_hash, account_id) VALUES (?, ?)",
                (self._hash(sid), account_id),
            )

    def disconnect(self, sid: str) -> str | None:
        """Forgets the session's account; returns it (None: it had none)."""
        with transaction(self.path) as db:
            row = db.execute(
                "DELETE FROM browser_sessions WHERE sid_hash = ? RETURNING account_id", (self._hash(sid),)
            ).fetchone()
        return None if row is None else str(row[0])
