#include <calbridge/errors.hpp>

namespace calbridge {

Error::Error(ErrorCode code, const std::string& message, ErrorDetails details)
    : std::runtime_error(message),
      code_(code),
      details_(std::make_shared<const ErrorDetails>(std::move(details))) {}

std::string_view error_code_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::ok: return "ok";
        case ErrorCode::invalid_argument: return "invalid_argument";
        case ErrorCode::configuration: return "configuration";
        case ErrorCode::invalid_client: return "invalid_client";
        case ErrorCode::state_mismatch: return "state_mismatch";
        case ErrorCode::invalid_callback: return "invalid_callback";
        case ErrorCode::authorization_denied: return "authorization_denied";
        case ErrorCode::invalid_grant: return "invalid_grant";
        case ErrorCode::bad_request: return "bad_request";
        case ErrorCode::authentication: return "authentication";
        case ErrorCode::authorization: return "authorization";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::validation: return "validation";
        case ErrorCode::locked: return "locked";
        case ErrorCode::payment_required: return "payment_required";
        case ErrorCode::rate_limited: return "rate_limited";
        case ErrorCode::server: return "server";
        case ErrorCode::service_unavailable: return "service_unavailable";
        case ErrorCode::http: return "http";
        case ErrorCode::timeout: return "timeout";
        case ErrorCode::tls: return "tls";
        case ErrorCode::connection: return "connection";
        case ErrorCode::protocol: return "protocol";
        case ErrorCode::store: return "store";
        case ErrorCode::cancelled: return "cancelled";
        case ErrorCode::user_callback: return "user_callback";
        case ErrorCode::internal: return "internal";
        case ErrorCode::invalid_signature: return "invalid_signature";
    }
    return "unknown";
}

void throw_error(ErrorCode code, const std::string& message, ErrorDetails details) {
    switch (code) {
        case ErrorCode::invalid_argument: throw InvalidArgumentError(message, std::move(details));
        case ErrorCode::configuration: throw ConfigurationError(message, std::move(details));
        case ErrorCode::invalid_client: throw InvalidClientError(message, std::move(details));
        case ErrorCode::state_mismatch: throw StateMismatchError(message, std::move(details));
        case ErrorCode::invalid_callback: throw InvalidCallbackError(message, std::move(details));
        case ErrorCode::authorization_denied: throw AuthorizationDeniedError(message, std::move(details));
        case ErrorCode::invalid_grant: throw InvalidGrantError(message, std::move(details));
        case ErrorCode::bad_request: throw BadRequestError(message, std::move(details));
        case ErrorCode::authentication: throw AuthenticationError(message, std::move(details));
        case ErrorCode::authorization: throw AuthorizationError(message, std::move(details));
        case ErrorCode::not_found: throw NotFoundError(message, std::move(details));
        case ErrorCode::validation: throw ValidationError(message, std::move(details));
        case ErrorCode::locked: throw LockedError(message, std::move(details));
        case ErrorCode::payment_required: throw PaymentRequiredError(message, std::move(details));
        case ErrorCode::rate_limited: throw RateLimitedError(message, std::move(details));
        case ErrorCode::server: throw ServerError(message, std::move(details));
        case ErrorCode::service_unavailable: throw ServiceUnavailableError(message, std::move(details));
        case ErrorCode::http: throw UnexpectedStatusError(message, std::move(details));
        case ErrorCode::timeout: throw TimeoutError(message, std::move(details));
        case ErrorCode::tls: throw TlsError(message, std::move(details));
        case ErrorCode::connection: throw ConnectionError(message, std::move(details));
        case ErrorCode::protocol: throw ProtocolError(message, std::move(details));
        case ErrorCode::store: throw StoreError(message, std::move(details));
        case ErrorCode::cancelled: throw CancelledError(message, std::move(details));
        case ErrorCode::user_callback: throw UserCallbackError(message, std::move(details));
        case ErrorCode::internal: throw InternalError(message, std::move(details));
        case ErrorCode::invalid_signature: throw InvalidSignatureError(message, std::move(details));
        case ErrorCode::ok: break;
    }
    throw InternalError("throw_error called with a code that is not an error: " + message, std::move(details));
}

ErrorCode error_code_for_http_status(int status) noexcept {
    switch (status) {
        case 400: return ErrorCode::bad_request;
        case 401: return ErrorCode::authentication;
        case 402: return ErrorCode::payment_required;
        case 403: return ErrorCode::authorization;
        case 404: return ErrorCode::not_found;
        case 422: return ErrorCode::validation;
        case 423: return ErrorCode::locked;
        case 429: return ErrorCode::rate_limited;
        case 502:
        case 503:
        case 504: return ErrorCode::service_unavailable;
        default: break;
    }
    if (status >= 200 && status < 300) return ErrorCode::ok;
    if (status >= 500 && status < 600) return ErrorCode::server;
    return ErrorCode::http;
}

}  // namespace calbridge
