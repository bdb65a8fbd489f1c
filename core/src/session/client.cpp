#include <calbridge/client.hpp>

#include <algorithm>
#include <calbridge/errors.hpp>

#include "session/client_state.hpp"
#include "session/session_state.hpp"

namespace calbridge {

Client::Client(Config config, ClientDependencies dependencies)
    : state_(std::make_shared<detail::ClientState>(std::move(config), std::move(dependencies))) {}

const Config& Client::config() const noexcept { return state_->config; }

const detail::ApplicationCaller& Client::caller() const noexcept { return *state_; }

const std::shared_ptr<TokenStore>& Client::store() const noexcept { return state_->store; }

TransportStats Client::transport_stats() const { return state_->env.transport->stats(); }

AuthorizationRequest Client::authorization_request(std::string_view redirect_uri,
                                                   const AuthorizationOptions& options) const {
    return build_authorization_request(state_->config, redirect_uri, options);
}

Credentials Client::complete_authorization(std::string_view callback, std::string_view expected_state,
                                           std::string_view redirect_uri, const std::optional<Secret>& code_verifier,
                                           const CallOptions& options, std::string_view account) const {
    // The callback URL holds the code: it is never logged, and parse_callback's errors never
    // quote it.
    const AuthorizationCallback parsed = parse_callback(callback, expected_state);
    Credentials credentials = exchange_code(parsed.code, redirect_uri, code_verifier, options, account);
    const std::string key = credentials.account_key();
    if (key.empty()) {
        throw ProtocolError("code exchange: the token reply names no account (neither account_id nor sub) and the "
                            "application gave none, so the credentials cannot be stored");
    }
    // A new authorization wins over whatever the store had.
    const std::uint64_t version = state_->store_new_grant(key, credentials);
    state_->env.log(LogLevel::debug, [&] {
        return "account " + key + ": stored the new authorization (version " + std::to_string(version) + ")";
    });
    return credentials;
}

Credentials Client::complete_authorization(std::string_view callback, const AuthorizationRequest& request,
                                           const CallOptions& options, std::string_view account) const {
    return complete_authorization(callback, request.state, request.redirect_uri, request.code_verifier, options,
                                  account);
}

Credentials Client::exchange_code(const Secret& code, std::string_view redirect_uri,
                                  const std::optional<Secret>& code_verifier, const CallOptions& options,
                                  std::string_view account) const {
    if (account.size() > 255 || std::any_of(account.begin(), account.end(), [](unsigned char ch) {
            return ch < 0x21 || ch == 0x7f;
        })) {
        throw InvalidArgumentError("account must be at most 255 characters, without whitespace or control characters");
    }
    detail::Call call = state_->start_call(options);
    Credentials credentials =
        state_->token_endpoint.exchange_code(call, code, redirect_uri, code_verifier ? &*code_verifier : nullptr);
    if (credentials.account_key().empty() && !account.empty()) credentials.account_id = std::string(account);
    return credentials;
}

Credentials Client::refresh(const Credentials& credentials, const CallOptions& options) const {
    detail::Call call = state_->start_call(options);
    return state_->token_endpoint.refresh(call, credentials);
}

void Client::revoke(const Credentials& credentials, const CallOptions& options) const {
    detail::Call call = state_->start_call(options);
    // The refresh token: the access token may have expired already, and revoking the refresh
    // token ends the whole grant.
    const Secret& token = credentials.refresh_token.empty() ? credentials.access_token : credentials.refresh_token;
    state_->token_endpoint.revoke_token(call, token);
}

void Client::revoke_sub(std::string_view sub, const CallOptions& options) const {
    detail::Call call = state_->start_call(options);
    state_->token_endpoint.revoke_sub(call, sub);
}

Session Client::session(std::string_view account) const {
    if (account.empty()) throw InvalidArgumentError("account is empty");
    return Session(std::make_shared<detail::SessionState>(state_, state_->accounts.get(account)));
}

Session Client::session(const Credentials& credentials) const {
    const std::string& account = credentials.account_key();
    if (account.empty()) throw InvalidArgumentError("the credentials name no account (neither account_id nor sub)");
    auto state = state_->accounts.get(account);
    state->offer_seed(credentials);
    return Session(std::make_shared<detail::SessionState>(state_, std::move(state)));
}

}  // namespace calbridge
