"""What the web examples read from the environment alike: the calbridge client (the
intermediary, or a sandbox through CALBRIDGE_API_URL/APP_URL/CA_FILE, with the credentials in
one SQLite file that every worker shares) and the state signer (CALBRIDGE_STATE_KEY, the same in
every worker)."""

from __future__ import annotations

from collections.abc import Mapping

import calbridge


def secret(environ: Mapping[str, str], name: str) -> bytes:
    """The secret in ``name``: at least 32 bytes, or the process stops with a message."""
    value = environ.get(name, "").encode()
    if len(value) < 32:
        raise SystemExit(f"set {name} to a secret of at least 32 bytes, the same for every worker")
    return value


def client(environ: Mapping[str, str], database: str) -> calbridge.Client:
    """The client, its credentials in ``database`` (created 0600 here, before the app's tables)."""
    return calbridge.Client(
        environ["CALBRIDGE_CLIENT_ID"],
        environ["CALBRIDGE_CLIENT_SECRET"],
        data_center=environ.get("CALBRIDGE_DATA_CENTER", "us"),
        api_url=environ.get("CALBRIDGE_API_URL"),
        app_url=environ.get("CALBRIDGE_APP_URL"),
        ca_file=environ.get("CALBRIDGE_CA_FILE"),
        store=calbridge.SqliteStore(database),
    )


def state_signer(environ: Mapping[str, str]) -> calbridge.StateSigner:
    return calbridge.StateSigner(
        secret(environ, "CALBRIDGE_STATE_KEY"), max_age=int(environ.get("CALBRIDGE_STATE_MAX_AGE", "600"))
    )
