/* The client-secret calls, availability and the other account calls in C99, without a server:
 * the API is a loopback port nobody listens on, so a call whose arguments pass its checks fails
 * with CALBRIDGE_ECONNECTION, and one refused before anything is sent fails with
 * CALBRIDGE_EINVALID_ARGUMENT: the difference shows what is checked before sending (another
 * origin for the client secret, a broken availability query, an unknown status, an empty list
 * that must never mean "all"). The exchanges themselves are tested on the core (exact
 * requests) and end to end against the sandbox. */
#include "check.h"

#include <calbridge.h>

#include <stddef.h>
#include <string.h>

static const char *const secret = "client-secret-for-the-c-test-0123";

static const char *const good_query =
    "{\"participants\": [{\"members\": [{\"sub\": \"acc_1\"}], \"required\": \"all\"}],"
    " \"required_duration\": {\"minutes\": 60},"
    " \"available_periods\": [{\"start\": \"2026-12-07T09:00:00Z\", \"end\": \"2026-12-07T17:00:00Z\"}],"
    " \"buffer\": {\"before\": {\"minutes\": 15}}, \"start_interval\": {\"minutes\": 30},"
    " \"max_results\": 20, \"response_format\": \"slots\"}";

static void secret_not_in_last_error(void) {
    const calbridge_error *e = calbridge_error_last();
    CHECK(strstr(e->message, secret) == NULL);
}

