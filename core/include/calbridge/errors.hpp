// One error tree for the whole library. Every error carries a stable numeric code that the C
// ABI returns as-is and the Python module maps 1:1 to an exception class. Codes are never
// renumbered; new conditions get new codes.
//
// No message built by calbridge contains a secret (token, client secret, code, PKCE verifier):
// producers pass secrets only through calbridge::Secret, which prints redacted.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge {

// Stable codes: 0 is success, errors are negative. The C header mirrors these exactly
// (CALBRIDGE_E...); tests pin every value.
enum class ErrorCode : int {
    ok = 0,
    invalid_argument = -1,       // a caller passed a bad value (NULL, empty id, bad enum)
    configuration = -2,          // client configuration is wrong or incomplete
    invalid_client = -3,         // the server rejected the client id/secret (a configuration error)
    state_mismatch = -4,         // callback state missing or not the expected one
    invalid_callback = -5,       // callback URL malformed: duplicated parameters, missing code
    authorization_denied = -6,   // the user (or server) refused: error=access_denied etc.
    invalid_grant = -7,          // code or refresh token no longer valid: reauthorization required
    bad_request = -8,            // other RFC 6749 §5.2 errors (invalid_request, invalid_scope, ...)
    authentication = -9,         // 401: access token not recognised
    authorization = -10,         // 403: insufficient scope
    not_found = -11,             // 404
    validation = -12,            // 422, with field errors
    locked = -13,                // 423
    payment_required = -14,      // 402
    rate_limited = -15,          // 429, with retry-after when the server gave one
    server = -16,                // 5xx
    service_unavailable = -17,   // 502, 503, 504
    http = -18,                  // any other unexpected HTTP status (e.g. a redirect not followed)
    timeout = -19,               // the call's deadline passed
    tls = -20,                   // TLS handshake or certificate verification failed
    connection = -21,            // resolve/connect failed, connection dropped
    protocol = -22,              // malformed, oversized or surprising response
    store = -23,                 // the token store failed
    cancelled = -24,             // cancelled from another thread
    user_callback = -25,         // a user callback asked to abort (or threw)
    internal = -26,              // a bug in calbridge; please report it
    invalid_signature = -27,     // a push notification's signature header is missing, malformed or matches no secret
};

// "invalid_grant", "rate_limited", ...: the code's stable name (used by the Python module).
std::string_view error_code_name(ErrorCode code) noexcept;

// One field error of a 422 reply: {"errors": {"field": [{"key": "...", "description": "..."}]}}.
struct FieldError {
    std::string field;
    std::string key;
    std::string description;

    friend bool operator==(const FieldError&, const FieldError&) = default;
};

// What an error can carry besides its message. Everything here is safe to print.
struct ErrorDetails {
    int http_status = 0;                      // 0 when no HTTP response was involved
    std::string oauth_error;                  // RFC 6749 §5.2 "error"
    std::string oauth_error_description;      // "error_description"
    std::string oauth_error_uri;              // "error_uri"
    std::optional<std::chrono::seconds> retry_after;
    std::vector<FieldError> field_errors;
    // Transport errors only: true when any byte of the request may have reached the server, so
    // a request that is not idempotent (a code exchange, a refresh) must not be sent again.
    bool request_sent = true;
    // Transport errors only: false when sending again cannot succeed, so no call retries it:
    // the server's TLS certificate was refused, or the host name does not exist (as opposed to
    // a lookup that failed for now, which is retried).
    bool retryable = true;
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message, ErrorDetails details = {});

    ErrorCode code() const noexcept { return code_; }
    int http_status() const noexcept { return details_->http_status; }
    const std::string& oauth_error() const noexcept { return details_->oauth_error; }
    const std::string& oauth_error_description() const noexcept { return details_->oauth_error_description; }
    const std::string& oauth_error_uri() const noexcept { return details_->oauth_error_uri; }
    std::optional<std::chrono::seconds> retry_after() const noexcept { return details_->retry_after; }
    const std::vector<FieldError>& field_errors() const noexcept { return details_->field_errors; }
    const ErrorDetails& details() const noexcept { return *details_; }

private:
    ErrorCode code_;
    std::shared_ptr<const ErrorDetails> details_;  // shared: copying an exception never throws
};

