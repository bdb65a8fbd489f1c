"""The pending authorization: :class:`AuthorizationRequest`, and its server-side form.

Between sending the user's browser away and the redirect back, the application keeps the
request: its state, its redirect URI and, with PKCE, the code verifier. With many workers the
redirect back may reach another process than the one that made the link, so the request must
live in storage every worker reads: :meth:`AuthorizationRequest.to_dict` gives a JSON-ready
dict for a server-side session store, Redis or a database row, and
:meth:`AuthorizationRequest.from_dict` reads it back, checking it.

The dict holds the code verifier under ``"secret"``: it is a secret. Never put the dict in a
client-side (cookie) session: a cookie is readable by the browser and by whatever sees it, and
the verifier is what proves the code exchange comes from the app that made the link.
"""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._types import JSONObject
from .errors import InvalidArgumentError

__all__ = ["AuthorizationRequest", "AUTHORIZATION_REQUEST_FORMAT", "AUTHORIZATION_REQUEST_VERSION"]

#: The ``"format"`` of :meth:`AuthorizationRequest.to_dict`'s dict.
AUTHORIZATION_REQUEST_FORMAT = "calbridge.authorization_request"
#: The ``"version"`` this calbridge writes and reads.
AUTHORIZATION_REQUEST_VERSION = 1

_KEYS = frozenset({"format", "version", "url", "redirect_uri", "state", "secret"})
_SECRET_KEYS = frozenset({"code_verifier"})
# RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~].
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def _malformed(what: str, why: str) -> InvalidArgumentError:
    # Never the value itself: it may be the verifier.
    return InvalidArgumentError(f"authorization request: {what} {why}")


def _text(d: Mapping[str, object], key: str) -> str:
    if key not in d:
        raise _malformed(f"field {key!r}", "is missing")
    value = d[key]
    if not isinstance(value, str) or not value:
        raise _malformed(f"field {key!r}", "must be a non-empty string")
    return value


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class AuthorizationRequest:
    """What :meth:`Client.authorization_url` gives: send the user's browser to ``url``; keep
    the request server-side for the redirect back (one process: in memory; many workers:
    :meth:`to_dict` into shared storage). ``repr()`` hides the verifier."""

    url: str
    state: str
    redirect_uri: str
    code_verifier: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        verifier = "" if self.code_verifier is None else ", code_verifier='****'"
        return f"AuthorizationRequest(url={_without_link_token(self.url)!r}, state={self.state!r}{verifier})"

    def to_dict(self) -> JSONObject:
        """The request as a JSON-ready dict, for SERVER-SIDE storage only (a shared session
        store, Redis, a database row; ``json.dumps`` it as it is). The code verifier is under
        ``"secret"``: never put this dict in a cookie, a URL, a log or the browser's session.

        >>> db.save(state, json.dumps(auth.to_dict()))
        """
        return {
            "format": AUTHORIZATION_REQUEST_FORMAT,
            "version": AUTHORIZATION_REQUEST_VERSION,
            "url": self.url,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "secret": {"code_verifier": self.code_verifier},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> AuthorizationRequest:
        """Reads back what :meth:`to_dict` gave (e.g. after ``json.loads``), in any worker.

        Raises :class:`calbridge.InvalidArgumentError` when it is not such a dict: another
        format or an unknown version, a missing, unknown or malformed field, a verifier that is
        not an RFC 7636 verifier, or a request whose parts do not belong together (the URL's
        state, redirect URI or code challenge differ from the fields'). Messages name the field,
        never its value."""
        if not isinstance(d, Mapping):
            raise _malformed("data", f"must be a dict, not {type(d).__name__}")
        if d.get("format") != AUTHORIZATION_REQUEST_FORMAT:
            raise _malformed("field 'format'", f"must be {AUTHORIZATION_REQUEST_FORMAT!r}")
        version = d.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise _malformed("field 'version'", "must be an integer")
        if version != AUTHORIZATION_REQUEST_VERSION:
            raise _malformed(
                "format version", f"{version} is unknown (this calbridge reads version {AUTHORIZATION_REQUEST_VERSION})"
            )
        unknown = sorted(str(k) for k in d if k not in _KEYS)
        if unknown:
            raise _malformed("field", f"{unknown[0]!r} is unknown in version {AUTHORIZATION_REQUEST_VERSION}")
        url, redirect_uri, state = _text(d, "url"), _text(d, "redirect_uri"), _text(d, "state")

        if "secret" not in d:
            raise _malformed("field 'secret'", "is missing")
        secret = d["secret"]
        if not isinstance(secret, Mapping):
            raise _malformed("field 'secret'", "must be a dict")
        unknown = sorted(str(k) for k in secret if k not in _SECRET_KEYS)
        if unknown:
            raise _malformed("field", f"'secret.{unknown[0]}' is unknown in version {AUTHORIZATION_REQUEST_VERSION}")
        if "code_verifier" not in secret:
            raise _malformed("field 'secret.code_verifier'", "is missing (null when the request has no PKCE)")
        verifier = secret["code_verifier"]
        if verifier is not None and (not isinstance(verifier, str) or not _VERIFIER.fullmatch(verifier)):
            raise _malformed("field 'secret.code_verifier'", "is not a PKCE code verifier (RFC 7636 §4.1)")

        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise _malformed("field 'url'", "must be an absolute http(s) URL")
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        if query.get("state") != [state]:
            raise _malformed("field 'state'", "is not the state of the URL")
        if query.get("redirect_uri") != [redirect_uri]:
            raise _malformed("field 'redirect_uri'", "is not the redirect URI of the URL")
        challenge = query.get("code_challenge")
        if verifier is None and challenge is not None:
            raise _malformed("field 'secret.code_verifier'", "is null but the URL has a code challenge")
        if verifier is not None and challenge != [_s256(verifier)]:
            raise _malformed("field 'secret.code_verifier'", "does not match the URL's S256 code challenge")
        return cls(url=url, state=state, redirect_uri=redirect_uri, code_verifier=verifier)


def _without_link_token(url: str) -> str:
    """``url`` with the value of its ``link_token`` parameter (a credential) masked."""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(
        "link_token=****" if urllib.parse.unquote_plus(pair.partition("=")[0]) == "link_token" else pair
        for pair in parts.query.split("&")
    )
    return urllib.parse.urlunsplit(parts._replace(query=query))
