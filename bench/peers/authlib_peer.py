"""Authlib's OAuth2Session over requests: keep-alive, and its own auto-refresh (a token with
`expires_at` and a `token_endpoint` make every request refresh an expired token first)."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import authlib  # noqa: E402
import requests  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402

from common import CheckFailed, Spec, check_calendar_ids, main, memory_token  # noqa: E402


class Peer:
    def __init__(self, spec: Spec) -> None:
        # requests lets these variables override a Session's own `verify`: drop them so the
        # session trusts exactly the sandbox CA, as configured below.
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            os.environ.pop(name, None)
        self.spec = spec
        self.api = spec["api_url"]
        self.token_endpoint = spec["api_url"] + "/oauth/token"
        self.refreshes = 0
        self.lock = threading.Lock()

    def version(self) -> str:
        return f"{authlib.__version__} (requests {requests.__version__})"

    def _updated(self, token: dict[str, Any], refresh_token: str | None = None, access_token: str | None = None) -> None:
        with self.lock:
            self.refreshes += 1

    def _session(self, token: dict[str, Any] | None, **extra: Any) -> OAuth2Session:
        session = OAuth2Session(
            self.spec["client_id"],
            self.spec["client_secret"],
            token=None
            if token is None
            else {
                "access_token": token["access_token"],
                "refresh_token": token["refresh_token"],
                "token_type": "bearer",
                "expires_at": token["expires_at"],
                "scope": " ".join(token["scope"]),
            },
            token_endpoint=self.token_endpoint,
            # The intermediary documents credentials in the body (Authlib's default is Basic).
            token_endpoint_auth_method="client_secret_post",
            update_token=self._updated,
            **extra,
        )
        session.verify = self.spec["ca_file"]
        return session

    def session(self, token: dict[str, Any]) -> OAuth2Session:
        return self._session(token)

    def calendars(self, session: OAuth2Session) -> None:
        r = session.get(self.api + "/v1/calendars")
        r.raise_for_status()
        check_calendar_ids([c["calendar_id"] for c in r.json()["calendars"]], self.spec)

    # storm: Authlib's documented pattern is the session's auto-refresh on every request
    def storm_session(self, token: dict[str, Any]) -> OAuth2Session:
        return self._session(token)

    def storm_call(self, session: OAuth2Session) -> None:
        self.calendars(session)

    def refreshes_seen(self) -> int:
        return self.refreshes

    # connect: an OAuth2Session per authorization, as Authlib's web-flow docs do
    def connect_app(self) -> None:
        return None

    def connect_flow(self, app: None, redirect_url: str) -> None:
        session = self._session(None, redirect_uri=self.spec["redirect_uri"], state=self.spec["state"])
        session.fetch_token(self.token_endpoint, authorization_response=redirect_url)  # checks state
        self.calendars(session)

    def read_events(self, session: OAuth2Session) -> int:
        r = session.get(
            self.api + "/v1/events",
            params={"tzid": "Etc/UTC", "from": self.spec["events_from"], "to": self.spec["events_to"]},
        )
        count = 0
        while True:
            r.raise_for_status()
            body = r.json()
            for event in body["events"]:
                if not event.get("event_uid") or not event.get("start"):
                    raise CheckFailed("event without uid or start")
                count += 1
            next_page = body.get("pages", {}).get("next_page")
            if not next_page:
                return count
            r = session.get(next_page)

    def memory_session(self, i: int) -> OAuth2Session:
        return self._session(memory_token(self.spec, i))

    def transport_stats(self) -> dict[str, Any]:
        return {}


if __name__ == "__main__":
    main(Peer)
