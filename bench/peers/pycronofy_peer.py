"""pycronofy, the intermediary's official Python SDK, pointed at the sandbox.

Configured only through its public settings module (API/app base URLs) and requests' own
REQUESTS_CA_BUNDLE for the sandbox CA. pycronofy calls `requests.get/post` without a
Session, so every call opens a new TLS connection: that is how the SDK works, not a choice of
this benchmark.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pycronofy  # noqa: E402
from pycronofy import settings  # noqa: E402

from common import CheckFailed, Spec, check_calendar_ids, main, memory_token, redirect_code  # noqa: E402


class Peer:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        os.environ["REQUESTS_CA_BUNDLE"] = spec["ca_file"]  # requests reads it at each request
        settings.API_BASE_URL = spec["api_url"]
        settings.APP_BASE_URL = spec["app_url"]
        self.pycronofy = pycronofy  # imported above, so that no scenario's region includes it

    def version(self) -> str:
        return self.pycronofy.__version__

    def _client(self, token: dict[str, Any]) -> Any:
        return self.pycronofy.Client(
            client_id=self.spec["client_id"],
            client_secret=self.spec["client_secret"],
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            token_expiration=dt.datetime.fromtimestamp(token["expires_at"], dt.timezone.utc),
        )

    def session(self, token: dict[str, Any]) -> Any:
        return self._client(token)

    def calendars(self, client: Any) -> None:
        check_calendar_ids([c["calendar_id"] for c in client.list_calendars()], self.spec)

    # storm: the README's pattern, before each call
    #     if cronofy.is_authorization_expired():
    #         cronofy.refresh_authorization()
    def storm_session(self, token: dict[str, Any]) -> Any:
        self.refreshes = 0
        return self._client(token)

    def storm_call(self, client: Any) -> None:
        if client.is_authorization_expired():
            client.refresh_authorization()
            self.refreshes += 1
        self.calendars(client)

    def refreshes_seen(self) -> int:
        return self.refreshes

    # connect: a pycronofy.Client per user, as its README does
    def connect_app(self) -> None:
        return None

    def connect_flow(self, app: None, redirect_url: str) -> None:
        code = redirect_code(redirect_url, self.spec["state"])
        client = self.pycronofy.Client(client_id=self.spec["client_id"], client_secret=self.spec["client_secret"])
        client.get_authorization_from_code(code, redirect_uri=self.spec["redirect_uri"])
        self.calendars(client)

    # events. Booleans are given as "true"/"false": pycronofy passes Python booleans through to
    # requests, which sends "False", and the sandbox accepts only lower case (docs/PROTOCOL.md §5).
    def read_events(self, client: Any) -> int:
        pages = client.read_events(
            from_date=self.spec["events_from"],
            to_date=self.spec["events_to"],
            tzid="Etc/UTC",
            only_managed="false",
            include_managed="true",
            include_deleted="false",
            include_moved="false",
            include_geo="false",
            localized_times="false",
        )
        count = 0
        for event in pages:
            if not event.get("event_uid") or not event.get("start"):
                raise CheckFailed("event without uid or start")
            count += 1
        return count

    def memory_session(self, i: int) -> Any:
        return self._client(memory_token(self.spec, i))

    def transport_stats(self) -> dict[str, Any]:
        return {}


if __name__ == "__main__":
    main(Peer)
