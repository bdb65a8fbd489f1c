// The calls authenticated with the client secret (generic request, availability, application
// calendars) and the other account calls: availability, participation status, new calendars,
// delete all, availability rules, elevated permissions. Documents go in and come out as JSON
// text.
#include "errors.hpp"
#include "handles.hpp"

#include <calbridge/scheduling.hpp>

#include <string>
#include <vector>

using namespace calbridge::capi;

namespace {

calbridge::QueryParams query_params(const calbridge_query_param* query, size_t query_count) {
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
    return params;
}

calbridge::ParticipationStatus participation_status(int status) {
    switch (status) {
    case CALBRIDGE_PARTICIPATION_ACCEPTED: return calbridge::ParticipationStatus::accepted;
    case CALBRIDGE_PARTICIPATION_TENTATIVE: return calbridge::ParticipationStatus::tentative;
    case CALBRIDGE_PARTICIPATION_DECLINED: return calbridge::ParticipationStatus::declined;
    default: invalid_argument("status must be one of CALBRIDGE_PARTICIPATION_*");
    }
}

}  // namespace

extern "C" {

int calbridge_client_request(char** out_json, calbridge_client* client, const char* method, const char* path_or_url,
                             const calbridge_query_param* query, size_t query_count, const char* json_body,
                             const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& c = required(client, "client");
        const auto verb = required_string(method, "method");
        const auto target = required_string(path_or_url, "path_or_url");
        const calbridge::QueryParams params = query_params(query, query_count);
        std::optional<std::string_view> body;
        if (json_body != nullptr) body = json_body;
        result = copy_out(c.client.request(verb, target, params, body, call_options(options)));
    });
}

int calbridge_client_availability(char** out_json, calbridge_client* client, const char* query_json,
                                  const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& c = required(client, "client");
        const auto query = calbridge::AvailabilityQuery::from_json(required_string(query_json, "query_json"));
        result = copy_out(c.client.availability(query, call_options(options)).raw_json);
    });
}

int calbridge_client_create_application_calendar(calbridge_credentials** out, calbridge_client* client,
                                                 const char* application_calendar_id,
                                                 const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& c = required(client, "client");
        const auto id = required_string(application_calendar_id, "application_calendar_id");
        result = new_credentials_handle(c.client.create_application_calendar(id, call_options(options)));
    });
}

int calbridge_session_availability(char** out_json, calbridge_session* session, const char* query_json,
                                   const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        const auto query = calbridge::AvailabilityQuery::from_json(required_string(query_json, "query_json"));
        result = copy_out(s.session.availability(query, call_options(options)).raw_json);
    });
}

int calbridge_session_change_participation_status(calbridge_session* session, const char* calendar_id,
                                                  const char* event_uid, int status,
                                                  const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& s = required(session, "session");
        const auto calendar = required_string(calendar_id, "calendar_id");
        const auto event = required_string(event_uid, "event_uid");
        s.session.change_participation_status(calendar, event, participation_status(status), call_options(options));
    });
}

int calbridge_session_create_calendar(char** out_json, calbridge_session* session, const char* profile_id,
                                      const char* name, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        const auto profile = required_string(profile_id, "profile_id");
        const auto calendar_name = required_string(name, "name");
        result = copy_out(s.session.create_calendar(profile, calendar_name, call_options(options)).raw_json);
    });
}

int calbridge_session_delete_all_events(calbridge_session* session, const calbridge_call_options* options) {
    return guard(__func__, [&] { required(session, "session").session.delete_all_events(call_options(options)); });
}

int calbridge_session_delete_events_in_calendars(calbridge_session* session, const char* const* calendar_ids,
                                                 size_t calendar_id_count, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& s = required(session, "session");
        required(calendar_ids, "calendar_ids");
        if (calendar_id_count == 0) invalid_argument("calendar_id_count is 0 (calbridge_session_delete_all_events deletes all)");
        std::vector<std::string> ids;
        ids.reserve(calendar_id_count);
        for (std::size_t i = 0; i < calendar_id_count; ++i) {
            if (calendar_ids[i] == nullptr) invalid_argument("calendar_ids[" + std::to_string(i) + "] is NULL");
            ids.emplace_back(calendar_ids[i]);
        }
        s.session.delete_all_events(ids, call_options(options));
    });
}

int calbridge_session_upsert_availability_rule(char** out_json, calbridge_session* session, const char* rule_json,
                                               const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        const auto rule = calbridge::AvailabilityRule::from_json(required_string(rule_json, "rule_json"));
        result = copy_out(s.session.upsert_availability_rule(rule, call_options(options)).raw_json);
    });
}

int calbridge_session_availability_rules(char** out_json, calbridge_session* session,
                                         const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        result = copy_out(json_array(s.session.availability_rules(call_options(options))));
    });
}

int calbridge_session_availability_rule(char** out_json, calbridge_session* session, const char* availability_rule_id,
                                        const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        const auto id = required_string(availability_rule_id, "availability_rule_id");
        result = copy_out(s.session.availability_rule(id, call_options(options)).raw_json);
    });
}

int calbridge_session_delete_availability_rule(calbridge_session* session, const char* availability_rule_id,
                                               const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& s = required(session, "session");
        const auto id = required_string(availability_rule_id, "availability_rule_id");
        s.session.delete_availability_rule(id, call_options(options));
    });
}

int calbridge_session_request_elevated_permissions(char** out_json, calbridge_session* session,
                                                   const calbridge_calendar_permission* permissions,
                                                   size_t permission_count, const char* redirect_uri,
                                                   const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        required(permissions, "permissions");
        if (permission_count == 0) invalid_argument("permission_count is 0");
        std::vector<calbridge::CalendarPermission> list;
        list.reserve(permission_count);
        for (std::size_t i = 0; i < permission_count; ++i) {
            if (permissions[i].calendar_id == nullptr || permissions[i].permission_level == nullptr) {
                invalid_argument("permissions[" + std::to_string(i) + "] has a NULL field");
            }
            list.push_back({permissions[i].calendar_id, permissions[i].permission_level});
        }
        std::optional<std::string_view> redirect;
        if (redirect_uri != nullptr) redirect = redirect_uri;
        result = copy_out(s.session.request_elevated_permissions(list, redirect, call_options(options)).raw_json);
    });
}

}  // extern "C"
