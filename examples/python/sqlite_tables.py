"""How the web examples' tables reach the SQLite file the workers share."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator


@contextlib.contextmanager
def transaction(path: str) -> Iterator[sqlite3.Connection]:
    """One connection per call (requests run on many threads and processes): what is done in
    the block is committed (rolled back if it raises), and the connection closed."""
    db = sqlite3.connect(path, timeout=5.0)
    try:
        with db:
            yield db
    finally:
        db.close()
