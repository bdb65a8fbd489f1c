"""A plain RFC 6749 authorization server on loopback HTTPS, for the tests: oauthlib's
WebApplicationServer (a server implementation this project did not write) behind
http.server, with an in-memory database and a certificate authority of its own.

It is what a standard OAuth2 server does, not what the calendar intermediary does:

- GET  /oauth/authorize      approves at once for one fixed user and redirects to the
                             client's redirect URI with code and state (oauthlib);
- POST /oauth/token          form-encoded only (a JSON body is a 400 invalid_request);
                             authorization_code and refresh_token grants; the client
                             authenticates in the body (client_secret_post) or with HTTP Basic
                             (client_secret_basic, RFC 6749 §2.3.1: base64, then each half
                             form-decoded); replies carry token_type "Bearer" and neither
                             account_id nor sub; every refresh rotates the refresh token and
                             the old one stops working;
- POST /oauth/token/revoke   RFC 7009 (oauthlib's RevocationEndpoint): 200, also for a token
                             it does not know; revoking a refresh token ends its whole grant;
- GET  /api/me               a resource that needs a valid bearer token (401 otherwise).

The switches a test turns: `expire_access_tokens()` makes every access token issued so far
answer 401 (as an expiry the client could not know of), `token_type` replaces the type the
token endpoint reports. The counters and the database are for the test's assertions.

    with Rfc6749Server(directory, client_id="app", client_secret="a secret") as server:
        server.url, server.ca_file, server.refreshes, server.revocations, ...

Standard library plus oauthlib; the certificates come from the openssl command.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from oauthlib.common import Request
from oauthlib.oauth2 import RequestValidator, WebApplicationServer

USER = "user-42"


@dataclass
class _Client:
    client_id: str


@dataclass
class _Grant:
    """One authorization: its refresh token (the current one) and its access tokens."""

    user: str
    scopes: list[str]
    refresh_token: str | None = None
    access_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signs for 127.0.0.1 and localhost: (ca, cert, key) files."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "server.ext"
    ext.write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
    )

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca_cert), "-days", "2",
            "-subj", "/CN=rfc6749 test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    openssl("req", "-new", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(cert), "-days", "2", "-extfile", str(ext))  # fmt: skip
    return ca_cert, cert, key


class _Validator(RequestValidator):  # type: ignore[misc]
    """The in-memory database behind oauthlib: one client, codes, grants, tokens."""

    def __init__(self, server: Rfc6749Server) -> None:
        super().__init__()
        self.s = server

    # --- clients ---------------------------------------------------------------------------
    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        return True

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            # RFC 6749 §2.3.1: client id and secret are form-encoded, joined by ":", base64'd.
            try:
                raw = base64.b64decode(header[6:], validate=True).decode("utf-8")
            except ValueError:
                return False
            client_id, sep, secret = raw.partition(":")
            if not sep:
                return False
            client_id, secret = urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
            method = "client_secret_basic"
        else:
            client_id, secret = request.client_id or "", request.client_secret or ""
            method = "client_secret_post"
        with self.s.lock:
            self.s.authentications.append(method)
        if not secrets.compare_digest(client_id.encode(), self.s.client_id.encode()) or not secrets.compare_digest(
            secret.encode(), self.s.client_secret.encode()
        ):
            with self.s.lock:
                self.s.failed_authentications += 1
            return False
        request.client = _Client(client_id)
        request.client_id = client_id
        return True

    def authenticate_client_id(self, client_id: str, request: Request, *args: Any, **kwargs: Any) -> bool:
        return False  # public clients are not allowed

    def validate_client_id(self, client_id: str, request: Request, *args: Any, **kwargs: Any) -> bool:
        return client_id == self.s.client_id

    # --- the authorization request -------------------------------------------------------------
    def validate_redirect_uri(self, client_id: str, redirect_uri: str, request: Request, *args: Any, **kwargs: Any) -> bool:
        # RFC 8252 §7.3: any port of a loopback redirect URI.
        parsed = urllib.parse.urlsplit(redirect_uri)
        return parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost")

    def get_default_redirect_uri(self, client_id: str, request: Request, *args: Any, **kwargs: Any) -> str | None:
        return None

    def validate_response_type(self, client_id: str, response_type: str, client: Any, request: Request,
                               *args: Any, **kwargs: Any) -> bool:  # fmt: skip
        return response_type == "code"

    def validate_scopes(self, client_id: str, scopes: list[str], client: Any, request: Request,
                        *args: Any, **kwargs: Any) -> bool:  # fmt: skip
        return all(s in self.s.known_scopes for s in scopes)

    def get_default_scopes(self, client_id: str, request: Request, *args: Any, **kwargs: Any) -> list[str]:
        return ["profile"]

    def save_authorization_code(self, client_id: str, code: dict[str, str], request: Request,
                                *args: Any, **kwargs: Any) -> None:  # fmt: skip
        with self.s.lock:
            self.s.codes[code["code"]] = {
                "client_id": client_id,
                "redirect_uri": request.redirect_uri,
                "scopes": list(request.scopes),
                "user": request.user,
                "challenge": request.code_challenge,
                "challenge_method": request.code_challenge_method,
            }

    def is_pkce_required(self, client_id: str, request: Request) -> bool:
        return False

    def get_code_challenge(self, code: str, request: Request) -> str | None:
        with self.s.lock:
            found = self.s.codes.get(code)
        return None if found is None else found["challenge"]

    def get_code_challenge_method(self, code: str, request: Request) -> str | None:
        with self.s.lock:
            found = self.s.codes.get(code)
        return None if found is None else found["challenge_method"]

    # --- the token endpoint -------------------------------------------------------------------
    def validate_grant_type(self, client_id: str, grant_type: str, client: Any, request: Request,
                            *args: Any, **kwargs: Any) -> bool:  # fmt: skip
        return grant_type in ("authorization_code", "refresh_token")

    def validate_code(self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any) -> bool:
        with self.s.lock:
            found = self.s.codes.get(code)
        if found is None or found["client_id"] != client_id:
            return False
        request.user = found["user"]
        request.scopes = found["scopes"]
        return True

    def confirm_redirect_uri(self, client_id: str, code: str, redirect_uri: str, client: Any, request: Request,
                             *args: Any, **kwargs: Any) -> bool:  # fmt: skip
        with self.s.lock:
            found = self.s.codes.get(code)
        return found is not None and found["redirect_uri"] == redirect_uri

    def invalidate_authorization_code(self, client_id: str, code: str, request: Request, *args: Any, **kwargs: Any) -> None:
        with self.s.lock:
            self.s.codes.pop(code, None)

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any) -> bool:
        with self.s.lock:
            grant = self.s.by_refresh_token.get(refresh_token)
            if grant is None or grant.revoked:
                return False
            request.user = grant.user
            request.calbridge_grant = grant
            return True

    def get_original_scopes(self, refresh_token: str, request: Request, *args: Any, **kwargs: Any) -> list[str]:
        with self.s.lock:
            return list(self.s.by_refresh_token[refresh_token].scopes)

    def rotate_refresh_token(self, request: Request) -> bool:
        return True

    def save_bearer_token(self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any) -> str | None:
        with self.s.lock:
            grant: _Grant | None = getattr(request, "calbridge_grant", None)
            if grant is None:  # a code exchange: a new grant
                grant = _Grant(user=request.user, scopes=list(request.scopes))
                self.s.grants.append(grant)
            else:  # a refresh: the old refresh token stops working (rotation)
                self.s.refreshes += 1
                self.s.rotated.append(grant.refresh_token or "")
                self.s.by_refresh_token.pop(grant.refresh_token or "", None)
            grant.refresh_token = token["refresh_token"]
            grant.access_tokens.add(token["access_token"])
            self.s.by_refresh_token[token["refresh_token"]] = grant
            self.s.by_access_token[token["access_token"]] = grant
        return None

    # --- revocation (RFC 7009) and the resource ---------------------------------------------------
    def revoke_token(self, token: str, token_type_hint: str | None, request: Request, *args: Any, **kwargs: Any) -> None:
        with self.s.lock:
            self.s.revocations.append(token_type_hint)
            grant = self.s.by_refresh_token.get(token) or self.s.by_access_token.get(token)
            if grant is None:
                self.s.unknown_revocations += 1
                return
            if token in grant.access_tokens:  # an access token alone
                grant.access_tokens.discard(token)
                self.s.by_access_token.pop(token, None)
                return
            grant.revoked = True  # a refresh token: the whole grant (RFC 7009 §2.1)
            for access in grant.access_tokens:
                self.s.by_access_token.pop(access, None)
            self.s.by_refresh_token.pop(token, None)

    def validate_bearer_token(self, token: str, scopes: list[str], request: Request) -> bool:
        with self.s.lock:
            grant = self.s.by_access_token.get(token or "")
            if grant is None or grant.revoked or token in self.s.expired:
                return False
            request.user = grant.user
            request.scopes = grant.scopes
            return True


class Rfc6749Server:
    def __init__(self, directory: Path, *, client_id: str, client_secret: str, user: str = USER) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.user = user
        self.known_scopes = {"profile", "email", "calendar"}
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, Any]] = {}
        self.grants: list[_Grant] = []
        self.by_refresh_token: dict[str, _Grant] = {}
        self.by_access_token: dict[str, _Grant] = {}
        self.expired: set[str] = set()
        self.token_type: str | None = None  # None: what oauthlib says ("Bearer")
        # What happened, for the test's assertions.
        self.authentications: list[str] = []  # "client_secret_post" / "client_secret_basic"
        self.failed_authentications = 0
        self.token_requests: list[str] = []  # each grant_type
        self.json_bodies_refused = 0
        self.refreshes = 0
        self.rotated: list[str] = []  # refresh tokens that stopped working by rotation
        self.revocations: list[str | None] = []  # each token_type_hint
        self.unknown_revocations = 0
        self.resource_calls: list[int] = []  # each status of /api/me
        self.issued: list[str] = []  # every token issued (access and refresh)

        self.ca_file, cert, key = make_certificates(directory)
        self.oauth = WebApplicationServer(_Validator(self))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        # The handshake runs on the request's thread, not in the accept loop.
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()

    def __enter__(self) -> Rfc6749Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 from now on."""
        with self.lock:
            self.expired.update(self.by_access_token)

    def current_refresh_token(self) -> str | None:
        with self.lock:
            live = [g for g in self.grants if not g.revoked]
            return live[-1].refresh_token if live else None