// The tree. Each class fixes its code; catch a base to handle a family.
#define CALBRIDGE_DEFINE_ERROR(Name, Base, Code)                                          \
    class Name : public Base {                                                            \
    public:                                                                               \
        explicit Name(const std::string& message, ErrorDetails details = {})              \
            : Base(ErrorCode::Code, message, std::move(details)) {}                       \
                                                                                          \
    protected:                                                                            \
        Name(ErrorCode code, const std::string& message, ErrorDetails details)            \
            : Base(code, message, std::move(details)) {}                                  \
    }

// Families (abstract in spirit: the library throws only the leaves below).
#define CALBRIDGE_DEFINE_FAMILY(Name, Base)                                               \
    class Name : public Base {                                                            \
    protected:                                                                            \
        Name(ErrorCode code, const std::string& message, ErrorDetails details)            \
            : Base(code, message, std::move(details)) {}                                  \
    }

CALBRIDGE_DEFINE_FAMILY(AuthorizationFlowError, Error);  // the browser leg: callback problems
CALBRIDGE_DEFINE_FAMILY(OAuthError, Error);              // RFC 6749 §5.2 errors from the token endpoint
CALBRIDGE_DEFINE_FAMILY(HttpError, Error);               // an API reply with an error status
CALBRIDGE_DEFINE_FAMILY(TransportError, Error);          // no usable reply at all

CALBRIDGE_DEFINE_ERROR(InvalidArgumentError, Error, invalid_argument);
CALBRIDGE_DEFINE_ERROR(ConfigurationError, Error, configuration);
CALBRIDGE_DEFINE_ERROR(InvalidClientError, ConfigurationError, invalid_client);
CALBRIDGE_DEFINE_ERROR(StateMismatchError, AuthorizationFlowError, state_mismatch);
CALBRIDGE_DEFINE_ERROR(InvalidCallbackError, AuthorizationFlowError, invalid_callback);
CALBRIDGE_DEFINE_ERROR(AuthorizationDeniedError, AuthorizationFlowError, authorization_denied);
CALBRIDGE_DEFINE_ERROR(InvalidGrantError, OAuthError, invalid_grant);
CALBRIDGE_DEFINE_ERROR(BadRequestError, OAuthError, bad_request);
CALBRIDGE_DEFINE_ERROR(AuthenticationError, HttpError, authentication);
CALBRIDGE_DEFINE_ERROR(AuthorizationError, HttpError, authorization);
CALBRIDGE_DEFINE_ERROR(NotFoundError, HttpError, not_found);
CALBRIDGE_DEFINE_ERROR(ValidationError, HttpError, validation);
CALBRIDGE_DEFINE_ERROR(LockedError, HttpError, locked);
CALBRIDGE_DEFINE_ERROR(PaymentRequiredError, HttpError, payment_required);
CALBRIDGE_DEFINE_ERROR(RateLimitedError, HttpError, rate_limited);
CALBRIDGE_DEFINE_ERROR(ServerError, HttpError, server);
CALBRIDGE_DEFINE_ERROR(ServiceUnavailableError, ServerError, service_unavailable);
CALBRIDGE_DEFINE_ERROR(UnexpectedStatusError, HttpError, http);
CALBRIDGE_DEFINE_ERROR(TimeoutError, TransportError, timeout);
CALBRIDGE_DEFINE_ERROR(TlsError, TransportError, tls);
CALBRIDGE_DEFINE_ERROR(ConnectionError, TransportError, connection);
CALBRIDGE_DEFINE_ERROR(ProtocolError, Error, protocol);
CALBRIDGE_DEFINE_ERROR(StoreError, Error, store);
CALBRIDGE_DEFINE_ERROR(CancelledError, Error, cancelled);
CALBRIDGE_DEFINE_ERROR(UserCallbackError, Error, user_callback);
CALBRIDGE_DEFINE_ERROR(InternalError, Error, internal);
CALBRIDGE_DEFINE_ERROR(InvalidSignatureError, Error, invalid_signature);

#undef CALBRIDGE_DEFINE_ERROR
#undef CALBRIDGE_DEFINE_FAMILY

// Throws the leaf class that matches `code` (used where a code crosses a boundary, e.g. a C
// token-store callback, and by the HTTP status mapping). ErrorCode::ok is a logic error.
[[noreturn]] void throw_error(ErrorCode code, const std::string& message, ErrorDetails details = {});

// The error class an HTTP status maps to (docs/PROTOCOL.md §6), for API replies.
ErrorCode error_code_for_http_status(int status) noexcept;

}  // namespace calbridge
