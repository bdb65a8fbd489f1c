"""End to end against the sandbox (needs its channels and deliveries, issue 12 item 5): create a
channel pointing at a loopback receiver, upsert an event through calbridge, the receiver gets
the signed change notification within a deadline, verifies it with calbridge, and reading
events with last_modified=changes_since returns the change. NOT COMMITTED: written against the
documented protocol before the sandbox side existed."""

from __future__ import annotations

import http.server
import queue
import threading
from collections.abc import Iterator

import pytest

import calbridge

DEADLINE = 15.0


class Receiver:
    def __init__(self) -> None:
        self.pushes: queue.Queue[tuple[str | None, bytes]] = queue.Queue()
        pushes = self.pushes

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                pushes.put((self.headers.get("Cronofy-HMAC-SHA256"), body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, client: calbridge.Client, kind: calbridge.PushType) -> calbridge.PushNotification:
        while True:
            header, body = self.pushes.get(timeout=DEADLINE)  # queue.Empty past the deadline: a failure
            n = client.verify_push(header, body)
            if n.type is kind:
                return n

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_channel_push_verify_then_read_the_change(
    calbridge_client: calbridge.Client, calbridge_session: calbridge.Session, receiver: Receiver
) -> None:
    channel = calbridge_session.create_channel(receiver.url)
    assert channel.channel_id
    assert channel.callback_url == receiver.url
    assert [c.channel_id for c in calbridge_session.list_channels()] == [channel.channel_id]
    receiver.next(calbridge_client, calbridge.PushType.VERIFICATION)

    calbridge_session.upsert_event(
        "cal_sandbox_primary",
        {"event_id": "push-e2e", "summary": "Pushed", "start": "2026-12-10T09:00:00Z", "end": "2026-12-10T10:00:00Z"},
    )
    change = receiver.next(calbridge_client, calbridge.PushType.CHANGE)
    assert change.channel is not None and change.channel.channel_id == channel.channel_id
    assert change.changes_since is not None
    events = list(calbridge_session.events(last_modified=change.changes_since, from_="2026-12-01", to="2026-12-31",
                                           include_managed=True))  # events this application wrote are "managed"
    assert "push-e2e" in [e.event_id for e in events]

    calbridge_session.close_channel(channel.channel_id)
    assert calbridge_session.list_channels() == []
