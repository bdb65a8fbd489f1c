// The application's side of Individual Connect: one Client per application (client id), shared
// by every thread. It builds the authorization link, completes the redirect back, talks to the
// token endpoint (docs/PROTOCOL.md §2-4), and hands out Sessions, one per user.
//
// A Client is a handle: copies share one state (the transport, the store, every account's
// token state). All calls block the calling thread until their deadline at most.
#pragma once

#include <calbridge/authorize.hpp>
#include <calbridge/clock.hpp>
#include <calbridge/config.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/log.hpp>
#include <calbridge/scheduling.hpp>
#include <calbridge/secret.hpp>
#include <calbridge/session.hpp>
#include <calbridge/store.hpp>
#include <calbridge/transport.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace calbridge {

// What a Client uses; anything left empty gets the default. Callbacks here (the store, the log
// sink, the hooks) run on the thread that made the call and never while calbridge holds a
// lock, so they may call back into calbridge. One exception: a store or log callback made while
// an account's token is being renewed cannot have that same account's token (it would wait for
// its own renewal); asking for it is a UserCallbackError at once.
struct ClientDependencies {
    // Default: make_default_transport(config), the HTTPS transport (Boost.Beast over OpenSSL).
    std::shared_ptr<Transport> transport;
    std::shared_ptr<TokenStore> store;  // default: a MemoryTokenStore

    LogSink log;                         // default: no logging
    LogLevel log_level = LogLevel::info;
    // When set, the threshold is read from it at every log point and log_level is ignored.
    LogThreshold log_threshold;

    WallClock wall_clock;      // default: system_wall_clock(); token expiry
    SteadyClock steady_clock;  // default: system_steady_clock(); deadlines
    Waiter waiter;             // default: system_waiter(); Retry-After and backoff waits
    RetryPolicy retry;

    // After a refresh, once the new credentials are in the store (for a refresh whose store
    // write failed: once a later call has written them). Throwing from it fails the call with
    // UserCallbackError (the credentials stay stored).
    std::function<void(const Credentials& credentials)> on_refresh;
    // When an account's grant is gone for good (invalid_grant confirmed against the store, or
    // no credentials at all): the user must authorize again. Runs once per discovery, before the
    // InvalidGrantError is thrown; what it throws is logged and ignored.
    std::function<void(std::string_view account)> on_reauthorization_required;
};

namespace detail {
struct ClientState;
class ApplicationCaller;
}

class Client {
public:
    explicit Client(Config config, ClientDependencies dependencies = {});

    const Config& config() const noexcept;
    const std::shared_ptr<TokenStore>& store() const noexcept;
    // The transport's counters so far (all zero for a transport that keeps none).
    TransportStats transport_stats() const;

    // The link to send the user's browser to (build_authorization_request on this config).
    AuthorizationRequest authorization_request(std::string_view redirect_uri,
                                               const AuthorizationOptions& options) const;

    // The redirect back: checks it (parse_callback), exchanges the code, and writes the
    // credentials to the store (replace: a new authorization wins over whatever was there),
    // under the account the reply names (account_id, else sub).
    //
    // `account` is for token endpoints that name none (a plain RFC 6749 server sends neither):
    // the key the application chose for this grant, which then becomes the credentials'
    // account_id. A reply that names an account wins over it. ProtocolError when neither side
    // names one: the credentials could not be stored (the code is spent by then).
    Credentials complete_authorization(std::string_view callback, std::string_view expected_state,
                                       std::string_view redirect_uri,
                                       const std::optional<Secret>& code_verifier = std::nullopt,
                                       const CallOptions& options = {}, std::string_view account = {}) const;
    // The same with what authorization_request returned.
    Credentials complete_authorization(std::string_view callback, const AuthorizationRequest& request,
                                       const CallOptions& options = {}, std::string_view account = {}) const;

    // The token endpoint alone: nothing is read from or written to the store.
    // A code exchange or a refresh is sent again only after a failure that kept it from
    // leaving this machine (a replayed code or rotated refresh token can cost the grant).
    // `account` as for complete_authorization; here an unnamed account is not an error (the
    // credentials come back with an empty account_key()).
    Credentials exchange_code(const Secret& code, std::string_view redirect_uri,
                              const std::optional<Secret>& code_verifier = std::nullopt,
                              const CallOptions& options = {}, std::string_view account = {}) const;
    // Keeps the refresh token (and account, scope) of `credentials` when the reply has none.
    Credentials refresh(const Credentials& credentials, const CallOptions& options = {}) const;
    // Revokes the grant with its refresh token (the access token when there is none). The store
    // is left as it is: remove the account from it when that is what you want. A token that is
    // already revoked or invalid is no error (RFC 7009 §2.2): when the server answers
    // invalid_grant or invalid_token, the call returns normally and logs it at info.
    void revoke(const Credentials& credentials, const CallOptions& options = {}) const;
    // Revokes every grant of the account with this `sub` (none left: as for revoke()).
    void revoke_sub(std::string_view sub, const CallOptions& options = {}) const;

    // A session for an account whose credentials are in the store (loaded on first use; none
    // there is an InvalidGrantError, "reauthorization required"). No I/O here.
    Session session(std::string_view account) const;
    // A session for these credentials: they are inserted into the store on first use if the
    // account has none there; if it has, the store's win (they may be a newer rotation).
    Session session(const Credentials& credentials) const;

    // ---- calls authenticated with the application's client secret ----
    // The bearer is the client secret, never a user's token, and it goes to the API host's
    // origin only. A 401 means the secret was refused: InvalidClientError (nothing to refresh).

    // Any such call (real-time scheduling, smart invites, ...), as Session::request: a path on
    // the API host or an absolute URL on its origin (anything else is an InvalidArgumentError
    // and nothing is sent); the reply's body, JSON or empty. Only GET, HEAD, PUT and
    // DELETE are retried; any other method only when the request never left this machine.
    std::string request(std::string_view method, std::string_view path_or_url, const QueryParams& query = {},
                        std::optional<std::string_view> json_body = std::nullopt,
                        const CallOptions& options = {}) const;

    // POST /v1/availability across the application's accounts (retried like a GET).
    AvailabilityResult availability(const AvailabilityQuery& query, const CallOptions& options = {}) const;

    // POST /v1/application_calendars: creates (or finds) the application calendar with this id
    // and stores its credentials like a new authorization (replace), so that
    // session(credentials.account_key()) works and refreshes like any account.
    Credentials create_application_calendar(std::string_view application_calendar_id,
                                            const CallOptions& options = {}) const;

private:
    // What the client-secret calls see of the state (they are defined apart from it).
    const detail::ApplicationCaller& caller() const noexcept;
    std::shared_ptr<detail::ClientState> state_;
};

}  // namespace calbridge