int main(void) {
    calbridge_client_options o = CALBRIDGE_CLIENT_OPTIONS_INIT;
    calbridge_client *client = NULL;
    calbridge_session *session = NULL;
    calbridge_credentials *credentials = NULL;
    calbridge_query_param param = {"smart_invite_id", "inv 1"};
    calbridge_calendar_permission permission = {"cal_1", "unrestricted"};
    calbridge_calendar_permission half_permission = {"cal_1", NULL};
    const char *const calendars[] = {"cal_1", "cal_2"};
    const char *const null_calendar[] = {NULL};
    static const char *const bad_queries[] = {
        "not json",
        "[]",
        "{}",
        "{\"participants\": [], \"required_duration\": {\"minutes\": 60},"
        " \"available_periods\": [{\"start\": \"2026-12-07T09:00:00Z\", \"end\": \"2026-12-07T17:00:00Z\"}]}",
        "{\"participants\": [{\"members\": [{\"sub\": \"acc_1\"}], \"required\": 2}],"
        " \"required_duration\": {\"minutes\": 60},"
        " \"available_periods\": [{\"start\": \"2026-12-07T09:00:00Z\", \"end\": \"2026-12-07T17:00:00Z\"}]}",
        "{\"participants\": [{\"members\": [{\"sub\": \"acc_1\"}]}], \"required_duration\": {\"minutes\": 60},"
        " \"available_periods\": [{\"start\": \"2026-12-07T17:00:00Z\", \"end\": \"2026-12-07T09:00:00Z\"}]}",
        "{\"participants\": [{\"members\": [{\"sub\": \"acc_1\"}]}], \"required_duration\": {\"minutes\": 60},"
        " \"available_periods\": [{\"start\": \"2026-12-07T09:00:00Z\", \"end\": \"2026-12-07T17:00:00Z\"}],"
        " \"response_format\": \"grid\"}",
    };
    char *json = NULL;
    size_t i;

    o.api_url = "http://127.0.0.1:9";
    o.app_url = "http://127.0.0.1:9";
    o.max_retries = -1;
    if (calbridge_client_new(&client, "client-id", secret, &o) != CALBRIDGE_OK) {
        fprintf(stderr, "set-up: %s\n", calbridge_error_last()->message);
        return 2;
    }
    /* No expiry: the token is used as it is, with no refresh first. */
    if (calbridge_credentials_from_json(&credentials,
                                        "{\"access_token\": \"at\", \"refresh_token\": \"rt\", \"account_id\": \"acc_1\"}") !=
            CALBRIDGE_OK ||
        calbridge_session_new_with_credentials(&session, client, credentials) != CALBRIDGE_OK) {
        return 2;
    }
    calbridge_credentials_free(credentials);
    credentials = NULL;

    /* The generic client-secret call: the API origin only. */
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_client_request(&json, client, "GET", "/v1/smart_invites", &param, 1,
                                                             NULL, NULL));
    secret_not_in_last_error();
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_client_request(&json, client, "POST", "http://127.0.0.1:9/v1/x", NULL,
                                                             0, "{\"a\": 1}", NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_request(&json, client, "GET", "https://evil.test/v1/x",
                                                                   NULL, 0, NULL, NULL));
    secret_not_in_last_error();
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_request(&json, client, "GET", "http://127.0.0.1:10/v1/x",
                                                                   NULL, 0, NULL, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_request(&json, client, "GET", "v1/x", NULL, 0, NULL,
                                                                   NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_request(&json, client, "get", "/v1/x", NULL, 0, NULL,
                                                                   NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_request(&json, client, "POST", "/v1/x", NULL, 0, "{",
                                                                   NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_request(&json, client, "GET", "/v1/x", NULL, 1, NULL,
                                                                   NULL));
    CHECK(json == NULL);

    /* Availability: checked before sending, on both the client and the session. */
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_client_availability(&json, client, good_query, NULL));
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_availability(&json, session, good_query, NULL));
    for (i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; ++i) {
        CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_availability(&json, client, bad_queries[i], NULL));
        CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_availability(&json, session, bad_queries[i], NULL));
        CHECK(strstr(calbridge_error_last()->message, "availability") != NULL);
    }

    /* Application calendars. */
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_client_create_application_calendar(&credentials, client, "bookings",
                                                                                 NULL));
    secret_not_in_last_error();
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_client_create_application_calendar(&credentials, client, "",
                                                                                       NULL));
    CHECK(credentials == NULL);

    /* Participation status: the enum. */
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_change_participation_status(
                                        session, "cal_1", "evt_1", CALBRIDGE_PARTICIPATION_DECLINED, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_change_participation_status(session, "cal_1", "evt_1", 0,
                                                                                        NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_change_participation_status(session, "cal_1", "evt_1", 4,
                                                                                        NULL));

    /* New calendars. */
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_create_calendar(&json, session, "pro_1", "Bookings", NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_create_calendar(&json, session, "pro_1", "", NULL));

    /* Deleting: all, or some calendars; an empty list is never "all". */
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_delete_all_events(session, NULL));
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_delete_events_in_calendars(session, calendars, 2, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_delete_events_in_calendars(session, calendars, 0, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_delete_events_in_calendars(session, null_calendar, 1,
                                                                                       NULL));

    /* Availability rules. */
    CHECK_RC(CALBRIDGE_ECONNECTION,
             calbridge_session_upsert_availability_rule(
                 &json, session,
                 "{\"availability_rule_id\": \"r1\", \"tzid\": \"Etc/UTC\", \"weekly_periods\": [{\"day\": \"monday\","
                 " \"start_time\": \"09:00\", \"end_time\": \"17:00\"}]}",
                 NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_upsert_availability_rule(&json, session, "[]", NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_upsert_availability_rule(&json, session, "{\"tzid\": \"Etc/UTC\"}", NULL));
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_availability_rules(&json, session, NULL));
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_availability_rule(&json, session, "r1", NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_availability_rule(&json, session, "", NULL));
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_delete_availability_rule(session, "r1", NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT, calbridge_session_delete_availability_rule(session, "", NULL));

    /* Elevated permissions. */
    CHECK_RC(CALBRIDGE_ECONNECTION, calbridge_session_request_elevated_permissions(&json, session, &permission, 1,
                                                                                   "https://example.com/back", NULL));
    CHECK_RC(CALBRIDGE_ECONNECTION,
             calbridge_session_request_elevated_permissions(&json, session, &permission, 1, NULL, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_request_elevated_permissions(&json, session, &permission, 0, NULL, NULL));
    CHECK_RC(CALBRIDGE_EINVALID_ARGUMENT,
             calbridge_session_request_elevated_permissions(&json, session, &half_permission, 1, NULL, NULL));
    CHECK(json == NULL);

    calbridge_session_free(session);
    calbridge_client_free(client);
    return check_summary("scheduling");
}
