// Credentials handles: JSON in and out, getters.
#include "errors.hpp"
#include "handles.hpp"

#include <calbridge/authorize.hpp>

#include <chrono>
#include <sstream>

using namespace calbridge::capi;

calbridge_credentials::calbridge_credentials(calbridge::Credentials c)
    : credentials(std::move(c)), scope(calbridge::join_scope(credentials.scope)) {}

namespace calbridge::capi {

calbridge_credentials* new_credentials_handle(Credentials credentials) {
    return new calbridge_credentials(std::move(credentials));
}

}  // namespace calbridge::capi

namespace {

// Getters return NULL for a NULL handle (they have no status to report).
template <class Get>
const char* get(const calbridge_credentials* credentials, Get&& get_string) noexcept {
    if (credentials == nullptr) return nullptr;
    return get_string(*credentials).c_str();
}

const std::string empty;

const std::string& linking(const calbridge_credentials& c, std::string calbridge::LinkingProfile::*field) {
    return c.credentials.linking_profile ? (*c.credentials.linking_profile).*field : empty;
}

}  // namespace

extern "C" {

int calbridge_credentials_from_json(calbridge_credentials** out, const char* json) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto credentials = calbridge::Credentials::from_json(required_string(json, "json"));
        result = new_credentials_handle(std::move(credentials));
    });
}

int calbridge_credentials_to_json(char** out, const calbridge_credentials* credentials) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        result = copy_out(required(credentials, "credentials").credentials.to_json());
    });
}

int calbridge_credentials_describe(char** out, const calbridge_credentials* credentials) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        std::ostringstream text;
        text << required(credentials, "credentials").credentials;
        result = copy_out(text.str());
    });
}

int calbridge_credentials_copy(calbridge_credentials** out, const calbridge_credentials* credentials) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        result = new_credentials_handle(required(credentials, "credentials").credentials);
    });
}

const char* calbridge_credentials_access_token(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& {
        return c.credentials.access_token.reveal();
    });
}

const char* calbridge_credentials_refresh_token(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& {
        return c.credentials.refresh_token.reveal();
    });
}

const char* calbridge_credentials_token_type(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& { return c.credentials.token_type; });
}

const char* calbridge_credentials_scope(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& { return c.scope; });
}

const char* calbridge_credentials_account_id(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& { return c.credentials.account_id; });
}

const char* calbridge_credentials_sub(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& { return c.credentials.sub; });
}

const char* calbridge_credentials_account_key(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& { return c.credentials.account_key(); });
}

const char* calbridge_credentials_provider_name(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& {
        return linking(c, &calbridge::LinkingProfile::provider_name);
    });
}

const char* calbridge_credentials_profile_id(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& {
        return linking(c, &calbridge::LinkingProfile::profile_id);
    });
}

const char* calbridge_credentials_profile_name(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& {
        return linking(c, &calbridge::LinkingProfile::profile_name);
    });
}

const char* calbridge_credentials_extra_json(const calbridge_credentials* credentials) {
    return get(credentials, [](const calbridge_credentials& c) -> const std::string& { return c.credentials.extra_json; });
}

int calbridge_credentials_expires_at(int64_t* out, const calbridge_credentials* credentials) {
    return guard(__func__, [&] {
        auto& result = required(out, "out");
        result = 0;
        const auto& expires_at = required(credentials, "credentials").credentials.expires_at;
        if (expires_at) {
            result = std::chrono::duration_cast<std::chrono::seconds>(expires_at->time_since_epoch()).count();
        }
    });
}

void calbridge_credentials_free(calbridge_credentials* credentials) {
    delete credentials;  // Secret wipes the tokens
}

}  // extern "C"
