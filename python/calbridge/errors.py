"""The exception tree. Every error calbridge raises is a :class:`calbridge.Error`.

The classes mirror the core's tree one to one, by stable code (``Error.code``, the same
numbers as the C API's ``CALBRIDGE_E*``). Only two also derive from a built-in exception:
:class:`TimeoutError` (``builtins.TimeoutError``) and :class:`ConnectionError`
(``builtins.ConnectionError``), so generic retry code keeps working; nothing else does, so an
``except ValueError`` in your code never swallows a 403.

No message or attribute ever contains a token, the client secret, a code or a PKCE verifier.
"""

from __future__ import annotations

import builtins
import enum
from dataclasses import dataclass
from typing import ClassVar, Optional

__all__ = [
    "ErrorCode",
    "FieldError",
    "Error",
    "AuthorizationFlowError",
    "OAuthError",
    "HttpError",
    "TransportError",
    "InvalidArgumentError",
    "ConfigurationError",
    "InvalidClientError",
    "StateMismatchError",
    "InvalidCallbackError",
    "AuthorizationDeniedError",
    "InvalidGrantError",
    "BadRequestError",
    "AuthenticationError",
    "AuthorizationError",
    "NotFoundError",
    "ValidationError",
    "LockedError",
    "PaymentRequiredError",
    "RateLimitedError",
    "ServerError",
    "ServiceUnavailableError",
    "UnexpectedStatusError",
    "TimeoutError",
    "TlsError",
    "ConnectionError",
    "ProtocolError",
    "StoreError",
    "CancelledError",
    "UserCallbackError",
    "InternalError",
    "InvalidSignatureError",
]


class ErrorCode(enum.IntEnum):
    """The core's stable error codes (``calbridge::ErrorCode``); never renumbered."""

    INVALID_ARGUMENT = -1
    CONFIGURATION = -2
    INVALID_CLIENT = -3
    STATE_MISMATCH = -4
    INVALID_CALLBACK = -5
    AUTHORIZATION_DENIED = -6
    INVALID_GRANT = -7
    BAD_REQUEST = -8
    AUTHENTICATION = -9
    AUTHORIZATION = -10
    NOT_FOUND = -11
    VALIDATION = -12
    LOCKED = -13
    PAYMENT_REQUIRED = -14
    RATE_LIMITED = -15
    SERVER = -16
    SERVICE_UNAVAILABLE = -17
    HTTP = -18
    TIMEOUT = -19
    TLS = -20
    CONNECTION = -21
    PROTOCOL = -22
    STORE = -23
    CANCELLED = -24
    USER_CALLBACK = -25
    INTERNAL = -26
    INVALID_SIGNATURE = -27


@dataclass(frozen=True)
class FieldError:
    """One field error of a 422 reply: ``{"errors": {field: [{"key", "description"}]}}``."""

    field: str
    key: str
    description: str


