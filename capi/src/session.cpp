// Sessions: one user's calendar API. Results that are documents come back as JSON text.
#include "errors.hpp"
#include "handles.hpp"

#include <string>

using namespace calbridge::capi;

extern "C" {

int calbridge_session_new(calbridge_session** out, calbridge_client* client, const char* account) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& c = required(client, "client");
        auto session = c.client.session(required_string(account, "account"));
        result = new calbridge_session{c.client, std::move(session)};
    });
}

int calbridge_session_new_with_credentials(calbridge_session** out, calbridge_client* client,
                                           const calbridge_credentials* credentials) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& c = required(client, "client");
        auto session = c.client.session(required(credentials, "credentials").credentials);
        result = new calbridge_session{c.client, std::move(session)};
    });
}

const char* calbridge_session_account_key(const calbridge_session* session) {
    if (session == nullptr) return nullptr;
    return session->session.account_key().c_str();
}

int calbridge_session_credentials(calbridge_credentials** out, calbridge_session* session,
                                  const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& s = required(session, "session");
        result = new_credentials_handle(s.session.credentials(call_options(options)));
    });
}

int calbridge_session_calendars(char** out_json, calbridge_session* session, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        result = copy_out(json_array(s.session.calendars(call_options(options))));
    });
}

int calbridge_session_account(char** out_json, calbridge_session* session, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        result = copy_out(s.session.account(call_options(options)).raw_json);
    });
}

int calbridge_session_userinfo(char** out_json, calbridge_session* session, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        result = copy_out(s.session.userinfo(call_options(options)).raw_json);
    });
}

int calbridge_session_profiles(char** out_json, calbridge_session* session, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        result = copy_out(json_array(s.session.profiles(call_options(options))));
    });
}

int calbridge_session_upsert_event(calbridge_session* session, const char* calendar_id, const char* event_json,
                                   const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& s = required(session, "session");
        const auto calendar = required_string(calendar_id, "calendar_id");
        const auto event = required_string(event_json, "event_json");
        s.session.upsert_event(calendar, event, call_options(options));
    });
}

int calbridge_session_delete_event(calbridge_session* session, const char* calendar_id, const char* event_id,
                                   const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& s = required(session, "session");
        const auto calendar = required_string(calendar_id, "calendar_id");
        const auto event = required_string(event_id, "event_id");
        s.session.delete_event(calendar, event, call_options(options));
    });
}

int calbridge_session_delete_external_event(calbridge_session* session, const char* calendar_id,
                                            const char* event_uid, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& s = required(session, "session");
        const auto calendar = required_string(calendar_id, "calendar_id");
        const auto event = required_string(event_uid, "event_uid");
        s.session.delete_external_event(calendar, event, call_options(options));
    });
}

int calbridge_session_revoke_profile(calbridge_session* session, const char* profile_id,
                                     const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& s = required(session, "session");
        s.session.revoke_profile(required_string(profile_id, "profile_id"), call_options(options));
    });
}

int calbridge_session_create_link_token(char** out, calbridge_session* session, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& s = required(session, "session");
        const calbridge::Secret token = s.session.create_link_token(call_options(options));
        result = copy_out(token.reveal());
    });
}

int calbridge_session_request(char** out_json, calbridge_session* session, const char* method,
                              const char* path_or_url, const calbridge_query_param* query, size_t query_count,
                              const char* json_body, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        const auto verb = required_string(method, "method");
        const auto target = required_string(path_or_url, "path_or_url");
        calbridge::QueryParams params;
        if (query_count > 0) {
            if (query == nullptr) invalid_argument("query is NULL but query_count is not 0");
            params.reserve(query_count);
            for (std::size_t i = 0; i < query_count; ++i) {
                if (query[i].key == nullptr || query[i].value == nullptr) {
                    invalid_argument("query[" + std::to_string(i) + "] has a NULL key or value");
                }
                params.emplace_back(query[i].key, query[i].value);
            }
        }
        std::optional<std::string_view> body;
        if (json_body != nullptr) body = json_body;
        result = copy_out(s.session.request(verb, target, params, body, call_options(options)));
    });
}

void calbridge_session_free(calbridge_session* session) { delete session; }

}  // extern "C"
