// The browser leg: authorization requests, and completing the redirect back.
#include "errors.hpp"
#include "handles.hpp"

#include <string>

using namespace calbridge::capi;

namespace {

std::optional<bool> tristate(int value, const char* name) {
    switch (value) {
        case CALBRIDGE_UNSET: return std::nullopt;
        case CALBRIDGE_TRUE: return true;
        case CALBRIDGE_FALSE: return false;
        default:
            invalid_argument(std::string(name) + " is " + std::to_string(value) +
                             "; use CALBRIDGE_UNSET, CALBRIDGE_TRUE or CALBRIDGE_FALSE");
    }
}

calbridge::AuthorizationOptions authorization_options(const char* scope, const calbridge_authorization_options* options) {
    calbridge::AuthorizationOptions out;
    out.scope = calbridge::split_scope(required_string(scope, "scope"));
    if (options == nullptr) return out;  // PKCE on, the default
    check_version(options->version, CALBRIDGE_AUTHORIZATION_OPTIONS_VERSION, "options");
    if (options->state != nullptr) out.state = std::string(options->state);
    if (options->version == 1) {
        out.pkce = options->pkce != 0;  // version 1: off unless asked
    } else {
        out.pkce = tristate(options->pkce, "options->pkce").value_or(true);
    }
    out.avoid_linking = tristate(options->avoid_linking, "options->avoid_linking");
    if (options->link_token != nullptr) out.link_token = std::string(options->link_token);
    if (options->provider_name != nullptr) out.provider_name = std::string(options->provider_name);
    if (options->delegated_scope != nullptr) out.delegated_scope = std::string(options->delegated_scope);
    return out;
}

const char* borrowed(const calbridge_authorization* authorization, const std::string calbridge::AuthorizationRequest::*field) noexcept {
    if (authorization == nullptr) return nullptr;
    return (authorization->request.*field).c_str();
}

// The redirect back, for the entry point `name` (its messages name it); `account` NULL: none.
int complete(const char* name, calbridge_credentials** out, calbridge_client* client,
             const calbridge_authorization* authorization, const char* callback_url, const char* account,
             const calbridge_call_options* options) {
    return guard(name, [&] {
        auto*& result = output(out, "out");
        auto& c = required(client, "client");
        const auto& request = required(authorization, "authorization").request;
        const auto callback = required_string(callback_url, "callback_url");
        result = new_credentials_handle(
            c.client.complete_authorization(callback, request, call_options(options), or_empty(account)));
    });
}

int complete_with_state(const char* name, calbridge_credentials** out, calbridge_client* client,
                        const char* callback_url, const char* expected_state, const char* redirect_uri,
                        const char* code_verifier, const char* account, const calbridge_call_options* options) {
    return guard(name, [&] {
        auto*& result = output(out, "out");
        auto& c = required(client, "client");
        const auto callback = required_string(callback_url, "callback_url");
        const auto state = required_string(expected_state, "expected_state");
        const auto redirect = required_string(redirect_uri, "redirect_uri");
        std::optional<calbridge::Secret> verifier;
        if (code_verifier != nullptr) verifier.emplace(std::string(code_verifier));
        result = new_credentials_handle(c.client.complete_authorization(callback, state, redirect, verifier,
                                                                        call_options(options),
                                                                        or_empty(account)));
    });
}

}  // namespace

extern "C" {

int calbridge_authorization_options_init(calbridge_authorization_options* options, unsigned int version) {
    return guard(__func__, [&] {
        auto& o = required(options, "options");
        check_version(version, CALBRIDGE_AUTHORIZATION_OPTIONS_VERSION, "version");
        o = calbridge_authorization_options CALBRIDGE_AUTHORIZATION_OPTIONS_INIT;
        o.version = version;  // a version 1 caller keeps version 1's meaning of `pkce`
    });
}

int calbridge_authorization_new(calbridge_authorization** out, calbridge_client* client, const char* redirect_uri,
                                const char* scope, const calbridge_authorization_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& c = required(client, "client");
        const auto redirect = required_string(redirect_uri, "redirect_uri");
        const auto request_options = authorization_options(scope, options);
        result = new calbridge_authorization{c.client.authorization_request(redirect, request_options)};
    });
}

const char* calbridge_authorization_url(const calbridge_authorization* authorization) {
    return borrowed(authorization, &calbridge::AuthorizationRequest::url);
}

const char* calbridge_authorization_state(const calbridge_authorization* authorization) {
    return borrowed(authorization, &calbridge::AuthorizationRequest::state);
}

const char* calbridge_authorization_redirect_uri(const calbridge_authorization* authorization) {
    return borrowed(authorization, &calbridge::AuthorizationRequest::redirect_uri);
}

const char* calbridge_authorization_code_verifier(const calbridge_authorization* authorization) {
    if (authorization == nullptr || !authorization->request.code_verifier) return nullptr;
    return authorization->request.code_verifier->reveal().c_str();
}

void calbridge_authorization_free(calbridge_authorization* authorization) { delete authorization; }

int calbridge_client_complete_authorization(calbridge_credentials** out, calbridge_client* client,
                                            const calbridge_authorization* authorization, const char* callback_url,
                                            const calbridge_call_options* options) {
    return complete(__func__, out, client, authorization, callback_url, nullptr, options);
}

int calbridge_client_complete_authorization_for_account(calbridge_credentials** out, calbridge_client* client,
                                                        const calbridge_authorization* authorization,
                                                        const char* callback_url, const char* account,
                                                        const calbridge_call_options* options) {
    return complete(__func__, out, client, authorization, callback_url, account, options);
}

int calbridge_client_complete_authorization_with_state(calbridge_credentials** out, calbridge_client* client,
                                                       const char* callback_url, const char* expected_state,
                                                       const char* redirect_uri, const char* code_verifier,
                                                       const calbridge_call_options* options) {
    return complete_with_state(__func__, out, client, callback_url, expected_state, redirect_uri, code_verifier,
                               nullptr, options);
}

int calbridge_client_complete_authorization_with_state_for_account(
    calbridge_credentials** out, calbridge_client* client, const char* callback_url, const char* expected_state,
    const char* redirect_uri, const char* code_verifier, const char* account, const calbridge_call_options* options) {
    return complete_with_state(__func__, out, client, callback_url, expected_state, redirect_uri, code_verifier,
                               account, options);
}

}  // extern "C"