def _handler(server: Rfc6749Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, status: int, headers: dict[str, str], body: str) -> None:
            data = body.encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _uri(self) -> str:
            return server.url + self.path

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if path == "/oauth/authorize":
                self._authorize()
            elif path == "/api/me":
                valid, request = server.oauth.verify_request(self._uri(), "GET", None, dict(self.headers), ["profile"])
                with server.lock:
                    server.resource_calls.append(200 if valid else 401)
                if valid:
                    self._reply(200, {"Content-Type": "application/json"}, json.dumps({"user": request.user}))
                else:
                    self._reply(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, "")
            else:
                self._reply(404, {}, "")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            path = urllib.parse.urlsplit(self.path).path
            form = self.headers.get("Content-Type", "").split(";")[0].strip() == "application/x-www-form-urlencoded"
            if path in ("/oauth/token", "/oauth/token/revoke") and not form:
                with server.lock:
                    server.json_bodies_refused += 1
                error = {"error": "invalid_request", "error_description": "the body must be form-encoded"}
                self._reply(400, {"Content-Type": "application/json"}, json.dumps(error))
                return
            if path == "/oauth/token":
                with server.lock:
                    server.token_requests.append(dict(urllib.parse.parse_qsl(body)).get("grant_type", ""))
                headers, text, status = server.oauth.create_token_response(self._uri(), "POST", body, dict(self.headers))
                if status == 200:
                    reply = json.loads(text)
                    with server.lock:
                        server.issued += [reply["access_token"], reply.get("refresh_token", "")]
                    if server.token_type is not None:
                        reply["token_type"] = server.token_type
                    text = json.dumps(reply)
                self._reply(status, headers, text)
            elif path == "/oauth/token/revoke":
                headers, text, status = server.oauth.create_revocation_response(
                    self._uri(), "POST", body, dict(self.headers)
                )
                self._reply(status, headers, text or "")
            else:
                self._reply(404, {}, "")

        def _authorize(self) -> None:
            uri = self._uri()
            scopes, _ = server.oauth.validate_authorization_request(uri, "GET", None, dict(self.headers))
            headers, text, status = server.oauth.create_authorization_response(
                uri, "GET", None, dict(self.headers), scopes=scopes, credentials={"user": server.user}
            )
            self._reply(status, headers, text or "")

        def log_message(self, *args: object) -> None:
            pass

    return Handler
