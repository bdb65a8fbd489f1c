"""A loopback HTTP server that records every request it gets: the "did the browser come
back?" witness of the consent page tests, whatever the path or state."""

from __future__ import annotations

import http.server
import threading
from types import TracebackType


class LoopbackRecorder:
    """Listens on 127.0.0.1 (any free port); ``requests`` lists each request's path and query,
    ``arrived`` is set at the first."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                with recorder._lock:
                    recorder.requests.append(self.path)
                body = b"<!doctype html><html lang=\"en\"><title>recorded</title><h1>recorded</h1></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                recorder.arrived.set()

            def log_message(self, format: str, *args: object) -> None:  # the query has codes
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="loopback-recorder", daemon=True)
        self._thread.start()

    def uri(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def recorded(self) -> list[str]:
        """Each request's path and query (which may hold a code: never print it)."""
        with self._lock:
            return list(self.requests)

    def paths(self) -> list[str]:
        """Each request's path without its query: safe in a failure message."""
        return [r.split("?", 1)[0] for r in self.recorded()]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> LoopbackRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
