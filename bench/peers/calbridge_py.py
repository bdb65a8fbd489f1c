"""calbridge from Python: one Client per application, one Session per user, typed results."""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import calbridge  # noqa: E402

from common import CheckFailed, Spec, check_calendar_ids, main, memory_token  # noqa: E402


class Peer:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.refreshes = 0
        self.client = calbridge.Client(
            spec["client_id"],
            spec["client_secret"],
            api_url=spec["api_url"],
            app_url=spec["app_url"],
            ca_file=spec["ca_file"],
            on_refresh=self._refreshed,
        )

    def _refreshed(self, credentials: calbridge.Credentials) -> None:
        self.refreshes += 1

    def version(self) -> str:
        return calbridge.__version__

    def _credentials(self, token: dict[str, Any]) -> calbridge.Credentials:
        return calbridge.Credentials(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            scope=token["scope"],
            expires_at=token["expires_at"],
            account_id=token["account_id"],
            sub=token["account_id"],
        )

    # sequential, threads
    def session(self, token: dict[str, Any]) -> calbridge.Session:
        return self.client.session(self._credentials(token))

    def calendars(self, session: calbridge.Session) -> None:
        check_calendar_ids([c.calendar_id for c in session.calendars()], self.spec)

    # storm: the documented pattern is just calling; the session refreshes once for everyone
    def storm_session(self, token: dict[str, Any]) -> calbridge.Session:
        return self.session(token)

    def storm_call(self, session: calbridge.Session) -> None:
        self.calendars(session)

    def refreshes_seen(self) -> int:
        return self.refreshes

    # connect
    def connect_app(self) -> calbridge.Client:
        return self.client

    def connect_flow(self, client: calbridge.Client, redirect_url: str) -> None:
        credentials = client.complete_authorization(
            redirect_url, expected_state=self.spec["state"], redirect_uri=self.spec["redirect_uri"]
        )
        self.calendars(client.session(credentials))

    # events
    def read_events(self, session: calbridge.Session) -> int:
        count = 0
        for event in session.events(from_=self.spec["events_from"], to=self.spec["events_to"], tzid="Etc/UTC"):
            if not event.event_uid or event.start is None:
                raise CheckFailed("event without uid or start")
            count += 1
        return count

    # memory
    def memory_session(self, i: int) -> calbridge.Session:
        session = self.client.session(self._credentials(memory_token(self.spec, i)))
        session.credentials()  # live: loaded into the client's account state (no I/O)
        return session

    def transport_stats(self) -> dict[str, Any]:
        """The transport's own counters (Client.transport_stats())."""
        stats = self.client.transport_stats()
        return {
            "transport_requests": stats.requests,
            "transport_connections": stats.connections_opened,
            "transport_handshakes": stats.tls_handshakes,
        }


def factory(spec: Spec) -> Peer:
    return Peer(spec)


if __name__ == "__main__":
    main(factory)
