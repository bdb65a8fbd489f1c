"""httpx with a bearer header (keep-alive): the hand-rolled option.

Tokens live in an httpx.Auth following httpx's documented custom-auth pattern (docs
"Authentication > Custom authentication schemes"): send with the bearer token; on a 401, send
a refresh request, take the new tokens, and resend. One httpx.Client per application, shared
by every user, as httpx's docs recommend.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from typing import Any, Generator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import httpx  # noqa: E402

from common import CheckFailed, Spec, check_calendar_ids, main, memory_token, redirect_code  # noqa: E402


class BearerWithRefresh(httpx.Auth):
    requires_response_body = True

    def __init__(self, peer: "Peer", token: dict[str, Any]) -> None:
        self.peer = peer
        self.access_token: str = token["access_token"]
        self.refresh_token: str = token["refresh_token"]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self.access_token
        response = yield request
        if response.status_code == 401:
            refresh = yield httpx.Request(
                "POST",
                self.peer.token_endpoint,
                data={
                    "grant_type": "refresh_token",
                    "client_id": self.peer.spec["client_id"],
                    "client_secret": self.peer.spec["client_secret"],
                    "refresh_token": self.refresh_token,
                },
            )
            refresh.raise_for_status()
            body = refresh.json()
            self.access_token = body["access_token"]
            self.refresh_token = body.get("refresh_token", self.refresh_token)
            self.peer.count_refresh()
            request.headers["Authorization"] = "Bearer " + self.access_token
            yield request


class Peer:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.api = spec["api_url"]
        self.token_endpoint = spec["api_url"] + "/oauth/token"
        self.client = httpx.Client(verify=ssl.create_default_context(cafile=spec["ca_file"]), http2=False)
        self.refreshes = 0
        self.lock = threading.Lock()

    def count_refresh(self) -> None:
        with self.lock:
            self.refreshes += 1

    def version(self) -> str:
        return httpx.__version__

    def session(self, token: dict[str, Any]) -> BearerWithRefresh:
        return BearerWithRefresh(self, token)

    def calendars(self, auth: BearerWithRefresh) -> None:
        r = self.client.get(self.api + "/v1/calendars", auth=auth)
        r.raise_for_status()
        check_calendar_ids([c["calendar_id"] for c in r.json()["calendars"]], self.spec)

    def storm_session(self, token: dict[str, Any]) -> BearerWithRefresh:
        return self.session(token)

    def storm_call(self, auth: BearerWithRefresh) -> None:
        self.calendars(auth)

    def refreshes_seen(self) -> int:
        return self.refreshes

    def connect_app(self) -> httpx.Client:
        return self.client

    def connect_flow(self, client: httpx.Client, redirect_url: str) -> None:
        code = redirect_code(redirect_url, self.spec["state"])
        r = client.post(
            self.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "client_id": self.spec["client_id"],
                "client_secret": self.spec["client_secret"],
                "code": code,
                "redirect_uri": self.spec["redirect_uri"],
            },
        )
        r.raise_for_status()
        body = r.json()
        token = {"access_token": body["access_token"], "refresh_token": body["refresh_token"]}
        self.calendars(BearerWithRefresh(self, token))

    def read_events(self, auth: BearerWithRefresh) -> int:
        r = self.client.get(
            self.api + "/v1/events",
            params={"tzid": "Etc/UTC", "from": self.spec["events_from"], "to": self.spec["events_to"]},
            auth=auth,
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
            r = self.client.get(next_page, auth=auth)

    def memory_session(self, i: int) -> BearerWithRefresh:
        return BearerWithRefresh(self, memory_token(self.spec, i))

    def transport_stats(self) -> dict[str, Any]:
        return {}


if __name__ == "__main__":
    main(Peer)
