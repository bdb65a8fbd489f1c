"""The loopback redirect receiver of ``calbridge connect`` (RFC 8252 §7.3): a one-shot HTTP
server on 127.0.0.1 that waits for the browser to come back with the right state."""

from __future__ import annotations

import html
import http.server
import socket
import threading
import urllib.parse
from dataclasses import dataclass

__all__ = ["RedirectReceiver"]

_DONE_PAGE = """<!doctype html><meta charset="utf-8"><title>calbridge</title>
<body style="font-family:sans-serif;margin:3em"><h1>{title}</h1><p>{text}</p></body>"""


class _IPv6Server(http.server.HTTPServer):
    address_family = socket.AF_INET6


@dataclass
class _Outcome:
    url: str


class RedirectReceiver:
    """Listens on ``host:port`` (port 0: any free one) for ``GET {path}?...&state={state}``."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, path: str = "/callback") -> None:
        self._path = path
        self._public_uri: str | None = None
        self._expected_state: str | None = None
        self._outcome: _Outcome | None = None
        self._arrived = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                receiver._handle(self)

            def log_message(self, format: str, *args: object) -> None:  # the query has the code
                pass

        server_class = _IPv6Server if ":" in host else http.server.HTTPServer
        self._server = server_class((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="calbridge-redirect", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @classmethod
    def for_redirect_uri(cls, redirect_uri: str) -> RedirectReceiver:
        """A receiver for a registered loopback redirect URI ("http://localhost:8080/cb")."""
        parts = urllib.parse.urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1") or not parts.port:
            raise ValueError("--redirect-uri must be http://127.0.0.1:PORT/... or http://localhost:PORT/...")
        host = "::1" if parts.hostname == "::1" else "127.0.0.1"
        receiver = cls(host=host, port=parts.port, path=parts.path or "/")
        receiver._public_uri = redirect_uri
        return receiver

    @property
    def redirect_uri(self) -> str:
        """What goes into the authorization URL (and, byte-identical, into the exchange)."""
        if self._public_uri is not None:
            return self._public_uri
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}{self._path}"

    def start(self, expected_state: str) -> None:
        self._expected_state = expected_state
        self._thread.start()

    def wait(self, timeout: float) -> str | None:
        """The full URL the browser came back to, or None after ``timeout`` seconds."""
        # Short waits, so that Ctrl-C is handled at once.
        remaining = timeout
        while remaining > 0:
            if self._arrived.wait(min(remaining, 0.25)):
                return self._outcome.url if self._outcome else None
            remaining -= 0.25
        return None

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def _handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(request.path)
        query = urllib.parse.parse_qs(parts.query)
        if parts.path != self._path:
            self._reply(request, 404, "Not found", "This is calbridge's redirect receiver.")
            return
        if query.get("state") != [self._expected_state]:
            # Not our flow (an old tab, or a forged request): keep waiting for the right one.
            self._reply(request, 400, "Unexpected request", "This redirect does not belong to the running connect.")
            return
        if "error" in query:
            title, text = "Not connected", "The authorization was refused: " + html.escape(query["error"][0])
        else:
            title, text = "Connected", "You can close this window and return to the terminal."
        self._reply(request, 200, title, text)
        self._outcome = _Outcome(url=self.redirect_uri.split("?")[0] + "?" + parts.query)
        self._arrived.set()

    @staticmethod
    def _reply(request: http.server.BaseHTTPRequestHandler, status: int, title: str, text: str) -> None:
        body = _DONE_PAGE.format(title=html.escape(title), text=text).encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-store")
        request.end_headers()
        request.wfile.write(body)
