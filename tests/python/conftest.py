"""The suite runs against the sandbox through the calbridge.testing plugin (enabled in
pyproject.toml's addopts): fixtures calbridge_sandbox, calbridge_client, calbridge_credentials
and calbridge_session; and postgres_url, a PostgreSQL server of the suite's own."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# helpers.py sits next to the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))


# --- a throwaway PostgreSQL server for the PostgreSQL store's tests -----------------------------------


def _postgres_bin() -> str | None:
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A libpq URI (with a password, which the server does not ask for) to a server of its
    own: $CALBRIDGE_TEST_POSTGRES_URL if set, else a cluster initialised in a temporary
    directory and reached over a Unix socket there (as the postgres user when run as root,
    which PostgreSQL refuses to be). Skips when PostgreSQL is not installed."""
    from helpers import POSTGRES_PASSWORD

    given = os.environ.get("CALBRIDGE_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (scripts/setup installs it)")
    workdir = tempfile.mkdtemp(prefix="calbridge-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(workdir, "data")

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    run(os.path.join(bindir, "initdb"), "-D", data, "-A", "trust", "-U", "calbridge", "--no-sync", "-E", "UTF8")
    run(
        os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(workdir, "log"), "-w", "-t", "60",
        "-o", f"-k {workdir} -c listen_addresses='' -F", "start",
    )  # fmt: skip
    try:
        yield f"postgresql://calbridge:{POSTGRES_PASSWORD}@/postgres?host={workdir}"
    finally:
        run(os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(workdir, ignore_errors=True)
