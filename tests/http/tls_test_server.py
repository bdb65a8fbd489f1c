#!/usr/bin/env python3
"""A misbehaving HTTPS server on loopback for calbridge's transport tests (standard library only).

Generates its certificates with the `openssl` command into a temporary directory (or reuses
those of `--cert-cache DIR`, made there at most a day ago), listens on
several loopback ports (one per certificate, a plain-HTTP one and an HTTP CONNECT proxy) and
prints one JSON line to stdout: {"ports": {...}, "ca": "...", "dir": "..."}. Runs until its
stdin closes or it gets SIGTERM, then removes the temporary directory.

The behaviour is chosen by the request path (query parameters in brackets):
  /echo                     200, JSON of the request, keep-alive (also HEAD)
  /status?code=N            status N, JSON body
  /hang[?key=K]             reads the request, never answers (counted in /hits?key=K)
  /stall-upload[?key=K]     reads the request header only, never the body; closes after 3 s
                            (counted in /hits?key=K)
  /trickle[?phase=headers]  one byte every 100 ms, of the body (default) or of the headers
  /close-before-response    reads the request, closes the TCP connection
  /close-mid-body           sends the headers and 10 of 1000 body bytes, closes
  /flaky-close?key=K        the first request with key K is answered like /close-before-response,
                            later ones like /echo; /hits?key=K counts them
  /huge-headers?size=N      a header of N bytes
  /huge-body?size=N         a body of N bytes; [&chunked=1] as chunks
  /redirect                 302 to /echo
  /connection-close         /echo with "Connection: close", then closes
  /close-after[?key=K]      /echo (keep-alive by its headers), then closes the connection; the
                            close is counted in /hits?key=K once it has been done
  /early-hints              a 103 response, then /echo
  /malformed                a reply that is not HTTP
  /status?code=NNN          an empty reply with status line "HTTP/1.1 NNN X" (any three digits)
  /hits?key=K[&at_least=N&wait_ms=T]
                            how many times K was counted; with at_least, answers as soon as the
                            count reaches N (or after T ms, 10000 by default, with the count then)
  /stats, /reset            connection, handshake and request counters of the whole server
"""

import fcntl
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings
from http.server import BaseHTTPRequestHandler
from socketserver import TCPServer, ThreadingMixIn

OPENSSL = os.environ.get("CALBRIDGE_OPENSSL", "openssl")
SAN_GOOD = "DNS:localhost,DNS:calbridge.test,IP:127.0.0.1"

LOCK = threading.Lock()
HIT = threading.Condition(LOCK)  # notified whenever HITS changes
STATS = {"connections": 0, "handshakes": 0, "requests": 0, "connects": 0}
HITS = {}
CONNECTION_IDS = iter(range(1, 1 << 62))
SERIALS = iter(range(100, 1 << 30))


def count(name, n=1):
    with LOCK:
        STATS[name] += n


def hit(key):
    with HIT:
        HITS[key] = HITS.get(key, 0) + 1
        HIT.notify_all()
        return HITS[key]