class Error(Exception):
    """The root of every calbridge error.

    Attributes:
        code: the stable :class:`ErrorCode`.
        http_status: the HTTP status of the reply, or ``None`` when there was none.
        oauth_error: RFC 6749 ``error`` (``"invalid_grant"``, ``"access_denied"``...), or ``None``.
        description: RFC 6749 ``error_description``, or ``None``.
        error_uri: RFC 6749 ``error_uri``, or ``None``.
        retry_after: seconds the server asked to wait (429, 503), or ``None``.
        field_errors: the fields a 422 reply rejected (empty otherwise).
    """

    default_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL

    code: ErrorCode
    message: str
    http_status: Optional[int]
    oauth_error: Optional[str]
    description: Optional[str]
    error_uri: Optional[str]
    retry_after: Optional[float]
    field_errors: tuple[FieldError, ...]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[ErrorCode] = None,
        http_status: Optional[int] = None,
        oauth_error: Optional[str] = None,
        description: Optional[str] = None,
        error_uri: Optional[str] = None,
        retry_after: Optional[float] = None,
        field_errors: tuple[FieldError, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else type(self).default_code
        self.http_status = http_status
        self.oauth_error = oauth_error
        self.description = description
        self.error_uri = error_uri
        self.retry_after = retry_after
        self.field_errors = field_errors

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status}")
        if self.oauth_error is not None:
            parts.append(f"oauth_error={self.oauth_error!r}")
        if self.retry_after is not None:
            parts.append(f"retry_after={self.retry_after!r}")
        if self.field_errors:
            parts.append(f"field_errors={self.field_errors!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions pickle as type(*args); ours carry keyword-only details too.
        return (
            _rebuild,
            (
                type(self),
                self.message,
                int(self.code),
                self.http_status,
                self.oauth_error,
                self.description,
                self.error_uri,
                self.retry_after,
                self.field_errors,
            ),
        )


def _rebuild(
    cls: type[Error],
    message: str,
    code: int,
    http_status: Optional[int],
    oauth_error: Optional[str],
    description: Optional[str],
    error_uri: Optional[str],
    retry_after: Optional[float],
    field_errors: tuple[FieldError, ...],
) -> Error:
    return cls(
        message,
        code=ErrorCode(code),
        http_status=http_status,
        oauth_error=oauth_error,
        description=description,
        error_uri=error_uri,
        retry_after=retry_after,
        field_errors=field_errors,
    )


# Families: catch one to handle a group. calbridge raises only the leaves below.
class AuthorizationFlowError(Error):
    """The browser leg went wrong: the redirect back was forged, malformed or a refusal."""


class OAuthError(Error):
    """The token endpoint refused (RFC 6749 §5.2)."""


class HttpError(Error):
    """The calendar API answered with an error status."""


class TransportError(Error):
    """No usable reply at all: timeout, TLS, connection."""


class InvalidArgumentError(Error):
    """A bad value was passed to calbridge."""

    default_code = ErrorCode.INVALID_ARGUMENT


class ConfigurationError(Error):
    """The client's configuration is wrong or incomplete."""

    default_code = ErrorCode.CONFIGURATION


class InvalidClientError(ConfigurationError):
    """The server rejected the client id or secret."""

    default_code = ErrorCode.INVALID_CLIENT


class StateMismatchError(AuthorizationFlowError):
    """The redirect back's state is missing or not the one this flow sent."""

    default_code = ErrorCode.STATE_MISMATCH


class InvalidCallbackError(AuthorizationFlowError):
    """The redirect back is malformed (no code, repeated parameters)."""

    default_code = ErrorCode.INVALID_CALLBACK


class AuthorizationDeniedError(AuthorizationFlowError):
    """The user (or the server) refused: ``oauth_error`` says why (e.g. ``access_denied``)."""

    default_code = ErrorCode.AUTHORIZATION_DENIED


class InvalidGrantError(OAuthError):
    """The code or refresh token is no longer valid: the user must authorize again."""

    default_code = ErrorCode.INVALID_GRANT


class BadRequestError(OAuthError):
    """Another RFC 6749 error (``invalid_request``, ``invalid_scope``...)."""

    default_code = ErrorCode.BAD_REQUEST


class AuthenticationError(HttpError):
    """401: the access token was not recognised, even after a refresh."""

    default_code = ErrorCode.AUTHENTICATION


class AuthorizationError(HttpError):
    """403: the grant lacks a scope the call needs: authorize again with more scope."""

    default_code = ErrorCode.AUTHORIZATION


class NotFoundError(HttpError):
    """404."""

    default_code = ErrorCode.NOT_FOUND


class ValidationError(HttpError):
    """422: the server rejected parameters; see ``field_errors``."""

    default_code = ErrorCode.VALIDATION


class LockedError(HttpError):
    """423: the account is locked."""

    default_code = ErrorCode.LOCKED


class PaymentRequiredError(HttpError):
    """402: the plan lacks the feature."""

    default_code = ErrorCode.PAYMENT_REQUIRED


class RateLimitedError(HttpError):
    """429: too many requests; ``retry_after`` says how long to wait when the server said."""

    default_code = ErrorCode.RATE_LIMITED


class ServerError(HttpError):
    """5xx."""

    default_code = ErrorCode.SERVER


class ServiceUnavailableError(ServerError):
    """502, 503, 504."""

    default_code = ErrorCode.SERVICE_UNAVAILABLE


class UnexpectedStatusError(HttpError):
    """Any other status calbridge did not expect (a redirect is never followed)."""

    default_code = ErrorCode.HTTP


class TimeoutError(TransportError, builtins.TimeoutError):
    """The call's deadline passed. Also a ``builtins.TimeoutError``."""

    default_code = ErrorCode.TIMEOUT


class TlsError(TransportError):
    """TLS handshake or certificate verification failed."""

    default_code = ErrorCode.TLS


class ConnectionError(TransportError, builtins.ConnectionError):
    """Resolve or connect failed, or the connection dropped. Also a ``builtins.ConnectionError``."""

    default_code = ErrorCode.CONNECTION


class ProtocolError(Error):
    """A malformed, oversized or surprising reply."""

    default_code = ErrorCode.PROTOCOL


class StoreError(Error):
    """The token store failed; the credentials it was writing are kept for the next call."""

    default_code = ErrorCode.STORE


class CancelledError(Error):
    """The call was cancelled."""

    default_code = ErrorCode.CANCELLED


class UserCallbackError(Error):
    """A callback of yours (``on_refresh``) raised; its exception is the ``__cause__``."""

    default_code = ErrorCode.USER_CALLBACK


class InternalError(Error):
    """A bug in calbridge: please report it."""

    default_code = ErrorCode.INTERNAL


class InvalidSignatureError(Error):
    """A push notification's ``Cronofy-HMAC-SHA256`` header is missing, malformed or matches
    no client secret: do not trust the push (answer it with 401)."""

    default_code = ErrorCode.INVALID_SIGNATURE


_BY_CODE: dict[int, type[Error]] = {
    cls.default_code: cls
    for cls in (
        InvalidArgumentError,
        ConfigurationError,
        InvalidClientError,
        StateMismatchError,
        InvalidCallbackError,
        AuthorizationDeniedError,
        InvalidGrantError,
        BadRequestError,
        AuthenticationError,
        AuthorizationError,
        NotFoundError,
        ValidationError,
        LockedError,
        PaymentRequiredError,
        RateLimitedError,
        ServerError,
        ServiceUnavailableError,
        UnexpectedStatusError,
        TimeoutError,
        TlsError,
        ConnectionError,
        ProtocolError,
        StoreError,
        CancelledError,
        UserCallbackError,
        InternalError,
        InvalidSignatureError,
    )
}


def error_class(code: int) -> type[Error]:
    """The class calbridge raises for a core error code (``InternalError`` if unknown)."""
    return _BY_CODE.get(code, InternalError)


def _from_core(
    code: int,
    message: str,
    http_status: int,
    oauth_error: str,
    description: str,
    error_uri: str,
    retry_after: Optional[int],
    field_errors: list[tuple[str, str, str]],
) -> Error:
    """Called by calbridge._core's exception translator."""
    cls = error_class(code)
    known = code in _BY_CODE
    return cls(
        message,
        code=ErrorCode(code) if known else ErrorCode.INTERNAL,
        http_status=http_status or None,
        oauth_error=oauth_error or None,
        description=description or None,
        error_uri=error_uri or None,
        retry_after=float(retry_after) if retry_after is not None else None,
        field_errors=tuple(FieldError(*f) for f in field_errors),
    )
