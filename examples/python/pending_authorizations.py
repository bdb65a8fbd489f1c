"""The pending authorizations of the web examples (flask_app.py, fastapi_app.py): what a worker
needs to complete a redirect back that another worker's link started, in a table of the SQLite
file the workers share."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import calbridge
from sqlite_tables import transaction


class PendingAuthorizations:
    """Authorization requests between the link and the redirect back, in a table of the shared
    SQLite file: any worker takes what another one put. Server-side on purpose: each row holds
    a PKCE code verifier."""

    def __init__(self, path: str) -> None:
        self.path = path
        with transaction(self.path) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS pending_authorizations"
                " (state TEXT PRIMARY KEY, request TEXT NOT NULL, expires_at REAL NOT NULL)"
            )

    def put(self, auth: calbridge.AuthorizationRequest, max_age: timedelta) -> None:
        now = time.time()
        with transaction(self.path) as db:
            db.execute("DELETE FROM pending_authorizations WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT INTO pending_authorizations (state, request, expires_at) VALUES (?, ?, ?)",
                (auth.state, json.dumps(auth.to_dict()), now + max_age.total_seconds()),
            )

    def take(self, state: str) -> calbridge.AuthorizationRequest | None:
        """The request made with this state, removed (a redirect back is used once); None when
        there is none, it was used already, or it expired."""
        with transaction(self.path) as db:
            row = db.execute(
                "DELETE FROM pending_authorizations WHERE state = ? AND expires_at > ? RETURNING request",
                (state, time.time()),
            ).fetchone()
        if row is None:
            return None
        return calbridge.AuthorizationRequest.from_dict(json.loads(row[0]))
