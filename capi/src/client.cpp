// Clients: configuration, dependencies, and the token endpoint calls.
#include "callbacks.hpp"
#include "errors.hpp"
#include "handles.hpp"
#include "versions.hpp"

#include <calbridge/config.hpp>
#include <calbridge/open_store.hpp>
#include <calbridge/transport.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

using namespace calbridge::capi;

namespace {

std::optional<std::string> optional_string(const char* value) {
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

std::optional<calbridge::Secret> optional_secret(const char* value) {
    if (value == nullptr) return std::nullopt;
    return calbridge::Secret(std::string(value));
}

calbridge::ClientOptions client_options(const char* client_id, const char* client_secret,
                                        const calbridge_client_options* options) {
    calbridge::ClientOptions out;
    out.client_id = std::string(required_string(client_id, "client_id"));
    out.client_secret = calbridge::Secret(std::string(required_string(client_secret, "client_secret")));
    if (options == nullptr) return out;
    const auto& o = *options;

    if (o.data_center != nullptr) out.data_center = calbridge::parse_data_center(o.data_center);
    out.api_url = optional_string(o.api_url);
    out.app_url = optional_string(o.app_url);
    if (o.redirect_uri_count > 0) {
        if (o.redirect_uris == nullptr) invalid_argument("options->redirect_uris is NULL but redirect_uri_count is not 0");
        for (std::size_t i = 0; i < o.redirect_uri_count; ++i) {
            if (o.redirect_uris[i] == nullptr) invalid_argument("options->redirect_uris[" + std::to_string(i) + "] is NULL");
            out.redirect_uris.emplace_back(o.redirect_uris[i]);
        }
    }
    out.require_secure_redirect_uri = o.allow_insecure_redirect_uris == 0;
    if (o.connect_timeout_ms != 0) out.timeouts.connect = std::chrono::milliseconds(o.connect_timeout_ms);
    if (o.request_timeout_ms != 0) out.timeouts.request = std::chrono::milliseconds(o.request_timeout_ms);
    if (o.ca_file != nullptr && o.ca_pem != nullptr) invalid_argument("options->ca_file and options->ca_pem are both set");
    if (o.ca_file != nullptr) {
        out.tls.source = calbridge::TlsTrust::Source::ca_file;
        out.tls.ca_file = o.ca_file;
    } else if (o.ca_pem != nullptr) {
        out.tls.source = calbridge::TlsTrust::Source::ca_pem;
        out.tls.ca_pem = o.ca_pem;
    }
    if (o.lease_ttl_ms != 0) out.refresh_lease.ttl = std::chrono::milliseconds(o.lease_ttl_ms);
    if (o.lease_request_timeout_ms != 0) {
        out.refresh_lease.request_timeout = std::chrono::milliseconds(o.lease_request_timeout_ms);
    }
    if (o.lease_poll_interval_ms != 0) out.refresh_lease.poll_interval = std::chrono::milliseconds(o.lease_poll_interval_ms);
    if (o.lease_owner != nullptr) out.refresh_lease.owner = o.lease_owner;
    if (o.leeway_seconds != 0) out.leeway = std::chrono::seconds(std::max(o.leeway_seconds, 0));
    if (o.user_agent != nullptr) out.user_agent = o.user_agent;
    switch (o.token_encoding) {
        case CALBRIDGE_TOKEN_ENCODING_FORM: out.token_encoding = calbridge::TokenRequestEncoding::form; break;
        case CALBRIDGE_TOKEN_ENCODING_JSON: out.token_encoding = calbridge::TokenRequestEncoding::json; break;
        default: invalid_argument("options->token_encoding " + std::to_string(o.token_encoding) + " is unknown");
    }
    switch (o.client_authentication) {
        case CALBRIDGE_CLIENT_AUTH_REQUEST_BODY:
            out.client_authentication = calbridge::ClientAuthentication::request_body;
            break;
        case CALBRIDGE_CLIENT_AUTH_HTTP_BASIC:
            out.client_authentication = calbridge::ClientAuthentication::http_basic;
            break;
        default:
            invalid_argument("options->client_authentication " + std::to_string(o.client_authentication) +
                             " is unknown");
    }
    return out;
}

calbridge::RetryPolicy retry_policy(const calbridge_client_options& o) {
    calbridge::RetryPolicy retry;
    if (o.max_retries != 0) retry.max_retries = std::max(o.max_retries, 0);
    if (o.initial_backoff_ms != 0) retry.initial_backoff = std::chrono::milliseconds(o.initial_backoff_ms);
    if (o.max_backoff_ms != 0) {
        retry.max_backoff = std::chrono::milliseconds(o.max_backoff_ms);
    } else {
        retry.max_backoff = std::max(retry.max_backoff, retry.initial_backoff);
    }
    return retry;
}

// The token endpoint alone, for the entry point `name` (its messages name it); `account` NULL:
// none.
int exchange_code(const char* name, calbridge_credentials** out, calbridge_client* client, const char* code,
                  const char* redirect_uri, const char* code_verifier, const char* account,
                  const calbridge_call_options* options) {
    return guard(name, [&] {
        auto*& result = output(out, "out");
        auto& c = required(client, "client");
        const calbridge::Secret secret_code(std::string(required_string(code, "code")));
        const auto redirect = required_string(redirect_uri, "redirect_uri");
        auto credentials = c.client.exchange_code(secret_code, redirect, optional_secret(code_verifier),
                                                  call_options(options), or_empty(account));
        result = new_credentials_handle(std::move(credentials));
    });
}

}  // namespace

extern "C" {

int calbridge_client_options_init(calbridge_client_options* options, unsigned int version) {
    return guard(__func__, [&] {
        auto& o = required(options, "options");
        check_version(version, CALBRIDGE_CLIENT_OPTIONS_VERSION, "version");
        init_client_options(o, version);
    });
}

int calbridge_client_new(calbridge_client** out, const char* client_id, const char* client_secret,
                         const calbridge_client_options* options) {
    return guard(__func__, [&] {
        if (out != nullptr) *out = nullptr;
        // Before any other check, so that every userdata is destroyed exactly once whatever
        // happens next.
        AdoptedUserdata adopted = adopt_userdata(options);
        auto*& result = output(out, "out");

        // An earlier version's options, read up to their end (the rest: defaults).
        std::optional<calbridge_client_options> current;
        if (options != nullptr) current = current_client_options(*options, "options");
        const calbridge_client_options* options_read = current ? &*current : nullptr;

        calbridge::Config config(client_options(client_id, client_secret, options_read));
        calbridge::ClientDependencies dependencies;
        if (current) {
            const auto& o = *current;
            if ((o.token_store != nullptr) + (o.token_store_directory != nullptr) + (o.token_store_name != nullptr) > 1) {
                invalid_argument("options->token_store, options->token_store_directory and options->token_store_name: "
                                 "set one at most");
            }
            if (o.token_store != nullptr) {
                dependencies.store = make_c_token_store(*o.token_store, adopted.store);
            } else if (o.token_store_directory != nullptr) {
                dependencies.store = std::make_shared<calbridge::FileTokenStore>(o.token_store_directory);
            } else if (o.token_store_name != nullptr) {
                dependencies.store = calbridge::open_token_store(o.token_store_name);
            }
            dependencies.retry = retry_policy(o);
            install_log_and_hooks(o, adopted, dependencies);
        }
        dependencies.transport = calbridge::make_default_transport(config);
        result = new calbridge_client{calbridge::Client(std::move(config), std::move(dependencies))};
    });
}

void calbridge_client_free(calbridge_client* client) { delete client; }

int calbridge_client_forget_account(int* out_removed, calbridge_client* client, const char* account) {
    return guard(__func__, [&] {
        if (out_removed != nullptr) *out_removed = 0;
        auto& c = required(client, "client");
        const bool removed = c.client.store()->remove(required_string(account, "account"));
        if (out_removed != nullptr) *out_removed = removed ? 1 : 0;
    });
}

int calbridge_client_exchange_code(calbridge_credentials** out, calbridge_client* client, const char* code,
                                   const char* redirect_uri, const char* code_verifier,
                                   const calbridge_call_options* options) {
    return exchange_code(__func__, out, client, code, redirect_uri, code_verifier, nullptr, options);
}

int calbridge_client_exchange_code_for_account(calbridge_credentials** out, calbridge_client* client, const char* code,
                                               const char* redirect_uri, const char* code_verifier,
                                               const char* account, const calbridge_call_options* options) {
    return exchange_code(__func__, out, client, code, redirect_uri, code_verifier, account, options);
}

int calbridge_client_refresh(calbridge_credentials** out, calbridge_client* client,
                             const calbridge_credentials* credentials, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& c = required(client, "client");
        const auto& old = required(credentials, "credentials");
        result = new_credentials_handle(c.client.refresh(old.credentials, call_options(options)));
    });
}

int calbridge_client_revoke(calbridge_client* client, const calbridge_credentials* credentials,
                            const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& c = required(client, "client");
        const auto& revoked = required(credentials, "credentials");
        c.client.revoke(revoked.credentials, call_options(options));
    });
}

int calbridge_client_revoke_sub(calbridge_client* client, const char* sub, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& c = required(client, "client");
        c.client.revoke_sub(required_string(sub, "sub"), call_options(options));
    });
}

}  // extern "C"
