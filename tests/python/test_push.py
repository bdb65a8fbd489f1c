"""Push notifications: Client.verify_push against signatures computed here with Python's hmac
module (independently of calbridge), bad headers, the typed notification, channel URL checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone

import pytest

import calbridge
from calbridge import PushType

SECRET = "cs-current-secret-for-the-push-tests"
PREVIOUS = "cs-previous-secret-for-the-push-tests"
BODY = (
    b'{"notification":{"type":"change","changes_since":"2026-12-01T09:00:00Z"},'
    b'"channel":{"channel_id":"chn_1","callback_url":"https://example.com/push",'
    b'"filters":{"calendar_ids":["cal_1"],"only_managed":true}}}'
)


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def client() -> calbridge.Client:
    # Nothing here talks to a server: the API is a loopback port nobody listens on.
    return calbridge.Client("client-id", SECRET, api_url="http://127.0.0.1:9", app_url="http://127.0.0.1:9")


def test_the_known_vector_verifies_and_reads_typed(client: calbridge.Client) -> None:
    n = client.verify_push(sign(BODY), BODY)
    assert isinstance(n, calbridge.PushNotification)
    assert n.type is PushType.CHANGE
    assert n.type_name == "change"
    assert n.changes_since == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    assert n.channel is not None
    assert n.channel.channel_id == "chn_1"
    assert n.channel.callback_url == "https://example.com/push"
    assert n.channel.filters == calbridge.ChannelFilters(("cal_1",), True)
    assert n.raw_json == BODY.decode()
    assert n.raw["notification"] == {"type": "change", "changes_since": "2026-12-01T09:00:00Z"}
    with pytest.raises(AttributeError):
        n.type_name = "x"  # type: ignore[misc]


def test_a_fixed_vector_computed_by_hand() -> None:
    # base64.b64encode(hmac.new(b"cs-current-secret", BODY2, sha256).digest()), as in the C++ and C tests.
    body = (
        b'{"notification":{"type":"change","changes_since":"2026-12-01T09:00:00Z"},'
        b'"channel":{"channel_id":"chn_1","callback_url":"https://example.com/push","filters":{}}}'
    )
    c = calbridge.Client("client-id", "cs-current-secret", api_url="http://127.0.0.1:9", app_url="http://127.0.0.1:9")
    assert c.verify_push("2nqhijdNFN7JDc8GGhtr27UBnwfsAKHwxp962CYaMwU=", body).type is PushType.CHANGE


def test_two_values_where_only_the_second_matches(client: calbridge.Client) -> None:
    assert client.verify_push(f"{sign(BODY, PREVIOUS)}, {sign(BODY)}", BODY).type is PushType.CHANGE
    # A rotated secret: the old one given as previous.
    assert client.verify_push(sign(BODY, PREVIOUS), BODY, previous_secrets=[PREVIOUS]).type is PushType.CHANGE


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", ",", "not base64!", "sha256=abc", "," * 10_000, "A" * (1 << 20)],
    ids=["missing", "empty", "blank", "comma", "garbage", "prefixed", "10000-commas", "huge"],
)
def test_bad_headers_are_invalid_signatures(client: calbridge.Client, header: str | None) -> None:
    with pytest.raises(calbridge.InvalidSignatureError) as caught:
        client.verify_push(header, BODY)
    assert caught.value.code == calbridge.ErrorCode.INVALID_SIGNATURE
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_tampered_body_and_wrong_secret(client: calbridge.Client) -> None:
    with pytest.raises(calbridge.InvalidSignatureError):
        client.verify_push(sign(BODY), BODY.replace(b"chn_1", b"chn_2"))
    with pytest.raises(calbridge.InvalidSignatureError) as caught:
        client.verify_push(sign(BODY, "another-secret"), BODY)
    assert SECRET not in str(caught.value)
    assert sign(BODY) not in str(caught.value)


def test_a_body_of_10_mib(client: calbridge.Client) -> None:
    big = b'{"notification":{"type":"change"},"pad":"' + b"x" * (10 * 1024 * 1024) + b'"}'
    assert client.verify_push(sign(big), big).type is PushType.CHANGE
    with pytest.raises(calbridge.InvalidSignatureError):
        client.verify_push(sign(big), big[:-2] + b'y"}')


def test_the_body_must_be_bytes(client: calbridge.Client) -> None:
    with pytest.raises(TypeError):
        client.verify_push(sign(BODY), BODY.decode())  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [t for t in PushType if t is not PushType.UNKNOWN])
def test_every_notification_type(client: calbridge.Client, kind: PushType) -> None:
    body = b'{"notification":{"type":"%s"}}' % kind.value.encode()
    n = client.verify_push(sign(body), body)
    assert n.type is kind
    assert n.type_name == kind.value
    assert n.changes_since is None
    assert n.channel is None


def test_an_unknown_type_is_kept(client: calbridge.Client) -> None:
    body = b'{"notification":{"type":"calendar_moved"}}'
    n = client.verify_push(sign(body), body)
    assert n.type is PushType.UNKNOWN
    assert n.type_name == "calendar_moved"


def test_a_signed_body_that_is_not_a_notification_is_a_protocol_error(client: calbridge.Client) -> None:
    for body in (b"{", b"[]", b"{}", b'{"notification":{"type":"change","changes_since":"soon"}}'):
        with pytest.raises(calbridge.ProtocolError):
            client.verify_push(sign(body), body)
    with pytest.raises(calbridge.ProtocolError):
        calbridge.parse_push(b"{")


def test_the_repr_of_a_notification_leaves_the_raw_body_out(client: calbridge.Client) -> None:
    n = client.verify_push(sign(BODY), BODY)
    assert "chn_1" in repr(n)
    assert "raw_json" not in repr(n)


def test_channel_urls_are_checked_before_anything_is_sent(client: calbridge.Client) -> None:
    creds = calbridge.Credentials.from_json('{"access_token": "at", "refresh_token": "rt", "account_id": "acc"}')
    session = client.session(creds)
    for url in ("http://example.com/push", "https://example.com/" + "a" * 200, "", "ftp://example.com/x"):
        with pytest.raises(calbridge.InvalidArgumentError):
            session.create_channel(url)
    with pytest.raises(calbridge.InvalidArgumentError):
        session.close_channel("")
    with pytest.raises(TypeError):
        session.create_channel("https://example.com/push", calendar_ids="cal_1")


class _ScriptedApi:
    """A loopback API that answers the channel calls with fixed replies and records requests."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.requests: list[tuple[str, str, bytes]] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or "0")
                requests.append((self.command, self.path, self.rfile.read(length) if length else b""))

            def do_POST(self) -> None:  # noqa: N802
                self._record()
                self._reply(
                    200,
                    b'{"channel":{"channel_id":"chn_1","callback_url":"https://example.com/push",'
                    b'"filters":{"calendar_ids":["cal_1"],"only_managed":true}}}',
                )

            def do_GET(self) -> None:  # noqa: N802
                self._record()
                self._reply(200, b'{"channels":[{"channel_id":"chn_1","callback_url":"https://example.com/push"}]}')

            def do_DELETE(self) -> None:  # noqa: N802
                self._record()
                self._reply(202, b"")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_channel_calls_send_the_documented_requests_and_read_typed_channels() -> None:
    import json

    api = _ScriptedApi()
    try:
        c = calbridge.Client("client-id", SECRET, api_url=api.url, app_url=api.url, max_retries=0)
        creds = calbridge.Credentials.from_json('{"access_token": "at", "refresh_token": "rt", "account_id": "acc"}')
        session = c.session(creds)
        channel = session.create_channel("https://example.com/push", calendar_ids=["cal_1"], only_managed=True)
        assert channel == calbridge.Channel(
            "chn_1", "https://example.com/push", calbridge.ChannelFilters(("cal_1",), True), channel.raw_json
        )
        assert channel.raw["channel_id"] == "chn_1"
        listed = session.list_channels()
        assert [(ch.channel_id, ch.filters) for ch in listed] == [("chn_1", calbridge.ChannelFilters())]
        session.close_channel("chn/1")
    finally:
        api.close()
    method, path, body = api.requests[0]
    assert (method, path) == ("POST", "/v1/channels")
    assert json.loads(body) == {
        "callback_url": "https://example.com/push",
        "filters": {"calendar_ids": ["cal_1"], "only_managed": True},
    }
    assert [(m, p) for m, p, _ in api.requests[1:]] == [("GET", "/v1/channels"), ("DELETE", "/v1/channels/chn%2F1")]