def run_openssl(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_certificates(d):
    """A CA, an unrelated CA, and leaf certificates: good, untrusted, wrong host, expired, and
    one naming the host only in its subject CN."""
    ext = os.path.join(d, "ext.cnf")

    def ca(name):
        run_openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "3", "-subj", f"/CN=calbridge {name}",
                    cwd=d)

    def leaf(name, issuer, san, dates=None, cn=None):
        with open(ext, "w") as f:
            f.write("[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n" + (f"subjectAltName={san}\n" if san else ""))
        run_openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn or name}", cwd=d)
        if dates is None:
            run_openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key",
                        "-set_serial", str(next(SERIALS)), "-days", "2",
                        "-extfile", ext, "-extensions", "v3", "-out", f"{name}.pem", cwd=d)
        else:
            # `openssl x509` cannot date a certificate in the past before OpenSSL 3.4; `openssl ca` can.
            db = os.path.join(d, "ca-db")
            os.makedirs(db, exist_ok=True)
            open(os.path.join(db, "index.txt"), "w").close()
            with open(os.path.join(db, "serial"), "w") as f:
                f.write("1000\n")
            cnf = os.path.join(d, "ca.cnf")
            with open(cnf, "w") as f:
                f.write(f"[ca]\ndefault_ca=test\n[test]\ndir={db}\ndatabase=$dir/index.txt\nserial=$dir/serial\n"
                        "new_certs_dir=$dir\ndefault_md=sha256\npolicy=any\nunique_subject=no\n"
                        "[any]\ncommonName=supplied\n")
            run_openssl("ca", "-batch", "-config", cnf, "-cert", f"{issuer}.pem", "-keyfile", f"{issuer}.key",
                        "-in", f"{name}.csr", "-out", f"{name}.pem", "-notext", "-startdate", dates[0],
                        "-enddate", dates[1], "-extfile", ext, "-extensions", "v3", cwd=d)

    ca("ca")
    ca("other-ca")
    leaf("good", "ca", SAN_GOOD)
    leaf("untrusted", "other-ca", SAN_GOOD)
    leaf("wronghost", "ca", "DNS:wrong.example")
    leaf("expired", "ca", SAN_GOOD, dates=("20200101000000Z", "20200102000000Z"))
    leaf("cnonly", "ca", None, cn="localhost")  # the name only in the subject CN, no SAN


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection is closed after this

    def log_message(self, *args):
        pass

    def setup(self):
        self.connection_id = next(CONNECTION_IDS)
        count("connections")
        ctx = self.server.tls
        self.ok = True
        if ctx is not None:
            self.request.settimeout(10)
            try:
                self.request = ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                self.ok = False
            else:
                count("handshakes")
        super().setup()

    def handle(self):
        if self.ok:
            try:
                super().handle()
            except (ConnectionError, ssl.SSLError, OSError, socket.timeout):
                pass

    # --- helpers -------------------------------------------------------------------------

    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", headers=(), close=False):
        self.send_response_only(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def echo(self, body, status=200, close=False):
        doc = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8", "replace"),
            "connection": self.connection_id,
        }
        self.reply(status, json.dumps(doc).encode(), [("Content-Type", "application/json")], close=close)

    def drop(self):
        """Closes the TCP connection without a TLS close_notify and without replying."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()

    def wait_for_client_close(self, limit=60):
        self.close_connection = True
        self.connection.settimeout(limit)
        try:
            while self.connection.recv(4096):
                pass
        except (OSError, ssl.SSLError):
            pass

    # --- dispatch ------------------------------------------------------------------------

    def do_any(self):
        count("requests")
        if urllib.parse.urlsplit(self.path).path == "/stall-upload":
            # Never reads the body: a large upload fills the socket buffers and the client's
            # writes block.
            key = self.query().get("key")
            if key:
                hit(key)
            self.close_connection = True
            time.sleep(3)
            return
        body = self.read_body()
        path = urllib.parse.urlsplit(self.path).path
        q = self.query()
        if path == "/echo":
            self.echo(body)
        elif path == "/status":
            self.echo(body, status=int(q.get("code", "200")))
        elif path == "/hang":
            if "key" in q:
                hit(q["key"])
            self.wait_for_client_close()
        elif path == "/trickle":
            self.trickle(q.get("phase", "body"))
        elif path == "/close-before-response":
            self.drop()
        elif path == "/close-mid-body":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
            self.wfile.flush()
            self.drop()
        elif path == "/flaky-close":
            key = q.get("key", "")
            if hit(key) == 1:
                self.drop()
            else:
                self.echo(body)
        elif path == "/hits":
            key = q.get("key", "")
            at_least = int(q.get("at_least", "0"))
            give_up = time.monotonic() + int(q.get("wait_ms", "10000")) / 1000
            with HIT:
                HIT.wait_for(lambda: HITS.get(key, 0) >= at_least, timeout=max(0.0, give_up - time.monotonic()))
                n = HITS.get(key, 0)
            self.reply(200, json.dumps({"hits": n}).encode())
        elif path == "/huge-headers":
            self.reply(200, b"{}", [("X-Big", "b" * int(q.get("size", "100000")))])
        elif path == "/huge-body":
            size = int(q.get("size", "1000000"))
            if q.get("chunked"):
                self.send_response_only(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"c" * 65536
                left = size
                while left > 0:
                    n = min(left, len(chunk))
                    self.wfile.write(b"%x\r\n" % n + chunk[:n] + b"\r\n")
                    left -= n
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            else:
                self.reply(200, b"a" * size)
        elif path == "/redirect":
            self.reply(302, b"", [("Location", "/echo")])
        elif path == "/connection-close":
            self.echo(body, close=True)
        elif path == "/close-after":
            self.echo(body)
            self.drop()
            if "key" in q:
                hit(q["key"])
        elif path == "/early-hints":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n")
            self.echo(body)
        elif path == "/status":
            code = self.query().get("code", "200")
            self.wfile.write(b"HTTP/1.1 " + code.encode() + b" X\r\nContent-Length: 0\r\n\r\n")
            self.wfile.flush()
        elif path == "/malformed":
            self.wfile.write(b"HELLO THERE\r\n\r\n")
            self.wfile.flush()
            self.drop()
        elif path == "/stats":
            with LOCK:
                doc = dict(STATS)
            self.reply(200, json.dumps(doc).encode())
        elif path == "/reset":
            with LOCK:
                for k in STATS:
                    STATS[k] = 0
            self.reply(200, b"{}")
        else:
            self.reply(404, b'{"error": "no such mode"}')

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_TRACE = do_any

    def trickle(self, phase):
        if phase == "headers":
            data = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"s" * 10000 + b"\r\nContent-Length: 0\r\n\r\n"
        else:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            data = b"t" * 100000
        self.close_connection = True
        deadline = time.monotonic() + 60
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        except (OSError, ssl.SSLError):
            pass


class ProxyHandler(BaseHTTPRequestHandler):
    """An HTTP CONNECT proxy that maps every host name to 127.0.0.1 (so tests can use a name
    the machine cannot resolve). CONNECT to port 1 is refused with 403; a request carrying
    Proxy-Authorization must carry "Basic dXNlcjpwYXNz" (user:pass), else 407."""

    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, *args):
        pass

    def do_CONNECT(self):
        count("connects")
        host, _, port = self.path.rpartition(":")
        auth = self.headers.get("Proxy-Authorization")
        if auth is not None and auth != "Basic dXNlcjpwYXNz":
            self.send_response_only(407)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if port == "1":
            self.send_response_only(403)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        except OSError:
            self.send_response_only(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response_only(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        client = self.connection
        client.settimeout(None)
        upstream.settimeout(None)

        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        t = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        t.start()
        pump(client, upstream)
        t.join(60)
        upstream.close()


class Server(ThreadingMixIn, TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, handler, tls):
        self.tls = tls
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request, client_address):
        pass


def tls_context(d, name, legacy=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, f"{name}.pem"), os.path.join(d, f"{name}.key"))
    if legacy:
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


CACHE_MAX_AGE = 24 * 3600  # the leaf certificates are valid for two days


def cached_certificates(cache):
    """A private copy of the certificates in `cache`, which are made anew when missing or older
    than a day. Concurrent test processes take turns through a lock file; each works on its own
    copy, so a renewal never changes the files of a server already running."""
    parent = os.path.dirname(os.path.abspath(cache))
    os.makedirs(parent, exist_ok=True)
    with open(cache + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            fresh = time.time() - os.path.getmtime(os.path.join(cache, "complete")) < CACHE_MAX_AGE
            # A cache made before a certificate was added to make_certificates() is not complete.
            fresh = fresh and os.path.exists(os.path.join(cache, "cnonly.pem"))
        except OSError:
            fresh = False
        if not fresh:
            shutil.rmtree(cache, ignore_errors=True)
            os.makedirs(cache)
            make_certificates(cache)
            open(os.path.join(cache, "complete"), "w").close()
        d = tempfile.mkdtemp(prefix="calbridge-tls-")
        for name in os.listdir(cache):
            if name.endswith((".pem", ".key")):
                shutil.copy(os.path.join(cache, name), d)
    return d


def main():
    servers = {}
    if len(sys.argv) > 2 and sys.argv[1] == "--cert-cache":
        d = temporary = cached_certificates(sys.argv[2])
    else:
        d = temporary = tempfile.mkdtemp(prefix="calbridge-tls-")
        make_certificates(d)
    try:
        servers["good"] = Server(Handler, tls_context(d, "good"))
        servers["untrusted"] = Server(Handler, tls_context(d, "untrusted"))
        servers["wronghost"] = Server(Handler, tls_context(d, "wronghost"))
        servers["expired"] = Server(Handler, tls_context(d, "expired"))
        servers["cnonly"] = Server(Handler, tls_context(d, "cnonly"))
        try:
            servers["tls11"] = Server(Handler, tls_context(d, "good", legacy=True))
        except (ssl.SSLError, ValueError):
            pass  # this OpenSSL cannot offer TLS 1.1 at all: the test is skipped
        servers["plain"] = Server(Handler, None)
        servers["proxy"] = Server(ProxyHandler, None)
        for s in servers.values():
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

        stop = threading.Event()

        # The handler must not call stop.set(): it runs on the main thread, which may hold the
        # Event's lock inside stop.wait() at that moment, and would deadlock on it. Raising
        # unwinds the wait (releasing the lock) and still runs the clean-up below.
        def on_signal(*_: object) -> None:
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

        def watch_stdin():
            try:
                sys.stdin.read()
            except OSError:
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
        print(json.dumps({
            "ports": {name: s.server_address[1] for name, s in servers.items()},
            "ca": os.path.join(d, "ca.pem"),
            "other_ca": os.path.join(d, "other-ca.pem"),
            "dir": d,
        }), flush=True)
        stop.wait()
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    os._exit(0)  # daemon threads may sit in blocking calls


if __name__ == "__main__":
    main()
