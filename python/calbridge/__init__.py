"""calbridge: connect your application to your users' calendars.

The whole OAuth2 "Individual Connect" flow of a calendar intermediary (Cronofy and
compatibles): the authorization link, the redirect back, the code exchange, tokens kept fresh
and safely stored, the calendar API, and revocation. One C++ core does the work; blocking calls
release the GIL and can be interrupted with Ctrl-C.

    import calbridge

    client = calbridge.Client(CLIENT_ID, CLIENT_SECRET, data_center="de")
    auth = client.authorization_url("https://app.example.com/callback", "read_events list_calendars")
    # send the user to auth.url; on the redirect back:
    credentials = client.complete_authorization(callback_url, auth)
    session = client.session(credentials)
    for event in session.events(from_=date.today()):
        print(event.summary)

Try it without an account: ``python -m calbridge demo`` runs the whole flow against a local
sandbox.
"""

from __future__ import annotations

import logging as _logging

from . import _core, errors
from ._core import CancelToken
from .client import AuthorizationRequest, Client, DataCenter, TransportStats
from .credentials import Credentials, LinkingProfile
from .state import StateSigner, VerifiedState
from .errors import (
    AuthenticationError,
    AuthorizationDeniedError,
    AuthorizationError,
    AuthorizationFlowError,
    BadRequestError,
    CancelledError,
    ConfigurationError,
    ConnectionError,
    Error,
    ErrorCode,
    FieldError,
    HttpError,
    InternalError,
    InvalidSignatureError,
    InvalidArgumentError,
    InvalidCallbackError,
    InvalidClientError,
    InvalidGrantError,
    LockedError,
    NotFoundError,
    OAuthError,
    PaymentRequiredError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
    StateMismatchError,
    StoreError,
    TimeoutError,
    TlsError,
    TransportError,
    UnexpectedStatusError,
    UserCallbackError,
    ValidationError,
)
from ._types import JSON
from .scheduling import (
    AvailabilityMember,
    AvailabilityQuery,
    AvailabilityResult,
    AvailabilityRule,
    AvailableTime,
    Participants,
    ParticipationStatus,
    Period,
    PermissionsRequest,
    ResponseFormat,
    WeeklyPeriod,
)
from .push import Channel, ChannelFilters, PushNotification, PushType, parse_push
from .session import Paged, Session
from .stores import (
    FileStore,
    LeaseClaim,
    LeaseStatus,
    LeasingTokenStore,
    MemoryStore,
    PostgresStore,
    SqliteStore,
    TokenStore,
    open_store,
)

Account = _core.Account
Calendar = _core.Calendar
Event = _core.Event
FreeBusyPeriod = _core.FreeBusyPeriod
Profile = _core.Profile
UserInfo = _core.UserInfo

__version__: str = _core.__version__

#: A log level below DEBUG: every request and reply line (redacted), every wait.
TRACE: int = _core.TRACE
_logging.addLevelName(TRACE, "TRACE")
# A library logs only where the application asks it to.
_logging.getLogger("calbridge").addHandler(_logging.NullHandler())

# Tracebacks and reprs name the public path (calbridge.InvalidGrantError), not the module a
# class happens to be written in.
for _cls in (
    AuthorizationRequest, StateSigner, VerifiedState, Client, Credentials, Session, Paged, MemoryStore, FileStore,
    SqliteStore, PostgresStore,
    TokenStore, LeasingTokenStore, LeaseStatus, LeaseClaim,
    ErrorCode, FieldError, *(c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Error)),
):  # fmt: skip
    _cls.__module__ = __name__
del _cls

__all__ = [
    "__version__",
    "TRACE",
    "JSON",
    # the application and its users
    "Client",
    "AuthorizationRequest",
    "StateSigner",
    "VerifiedState",
    "DataCenter",
    "TransportStats",
    "Session",
    "Paged",
    # push notifications
    "Channel",
    "ChannelFilters",
    "PushNotification",
    "PushType",
    "parse_push",
    "Credentials",
    "LinkingProfile",
    # token stores
    "TokenStore",
    "LeasingTokenStore",
    "LeaseStatus",
    "LeaseClaim",
    "MemoryStore",
    "FileStore",
    "SqliteStore",
    "PostgresStore",
    "open_store",
    # calendar API results
    "Account",
    "Calendar",
    "Event",
    "FreeBusyPeriod",
    "Profile",
    "UserInfo",
    # scheduling (calbridge.scheduling)
    "AvailabilityMember",
    "AvailabilityQuery",
    "AvailabilityResult",
    "AvailabilityRule",
    "AvailableTime",
    "Participants",
    "ParticipationStatus",
    "Period",
    "PermissionsRequest",
    "ResponseFormat",
    "WeeklyPeriod",
    # errors
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
    "CancelToken",
    "UserCallbackError",
    "InternalError",
    "InvalidSignatureError",
]
