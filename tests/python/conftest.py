"""The suite runs against the sandbox through the calbridge.testing plugin (enabled in
pyproject.toml's addopts): fixtures calbridge_sandbox, calbridge_client, calbridge_credentials
and calbridge_session; and postgres_url, a PostgreSQL server of the suite's own."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# helpers.py sits next to the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))


# --- a throwaway PostgreSQL server for the PostgreSQL store's tests -----------------------------------

# The project's test server harness (tests/support/postgres_cluster.py), shared with the C++ and
# multi-process suites.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A libpq URI to a server of the suite's own, started here (never one found running), with
    a password in it that the server (trust authentication, loopback only) does not ask for: it
    must still never show in a repr or a message. $CALBRIDGE_TEST_POSTGRES_URL overrides it."""
    import postgres_cluster
    from helpers import POSTGRES_PASSWORD

    given = os.environ.get("CALBRIDGE_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    directory = tempfile.mkdtemp(prefix="calbridge-pg-")
    url = postgres_cluster.start(directory)
    try:
        yield url.replace("://postgres@", f"://postgres:{POSTGRES_PASSWORD}@", 1)
    finally:
        postgres_cluster.stop(directory)
